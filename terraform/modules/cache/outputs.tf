output "host" {
  description = "Private IP of the instance (REDIS_URL host)."
  value       = google_redis_instance.cache.host
}

output "port" {
  description = "Port (6378 with transit encryption)."
  value       = google_redis_instance.cache.port
}

output "server_ca_certs" {
  description = "PEM of the server CA the clients must trust (TLS in transit)."
  value       = [for cert in google_redis_instance.cache.server_ca_certs : cert.cert]
}

output "auth_string" {
  description = "The AUTH string, for composing the REDIS_URL secret value out of band."
  value       = google_redis_instance.cache.auth_string
  sensitive   = true
}

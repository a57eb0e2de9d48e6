output "host" {
  description = "Private IP of the instance (REDIS_URL host)."
  value       = google_redis_instance.cache.host
}

output "port" {
  description = "Port (6378 with transit encryption)."
  value       = google_redis_instance.cache.port
}

output "server_ca_certs" {
  description = "PEM of the server CAs the clients must trust (TLS in transit; two while a CA rotates)."
  value       = [for cert in google_redis_instance.cache.server_ca_certs : cert.cert]
}

# No output of the AUTH string: read it with `gcloud redis instances get-auth-string` (README).

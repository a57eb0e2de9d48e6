output "address" {
  description = "The load balancer's IP: point the hostname's DNS A record here."
  value       = google_compute_global_address.lb.address
}

output "https_forwarding_rule" {
  description = "Name of the HTTPS forwarding rule (its request logs feed the log-based metrics)."
  value       = google_compute_global_forwarding_rule.https.name
}

output "url_map" {
  description = "Name of the URL map."
  value       = google_compute_url_map.https.name
}

output "security_policy" {
  description = "Name of the Cloud Armor policy."
  value       = google_compute_security_policy.armor.name
}

output "network_id" {
  description = "The VPC's id (projects/P/global/networks/N)."
  value       = google_compute_network.vpc.id
}

output "network_name" {
  description = "The VPC's name."
  value       = google_compute_network.vpc.name
}

output "connector_id" {
  description = "The Serverless VPC Access connector, for service_config.vpc_connector."
  value       = google_vpc_access_connector.connector.id
}

output "private_services_connection" {
  description = "The private services access peering; Cloud SQL and Memorystore depend on it."
  value       = google_service_networking_connection.private_services.id
}

output "private_services_range" {
  description = "Name of the range reserved for private services access."
  value       = google_compute_global_address.private_services.name
}

output "load_balancer_ip" {
  description = "Point the hostname's DNS A record here."
  value       = module.platform.load_balancer_ip
}

output "base_url" {
  description = "The public base URL."
  value       = module.platform.base_url
}

output "migrations_job" {
  description = "The migrations Cloud Run job."
  value       = module.platform.migrations_job
}

output "database_connection_name" {
  description = "Cloud SQL connection name."
  value       = module.platform.database_connection_name
}

output "database_private_ip" {
  description = "Cloud SQL private IP."
  value       = module.platform.database_private_ip
}

output "redis_host" {
  description = "Memorystore host."
  value       = module.platform.redis_host
}

output "redis_port" {
  description = "Memorystore port."
  value       = module.platform.redis_port
}

output "secret_ids" {
  description = "Secrets to add versions to."
  value       = module.platform.secret_ids
}

output "buckets" {
  description = "Buckets."
  value       = module.platform.buckets
}

output "function_uris" {
  description = "Function URLs."
  value       = module.platform.function_uris
}

output "dead_letter_subscriptions" {
  description = "Dead-letter pull subscriptions."
  value       = module.platform.dead_letter_subscriptions
}

output "deployer_service_account" {
  description = "Run the Cloud Build triggers as this service account."
  value       = module.platform.deployer_service_account
}

output "peak_db_connections" {
  description = "Most database connections the functions can open."
  value       = module.platform.peak_db_connections
}

output "load_balancer_ip" {
  description = "Point the hostname's DNS A record here; the managed certificate then provisions."
  value       = module.edge.address
}

output "base_url" {
  description = "The public base URL."
  value       = "https://${var.hostname}"
}

output "function_uris" {
  description = "Function name -> run.app URL (reachable only internally / through the load balancer)."
  value       = module.functions.uris
}

output "source_object" {
  description = "The deployed source archive (named by its hash)."
  value       = module.functions.source_object
}

output "migrations_job" {
  description = "The migrations Cloud Run job (gcloud run jobs execute <name> --wait)."
  value       = module.functions.migrations_job
}

output "sync_all_job" {
  description = "The sync-all Cloud Run job the everflow-api function launches (SYNC_ALL_CLOUD_RUN_JOB)."
  value       = module.functions.sync_all_job
}

output "database_connection_name" {
  description = "Cloud SQL connection name."
  value       = module.database.connection_name
}

output "database_private_ip" {
  description = "Cloud SQL private IP (host of the DATABASE_URL secret)."
  value       = module.database.private_ip
}

output "database_iam_users" {
  description = "IAM database users of the service accounts."
  value       = module.database.iam_users
}

output "redis_host" {
  description = "Memorystore host (REDIS_URL secret)."
  value       = module.cache.host
}

output "redis_port" {
  description = "Memorystore port (TLS)."
  value       = module.cache.port
}

output "redis_server_ca_certs" {
  description = "The Memorystore server CA (clients verify TLS against it)."
  value       = module.cache.server_ca_certs
}

output "secret_ids" {
  description = "Environment variable -> Secret Manager secret to add a version to."
  value       = module.iam.secret_ids
}

output "buckets" {
  description = "The buckets."
  value = {
    qr      = module.storage.qr_bucket
    exports = module.storage.exports_bucket
    sources = module.storage.sources_bucket
  }
}

output "dead_letter_subscriptions" {
  description = "Function -> pull subscription of its dead-letter topic."
  value       = module.messaging.dead_letter_subscriptions
}

output "scheduler_jobs" {
  description = "Schedule row -> Cloud Scheduler job."
  value       = module.scheduler.jobs
}

output "deployer_service_account" {
  description = "Service account to run the Cloud Build triggers as."
  value       = module.iam.deployer_email
}

output "peak_db_connections" {
  description = "Most connections the functions can open (max instances x pool size)."
  value       = terraform_data.capacity.output
}

output "runtime_emails" {
  description = "Role (api, webhooks, sync, jobs) -> runtime service account email."
  value       = { for role, sa in google_service_account.runtime : role => sa.email }
  depends_on  = [google_project_iam_member.runtime, google_service_account_iam_member.runtime_self_token_creator]
}

output "runtime_members" {
  description = "Role -> IAM member string of the runtime service account."
  value       = { for role, sa in google_service_account.runtime : role => sa.member }
}

output "pubsub_push_email" {
  description = "The identity Pub/Sub push subscriptions sign their OIDC tokens as."
  value       = google_service_account.pubsub_push.email
}

output "pubsub_push_name" {
  description = "Resource name of the push service account (for IAM on it)."
  value       = google_service_account.pubsub_push.name
}

output "migrations_email" {
  description = "Service account of the migrations job."
  value       = google_service_account.migrations.email
  depends_on  = [google_project_iam_member.migrations]
}

output "scheduler_email" {
  description = "The identity Cloud Scheduler signs its OIDC tokens as."
  value       = google_service_account.scheduler.email
}

output "sync_all_email" {
  description = "Service account of the sync-all job."
  value       = google_service_account.sync_all.email
  depends_on  = [google_project_iam_member.sync_all, google_secret_manager_secret_iam_member.accessor]
}

output "builder_email" {
  description = "Service account that builds function images."
  value       = google_service_account.builder.email
}

output "builder_id" {
  description = "Resource id of the builder service account (build_config.service_account)."
  value       = google_service_account.builder.id
  depends_on  = [google_project_iam_member.builder]
}

output "deployer_email" {
  description = "Service account for the Cloud Build triggers."
  value       = google_service_account.deployer.email
}

output "secret_ids" {
  description = "Environment variable name -> Secret Manager secret id."
  value       = { for name, secret in google_secret_manager_secret.secret : name => secret.secret_id }
  depends_on  = [google_secret_manager_secret_iam_member.accessor]
}

output "instance_name" {
  description = "Cloud SQL instance name."
  value       = google_sql_database_instance.postgres.name
}

output "connection_name" {
  description = "project:region:instance, what the Cloud SQL connector takes."
  value       = google_sql_database_instance.postgres.connection_name
}

output "private_ip" {
  description = "The instance's private IP (DATABASE_URL host)."
  value       = google_sql_database_instance.postgres.private_ip_address
}

output "database_name" {
  description = "The application database."
  value       = google_sql_database.app.name
}

output "iam_users" {
  description = "Key -> PostgreSQL user name of the IAM-authenticated service accounts."
  value       = { for key, user in google_sql_user.iam : key => user.name }
}

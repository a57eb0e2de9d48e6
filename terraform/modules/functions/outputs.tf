output "uris" {
  description = "Function name -> its Cloud Run URL (push endpoint and OIDC audience)."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.service_config[0].uri }
}

output "names" {
  description = "Function name -> the Cloud Run service that serves it (same name)."
  value       = { for name, f in google_cloudfunctions2_function.function : name => f.name }
}

output "source_object" {
  description = "The uploaded source archive (its name carries the content hash)."
  value       = google_storage_bucket_object.source.name
}

output "migrations_job" {
  description = "Name of the migrations Cloud Run job."
  value       = google_cloud_run_v2_job.migrations.name
}

output "sync_all_job" {
  description = "The sync-all Cloud Run job (projects/P/locations/R/jobs/sync-all), as SYNC_ALL_CLOUD_RUN_JOB."
  value       = local.sync_all_job
}

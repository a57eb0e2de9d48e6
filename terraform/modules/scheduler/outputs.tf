output "jobs" {
  description = "Schedule row name -> Cloud Scheduler job name."
  value       = { for name, job in google_cloud_scheduler_job.job : name => job.name }
}

output "uptime_check_id" {
  description = "Id of the /health uptime check."
  value       = google_monitoring_uptime_check_config.health.uptime_check_id
}

output "log_metrics" {
  description = "Names of the log-based metrics."
  value = [
    google_logging_metric.lb_requests.name,
    google_logging_metric.lb_5xx.name,
    google_logging_metric.lb_latency.name,
    google_logging_metric.sync_failures.name,
    google_logging_metric.payment_outcomes.name,
    google_logging_metric.payment_failures.name,
  ]
}

# Log-based metrics and alert policies for the spec's key metrics (architecture overview 9.2 and
# 11.9): 5xx rate > 1% (critical), p95 latency > 500 ms (warning) / > 1 s (critical), Everflow and
# sync failures, failed payment rate > 5% (critical), dead-lettered messages, Cloud SQL connections
# > 80%, function memory > 85% / CPU > 80%, optional low throughput, and an uptime check on /health.

locals {
  lb_requests = join(" AND ", [
    "resource.type=\"http_load_balancer\"",
    "resource.labels.forwarding_rule_name=\"${var.https_forwarding_rule}\"",
  ])
  channels = concat(var.notification_channels, google_monitoring_notification_channel.email[*].id)
  app_logs = "resource.type=\"cloud_run_revision\""
}

resource "google_monitoring_notification_channel" "email" {
  count        = var.alert_email == "" ? 0 : 1
  project      = var.project_id
  display_name = "Platform ${var.environment} on-call"
  type         = "email"
  labels = {
    email_address = var.alert_email
  }
}

# --- log-based metrics --------------------------------------------------------------------------

resource "google_logging_metric" "lb_requests" {
  project     = var.project_id
  name        = "lb_requests"
  description = "Requests through the load balancer."
  filter      = local.lb_requests
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_logging_metric" "lb_5xx" {
  project     = var.project_id
  name        = "lb_5xx"
  description = "Load balancer responses with a 5xx status."
  filter      = "${local.lb_requests} AND httpRequest.status>=500"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_logging_metric" "lb_latency" {
  project         = var.project_id
  name            = "lb_latency"
  description     = "Request latency at the load balancer (httpRequest.latency), seconds."
  filter          = "${local.lb_requests} AND httpRequest.latency:*"
  value_extractor = "REGEXP_EXTRACT(httpRequest.latency, \"([0-9.]+)s\")"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = "s"
  }
  bucket_options {
    exponential_buckets {
      num_finite_buckets = 48
      growth_factor      = 1.25
      scale              = 0.005
    }
  }
}

resource "google_logging_metric" "sync_failures" {
  project     = var.project_id
  name        = "sync_failures"
  description = "Everflow client errors and permanent event handler failures."
  filter = join(" AND ", [
    local.app_logs,
    "severity>=ERROR",
    "(jsonPayload.logger=~\"^shared\\\\.adapters\\\\.everflow\" OR jsonPayload.logger=\"shared.events.handlers\")",
  ])
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_logging_metric" "payment_outcomes" {
  project     = var.project_id
  name        = "payment_outcomes"
  description = "Payment outcomes logged by billing (field payment_outcome = succeeded | failed)."
  filter      = "${local.app_logs} AND jsonPayload.payment_outcome:*"
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

resource "google_logging_metric" "payment_failures" {
  project     = var.project_id
  name        = "payment_failures"
  description = "Failed payments logged by billing (payment_outcome = failed)."
  filter      = "${local.app_logs} AND jsonPayload.payment_outcome=\"failed\""
  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"
  }
}

# --- alert policies -----------------------------------------------------------------------------

resource "google_monitoring_alert_policy" "error_rate" {
  project               = var.project_id
  display_name          = "[${var.environment}] HTTP 5xx rate > ${var.error_rate_threshold * 100}%"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.channels

  conditions {
    display_name = "5xx share of load balancer requests"
    condition_threshold {
      filter                  = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.lb_5xx.name}\""
      denominator_filter      = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.lb_requests.name}\""
      comparison              = "COMPARISON_GT"
      threshold_value         = var.error_rate_threshold
      duration                = "300s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    content   = "More than ${var.error_rate_threshold * 100}% of requests through the load balancer answered 5xx for 5 minutes. Check the functions' error logs and /health (database, cache)."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "latency" {
  for_each = {
    warning  = { threshold = var.latency_p95_warning_s, severity = "WARNING" }
    critical = { threshold = var.latency_p95_critical_s, severity = "CRITICAL" }
  }
  project               = var.project_id
  display_name          = "[${var.environment}] API p95 latency > ${each.value.threshold * 1000} ms"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = local.channels

  conditions {
    display_name = "p95 of httpRequest.latency at the load balancer"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.lb_latency.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = "300s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_PERCENTILE_95"
      }
    }
  }

  documentation {
    content   = "p95 latency above ${each.value.threshold * 1000} ms for 5 minutes (spec: warning 500 ms, critical 1 s)."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "sync_failures" {
  project               = var.project_id
  display_name          = "[${var.environment}] Everflow / sync failures"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.channels

  conditions {
    display_name = "Everflow and event handler errors"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.sync_failures.name}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }

  documentation {
    content   = "Everflow calls failed after their retries, or an event handler recorded a permanent failure."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "payment_failures" {
  project               = var.project_id
  display_name          = "[${var.environment}] Failed payment rate > ${var.payment_failure_rate_threshold * 100}%"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.channels

  conditions {
    display_name = "Failed share of payment outcomes"
    condition_threshold {
      filter                  = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.payment_failures.name}\""
      denominator_filter      = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.payment_outcomes.name}\""
      comparison              = "COMPARISON_GT"
      threshold_value         = var.payment_failure_rate_threshold
      duration                = "0s"
      evaluation_missing_data = "EVALUATION_MISSING_DATA_INACTIVE"
      aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
      denominator_aggregations {
        alignment_period     = "3600s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  project               = var.project_id
  display_name          = "[${var.environment}] Messages dead-lettered"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = local.channels

  conditions {
    display_name = "Dead-lettered messages on the push subscriptions"
    condition_threshold {
      filter          = "resource.type=\"pubsub_subscription\" AND metric.type=\"pubsub.googleapis.com/subscription/dead_letter_message_count\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_DELTA"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["resource.label.subscription_id"]
      }
    }
  }

  documentation {
    content   = "A message exhausted its deliveries. Inspect the <function>-dead-letter pull subscription (${join(", ", [for name in keys(var.push_subscriptions) : "${name}-dead-letter"])}) and replay after the fix."
    mime_type = "text/markdown"
  }
}

resource "google_monitoring_alert_policy" "database_connections" {
  project               = var.project_id
  display_name          = "[${var.environment}] Cloud SQL connections > ${var.db_connections_share * 100}%"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.channels

  conditions {
    display_name = "PostgreSQL backends"
    condition_threshold {
      filter          = "resource.type=\"cloudsql_database\" AND resource.label.database_id=\"${var.project_id}:${var.database_instance}\" AND metric.type=\"cloudsql.googleapis.com/database/postgresql/num_backends\""
      comparison      = "COMPARISON_GT"
      threshold_value = floor(var.database_max_connections * var.db_connections_share)
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_MEAN"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_alert_policy" "function_resources" {
  for_each = {
    memory = { metric = "run.googleapis.com/container/memory/utilizations", threshold = 0.85, severity = "CRITICAL" }
    cpu    = { metric = "run.googleapis.com/container/cpu/utilizations", threshold = 0.8, severity = "WARNING" }
  }
  project               = var.project_id
  display_name          = "[${var.environment}] Function ${each.key} > ${each.value.threshold * 100}%"
  combiner              = "OR"
  severity              = each.value.severity
  notification_channels = local.channels

  conditions {
    display_name = "p99 container ${each.key} utilization per function"
    condition_threshold {
      filter          = "resource.type=\"cloud_run_revision\" AND metric.type=\"${each.value.metric}\""
      comparison      = "COMPARISON_GT"
      threshold_value = each.value.threshold
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_PERCENTILE_99"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }
}

resource "google_monitoring_alert_policy" "low_throughput" {
  count                 = var.min_requests_per_second > 0 ? 1 : 0
  project               = var.project_id
  display_name          = "[${var.environment}] Throughput < ${var.min_requests_per_second} RPS"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = local.channels

  conditions {
    display_name = "Requests per second at the load balancer"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.lb_requests.name}\""
      comparison      = "COMPARISON_LT"
      threshold_value = var.min_requests_per_second
      duration        = "900s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_RATE"
        cross_series_reducer = "REDUCE_SUM"
      }
    }
  }
}

resource "google_monitoring_uptime_check_config" "health" {
  project      = var.project_id
  display_name = "[${var.environment}] https://${var.hostname}/health"
  timeout      = "10s"
  period       = "60s"

  http_check {
    path           = "/health"
    port           = 443
    use_ssl        = true
    validate_ssl   = true
    request_method = "GET"
    accepted_response_status_codes {
      status_class = "STATUS_CLASS_2XX"
    }
  }

  monitored_resource {
    type = "uptime_url"
    labels = {
      project_id = var.project_id
      host       = var.hostname
    }
  }

  content_matchers {
    content = "\"UP\""
    matcher = "CONTAINS_STRING"
  }
}

resource "google_monitoring_alert_policy" "uptime" {
  project               = var.project_id
  display_name          = "[${var.environment}] /health uptime check failing"
  combiner              = "OR"
  severity              = "CRITICAL"
  notification_channels = local.channels

  conditions {
    display_name = "Uptime check on /health"
    condition_threshold {
      filter          = "resource.type=\"uptime_url\" AND metric.type=\"monitoring.googleapis.com/uptime_check/check_passed\" AND metric.label.check_id=\"${google_monitoring_uptime_check_config.health.uptime_check_id}\""
      comparison      = "COMPARISON_GT"
      threshold_value = 1
      duration        = "120s"
      aggregations {
        alignment_period     = "120s"
        per_series_aligner   = "ALIGN_NEXT_OLDER"
        cross_series_reducer = "REDUCE_COUNT_FALSE"
        group_by_fields      = ["resource.label.host"]
      }
    }
  }
}

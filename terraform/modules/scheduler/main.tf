# One Cloud Scheduler job per schedule row, calling its function's URL directly with an OIDC token
# of the dedicated `scheduler` identity, which may invoke exactly the scheduled functions (and
# nothing else). No Pub/Sub hop: a failed call is retried by the job's retry_config.
#
# The scheduled functions are CloudEvent functions (@functions_framework.cloud_event), so the
# request is a binary-mode CloudEvent (ce-* headers, JSON body "{}"), which functions-framework
# 3.x parses with cloudevents.http.from_http (required: ce-id, ce-source, ce-type,
# ce-specversion). Headers are static, so every run of a job carries the same ce-id; the
# functions do not deduplicate on it (they are idempotent and safe to overlap), and Cloud Scheduler
# adds X-CloudScheduler-ScheduleTime to tell runs apart. tests/unit/test_scheduled_cloud_event.py
# posts exactly these headers and body to a scheduled function through functions-framework.

resource "google_cloud_scheduler_job" "job" {
  for_each    = var.schedules
  project     = var.project_id
  region      = var.region
  name        = "schedule-${each.key}"
  description = "Runs the ${each.key} function (${each.value.schedule} ${each.value.time_zone})."
  schedule    = each.value.schedule
  time_zone   = each.value.time_zone
  paused      = var.paused
  # Wait as long as the function may run (15 s - 30 min), or a long run would count as failed
  # and be retried while it is still going.
  attempt_deadline = "${min(1800, max(15, each.value.timeout_s + 30))}s"

  retry_config {
    retry_count          = var.retry_count
    min_backoff_duration = "10s"
    max_backoff_duration = "300s"
    max_doublings        = 3
    max_retry_duration   = "0s"
  }

  http_target {
    uri         = var.function_uris[each.key]
    http_method = "POST"
    body        = base64encode("{}")
    headers = {
      "Content-Type"   = "application/json"
      "ce-specversion" = "1.0"
      "ce-type"        = "google.cloud.scheduler.job.v1.executed"
      "ce-source"      = "//cloudscheduler.googleapis.com/projects/${var.project_id}/locations/${var.region}/jobs/schedule-${each.key}"
      "ce-id"          = "schedule-${each.key}"
    }

    oidc_token {
      service_account_email = var.service_account_email
      audience              = var.function_uris[each.key]
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.invoker]
}

# The scheduler identity may invoke exactly the scheduled functions.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = var.schedules
  project  = var.project_id
  location = var.region
  name     = var.function_services[each.key]
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.service_account_email}"
}

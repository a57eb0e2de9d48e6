# One Cloud Scheduler job per schedule row. Each publishes a tick to its topic "schedule-<name>";
# the tick reaches the function through the push subscription of modules/messaging, which is
# OIDC-authenticated (pubsub-push identity, run.invoker on that function only) and has a
# dead-letter topic. This is the same path `make run` simulates locally (functions/local/events.py:
# data "{}", attribute scheduler=<name>). Jobs must be idempotent and safe to overlap.

resource "google_cloud_scheduler_job" "job" {
  for_each    = var.schedules
  project     = var.project_id
  region      = var.region
  name        = "schedule-${each.key}"
  description = "Runs the ${each.key} function (${each.value.schedule} ${each.value.time_zone})."
  schedule    = each.value.schedule
  time_zone   = each.value.time_zone
  paused      = var.paused

  retry_config {
    retry_count          = var.retry_count
    min_backoff_duration = "10s"
    max_backoff_duration = "300s"
    max_doublings        = 3
    max_retry_duration   = "0s"
  }

  pubsub_target {
    topic_name = var.topic_ids[each.value.topic]
    data       = base64encode("{}")
    attributes = {
      scheduler = each.key
    }
  }
}

# Pub/Sub: the registry's topics; for every Pub/Sub row a push subscription to its function (OIDC
# token of the pubsub-push identity, which alone may invoke those functions), with retry backoff
# and a dead-letter topic that has its own pull subscription (so nothing dead-lettered is lost),
# and the IAM the Pub/Sub service agent needs for dead-lettering.
#
# The push endpoint carries the topic path (".../projects/P/topics/T"): functions-framework then
# sets the CloudEvent source to that topic when it converts the push envelope.

locals {
  # Schedule rows are called by Cloud Scheduler over HTTP (modules/scheduler), not through Pub/Sub.
  event_functions = { for name, f in var.functions : name => f if f.trigger == "pubsub" }
  publisher_bindings = {
    for pair in setproduct(var.topics, sort(keys(var.publishers))) :
    "${pair[0]}:${pair[1]}" => { topic = pair[0], member = var.publishers[pair[1]] }
  }
  pubsub_agent = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  project  = var.project_id
  service  = "pubsub.googleapis.com"
}

resource "google_pubsub_topic" "topic" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption at rest; messages carry ids and event types, no card data or credentials, so a customer-managed KMS key is not worth its operational cost here.
  for_each                   = toset(var.topics)
  project                    = var.project_id
  name                       = each.key
  labels                     = var.labels
  message_retention_duration = "86400s"
}

resource "google_pubsub_topic" "dead_letter" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption at rest, as for the source topics.
  for_each = local.event_functions
  project  = var.project_id
  name     = "${each.key}-dead-letter"
  labels   = merge(var.labels, { dead_letter_of = each.key })
}

# Dead letters wait here (7 days) for inspection and replay.
resource "google_pubsub_subscription" "dead_letter" {
  for_each                   = local.event_functions
  project                    = var.project_id
  name                       = "${each.key}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[each.key].id
  ack_deadline_seconds       = 60
  message_retention_duration = var.message_retention
  retain_acked_messages      = false
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }
}

resource "google_pubsub_subscription" "push" {
  for_each                   = local.event_functions
  project                    = var.project_id
  name                       = each.key
  topic                      = google_pubsub_topic.topic[each.value.topic].id
  ack_deadline_seconds       = min(600, max(10, each.value.timeout_s))
  message_retention_duration = var.message_retention
  retain_acked_messages      = false
  labels                     = var.labels

  expiration_policy {
    ttl = ""
  }

  retry_policy {
    minimum_backoff = var.minimum_backoff
    maximum_backoff = var.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  push_config {
    push_endpoint = "${var.function_uris[each.key]}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.function_uris[each.key]
    }

    attributes = {
      x-goog-version = "v1"
    }
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher]
}

# The Pub/Sub service agent forwards undeliverable messages: publisher on the dead-letter topic,
# subscriber on the source subscription.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = local.event_functions
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.pubsub_agent
}

resource "google_pubsub_subscription_iam_member" "source_subscriber" {
  for_each     = local.event_functions
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# The Pub/Sub service agent mints the push OIDC tokens as pubsub-push.
resource "google_service_account_iam_member" "agent_token_creator" {
  service_account_id = var.push_service_account_name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# pubsub-push may invoke exactly the Pub/Sub-triggered functions.
resource "google_cloud_run_v2_service_iam_member" "push_invoker" {
  for_each = local.event_functions
  project  = var.project_id
  location = var.region
  name     = var.function_services[each.key]
  role     = "roles/run.invoker"
  member   = "serviceAccount:${var.push_service_account_email}"
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.publisher_bindings
  project  = var.project_id
  topic    = google_pubsub_topic.topic[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = each.value.member
}

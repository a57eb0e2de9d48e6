variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "topics" {
  description = "Topics from the registry (the ones functions subscribe to and the ones the outbox publishes to)."
  type        = list(string)
}

variable "functions" {
  description = "The registry rows (generated tfvars); the pubsub rows get a push subscription."
  type = map(object({
    entry_point   = string
    module        = string
    trigger       = string
    role          = string
    paths         = list(string)
    memory_mb     = number
    cpu           = string
    timeout_s     = number
    max_instances = number
    min_instances = number
    concurrency   = number
    secrets       = list(string)
    topic         = optional(string)
    schedule      = optional(string)
  }))
}

variable "region" {
  description = "Region of the functions (for the invoker bindings on their Cloud Run services)."
  type        = string
}

variable "function_uris" {
  description = "Function name -> Cloud Run URL (push endpoint base and OIDC audience)."
  type        = map(string)
}

variable "function_services" {
  description = "Function name -> Cloud Run service name."
  type        = map(string)
}

variable "push_service_account_email" {
  description = "Identity of the push subscriptions' OIDC tokens (gets run.invoker on the event functions)."
  type        = string
}

variable "push_service_account_name" {
  description = "Resource name of that service account (the Pub/Sub service agent mints tokens for it)."
  type        = string
}

variable "publishers" {
  description = "Static key -> IAM member allowed to publish to the application topics."
  type        = map(string)
  default     = {}
}

variable "max_delivery_attempts" {
  description = "Deliveries before a message goes to the dead-letter topic (5-100)."
  type        = number
  default     = 10
  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be within 5-100."
  }
}

variable "minimum_backoff" {
  description = "Retry policy: first redelivery delay."
  type        = string
  default     = "10s"
}

variable "maximum_backoff" {
  description = "Retry policy: longest redelivery delay (at most 600s)."
  type        = string
  default     = "600s"
}

variable "message_retention" {
  description = "How long unacknowledged messages are kept (subscriptions and dead-letter subscriptions)."
  type        = string
  default     = "604800s"
}

variable "labels" {
  description = "Labels of topics and subscriptions."
  type        = map(string)
  default     = {}
}

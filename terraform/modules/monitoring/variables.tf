variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "environment" {
  description = "staging or production (in names and documentation)."
  type        = string
}

variable "hostname" {
  description = "Public hostname; the uptime check requests https://<hostname>/health."
  type        = string
}

variable "https_forwarding_rule" {
  description = "The load balancer's HTTPS forwarding rule (selects its request logs)."
  type        = string
}

variable "database_instance" {
  description = "Cloud SQL instance name (connections alert)."
  type        = string
}

variable "database_max_connections" {
  description = "The instance's max_connections."
  type        = number
}

variable "push_subscriptions" {
  description = "Function name -> push subscription (dead-letter alert)."
  type        = map(string)
}

variable "notification_channels" {
  description = "Existing notification channel ids alerts go to."
  type        = list(string)
  default     = []
}

variable "alert_email" {
  description = "An e-mail address to create a notification channel for (empty: none)."
  type        = string
  default     = ""
}

variable "error_rate_threshold" {
  description = "5xx share of load balancer requests above which the availability alert fires (spec: 1%)."
  type        = number
  default     = 0.01
}

variable "latency_p95_warning_s" {
  description = "p95 latency warning threshold in seconds (spec: 500 ms)."
  type        = number
  default     = 0.5
}

variable "latency_p95_critical_s" {
  description = "p95 latency critical threshold in seconds (spec: 1000 ms)."
  type        = number
  default     = 1.0
}

variable "payment_failure_rate_threshold" {
  description = "Failed share of payment outcomes above which the alert fires (spec: 5%)."
  type        = number
  default     = 0.05
}

variable "db_connections_share" {
  description = "Share of max_connections in use above which the alert fires (spec: 80%)."
  type        = number
  default     = 0.8
}

variable "min_requests_per_second" {
  description = "Warn below this throughput (spec: 10 RPS); 0 disables the alert (new or quiet environments)."
  type        = number
  default     = 0
}

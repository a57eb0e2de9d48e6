variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "environment" {
  description = "staging or production (labels only)."
  type        = string
}

variable "runtime_roles" {
  description = "Function roles in use (api, webhooks, sync, jobs): one runtime service account each."
  type        = set(string)
}

variable "secret_consumers" {
  description = "Secret name (the environment variable) -> the runtime roles whose functions read it."
  type        = map(set(string))
}

variable "migrations_secrets" {
  description = "Secrets the migrations job reads."
  type        = set(string)
  default     = ["DATABASE_URL"]
}

variable "sync_all_secrets" {
  description = "Secrets the sync-all job reads."
  type        = set(string)
}

variable "labels" {
  description = "Labels for the secrets."
  type        = map(string)
  default     = {}
}

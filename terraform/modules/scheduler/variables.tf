variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "Cloud Scheduler location (also the functions' region)."
  type        = string
}

variable "schedules" {
  description = "Schedule row name -> {schedule (unix-cron), time_zone, timeout_s}, from the generated tfvars."
  type = map(object({
    schedule  = string
    time_zone = string
    timeout_s = number
  }))
}

variable "function_uris" {
  description = "Function name -> Cloud Run URL (the job's target and its OIDC audience)."
  type        = map(string)
}

variable "function_services" {
  description = "Function name -> Cloud Run service name (for the invoker bindings)."
  type        = map(string)
}

variable "service_account_email" {
  description = "The scheduler identity: signs the OIDC tokens, gets run.invoker on the scheduled functions only."
  type        = string
}

variable "paused" {
  description = "Create the jobs paused (e.g. while a new environment is being filled)."
  type        = bool
  default     = false
}

variable "retry_count" {
  description = "Attempts after a failed call (0-5)."
  type        = number
  default     = 3
}

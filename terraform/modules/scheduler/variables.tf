variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "Cloud Scheduler location."
  type        = string
}

variable "schedules" {
  description = "Schedule row name -> {schedule (unix-cron), time_zone, topic}, from the generated tfvars."
  type = map(object({
    schedule  = string
    time_zone = string
    topic     = string
  }))
}

variable "topic_ids" {
  description = "Topic name -> id; each job publishes to its schedule-<name> topic."
  type        = map(string)
}

variable "paused" {
  description = "Create the jobs paused (e.g. while a new environment is being filled)."
  type        = bool
  default     = false
}

variable "retry_count" {
  description = "Attempts after a failed publish (0-5)."
  type        = number
  default     = 3
}

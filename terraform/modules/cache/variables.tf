variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "Region of the instance."
  type        = string
}

variable "name" {
  description = "Instance name."
  type        = string
}

variable "network_id" {
  description = "VPC the instance is reachable from (private services access must exist)."
  type        = string
}

variable "tier" {
  description = "STANDARD_HA (replicated, production) or BASIC."
  type        = string
  validation {
    condition     = contains(["STANDARD_HA", "BASIC"], var.tier)
    error_message = "tier must be STANDARD_HA or BASIC."
  }
}

variable "memory_size_gb" {
  description = "Memory of the instance."
  type        = number
  default     = 1
}

variable "redis_version" {
  description = "Redis version."
  type        = string
  default     = "REDIS_7_2"
}

variable "labels" {
  description = "Labels of the instance."
  type        = map(string)
  default     = {}
}

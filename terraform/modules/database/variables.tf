variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "Region of the instance."
  type        = string
}

variable "name" {
  description = "Instance name, e.g. platform-production."
  type        = string
}

variable "network_id" {
  description = "VPC the instance gets its private IP in (private services access must exist)."
  type        = string
}

variable "tier" {
  description = "Machine tier, e.g. db-custom-2-7680."
  type        = string
}

variable "availability_type" {
  description = "REGIONAL (high availability, production) or ZONAL."
  type        = string
  validation {
    condition     = contains(["REGIONAL", "ZONAL"], var.availability_type)
    error_message = "availability_type must be REGIONAL or ZONAL."
  }
}

variable "disk_size_gb" {
  description = "Initial disk size; the disk grows automatically."
  type        = number
  default     = 20
}

variable "max_connections" {
  description = "PostgreSQL max_connections: at least the sum over functions of max instances x pool size."
  type        = number
}

variable "deletion_protection" {
  description = "Refuse terraform destroy and API deletion of the instance."
  type        = bool
  default     = true
}

variable "database_name" {
  description = "The application database."
  type        = string
  default     = "platform"
}

variable "iam_service_accounts" {
  description = "Key -> email of service accounts that log in with IAM database authentication."
  type        = map(string)
}

variable "labels" {
  description = "Labels of the instance."
  type        = map(string)
  default     = {}
}

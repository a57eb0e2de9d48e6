variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "Region of the subnet and the Serverless VPC Access connector."
  type        = string
}

variable "name" {
  description = "Name prefix of the network resources, e.g. platform-staging."
  type        = string
}

variable "connector_cidr" {
  description = "A free /28 for the Serverless VPC Access connector subnet."
  type        = string
  default     = "10.8.0.0/28"
}

variable "private_services_prefix_length" {
  description = "Size of the range reserved for private services access (Cloud SQL, Memorystore)."
  type        = number
  default     = 16
}

variable "connector_machine_type" {
  description = "Machine type of the connector's instances."
  type        = string
  default     = "e2-micro"
}

variable "connector_min_instances" {
  description = "Minimum connector instances (2-9)."
  type        = number
  default     = 2
}

variable "connector_max_instances" {
  description = "Maximum connector instances (3-10)."
  type        = number
  default     = 3
}

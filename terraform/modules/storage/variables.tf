variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "location" {
  description = "Bucket location (the region)."
  type        = string
}

variable "name_prefix" {
  description = "Globally unique prefix of the bucket names, e.g. <project>-platform."
  type        = string
}

variable "exports_retention_days" {
  description = "Exports are deleted after this many days."
  type        = number
  default     = 30
}

variable "qr_noncurrent_retention_days" {
  description = "Overwritten or deleted QR images stay recoverable this many days."
  type        = number
  default     = 30
}

variable "qr_writers" {
  description = "Static key -> IAM member of those that create and read QR images."
  type        = map(string)
  default     = {}
}

variable "exports_writers" {
  description = "Static key -> IAM member of those that write and read exports."
  type        = map(string)
  default     = {}
}

variable "source_readers" {
  description = "Static key -> IAM member of those that read the function source archives (the image builder)."
  type        = map(string)
  default     = {}
}

variable "force_destroy" {
  description = "Let terraform destroy non-empty buckets (never in production)."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels of the buckets."
  type        = map(string)
  default     = {}
}

variable "project_id" {
  description = "The Google Cloud project of the environment (one project per environment)."
  type        = string
}

variable "region" {
  description = "Region of everything regional."
  type        = string
}

variable "environment" {
  description = "staging or production."
  type        = string
  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "hostname" {
  description = "The public hostname of the API (managed certificate, uptime check, PUBLIC_BASE_URL)."
  type        = string
}

# --- from terraform/generated/functions.tfvars.json (python -m functions.terraform_vars --write) ----

variable "functions" {
  description = "The function registry rows."
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

variable "topics" {
  description = "Pub/Sub topics of the registry (application topics; schedules call their functions over HTTP)."
  type        = list(string)
}

variable "schedules" {
  description = "Schedule rows -> {schedule, time_zone, timeout_s}."
  type = map(object({
    schedule  = string
    time_zone = string
    timeout_s = number
  }))
}

variable "routes" {
  description = "Load balancer route rules generated from the registry paths."
  type = list(object({
    priority = number
    function = string
    prefix   = string
    matches = list(object({
      full_path_match     = optional(string)
      prefix_match        = optional(string)
      path_template_match = optional(string)
    }))
  }))
}

# --- code -----------------------------------------------------------------------------------------

variable "source_dir" {
  description = "The repository root, archived for the functions."
  type        = string
}

variable "archive_output_path" {
  description = "Local path of the source archive."
  type        = string
}

variable "artifact_repository" {
  description = "Artifact Registry Docker repository (created at bootstrap) for function and job images."
  type        = string
  default     = "platform"
}

variable "migrations_image" {
  description = "The image Cloud Build built from this commit (buildpacks), run by the migrations job."
  type        = string
}

# --- sizing ----------------------------------------------------------------------------------------

variable "db_tier" {
  description = "Cloud SQL machine tier."
  type        = string
}

variable "db_availability_type" {
  description = "REGIONAL (HA) or ZONAL."
  type        = string
}

variable "db_disk_size_gb" {
  description = "Initial Cloud SQL disk size."
  type        = number
  default     = 20
}

variable "db_max_connections" {
  description = "PostgreSQL max_connections."
  type        = number
}

variable "db_pool_size_max" {
  description = "Upper bound of DB_POOL_SIZE; each function's pool is min(its concurrency, this)."
  type        = number
  default     = 8
}

variable "deletion_protection" {
  description = "Protect the database from deletion."
  type        = bool
  default     = true
}

variable "redis_tier" {
  description = "STANDARD_HA or BASIC."
  type        = string
}

variable "redis_memory_gb" {
  description = "Memorystore size."
  type        = number
  default     = 1
}

variable "connector_cidr" {
  description = "/28 of the VPC connector subnet."
  type        = string
  default     = "10.8.0.0/28"
}

variable "connector_min_instances" {
  description = "Minimum VPC connector instances."
  type        = number
  default     = 2
}

variable "connector_max_instances" {
  description = "Maximum VPC connector instances."
  type        = number
  default     = 3
}

variable "max_instances_cap" {
  description = "Upper bound on every function's max instances; null keeps the registry's."
  type        = number
  default     = null
}

variable "min_instances_enabled" {
  description = "Keep the registry's min instances warm."
  type        = bool
  default     = true
}

variable "bucket_force_destroy" {
  description = "Allow destroying non-empty buckets."
  type        = bool
  default     = false
}

# --- behaviour -------------------------------------------------------------------------------------

variable "app_env" {
  description = "Extra plain environment variables of the functions (JWT_ISSUER, SUPABASE_JWKS_URL, CORS_ALLOWED_ORIGINS, CREDENTIALS_ACTIVE_KEY_ID, ...). Never secrets."
  type        = map(string)
  default     = {}
}

variable "secret_versions" {
  description = "Secret name -> pinned version (default latest)."
  type        = map(string)
  default     = {}
}

variable "max_delivery_attempts" {
  description = "Pub/Sub deliveries before dead-lettering."
  type        = number
  default     = 10
}

variable "rate_limit_requests" {
  description = "Cloud Armor: requests per client IP per minute before 429."
  type        = number
  default     = 600
}

variable "waf_preview" {
  description = "Cloud Armor WAF rules only log (tuning)."
  type        = bool
  default     = false
}

variable "scheduler_paused" {
  description = "Create the Cloud Scheduler jobs paused."
  type        = bool
  default     = false
}

variable "alert_email" {
  description = "E-mail address for alerts (empty: none)."
  type        = string
  default     = ""
}

variable "notification_channels" {
  description = "Existing notification channel ids for alerts."
  type        = list(string)
  default     = []
}

variable "min_requests_per_second" {
  description = "Low-throughput warning threshold (0 disables)."
  type        = number
  default     = 0
}

variable "labels" {
  description = "Extra labels."
  type        = map(string)
  default     = {}
}

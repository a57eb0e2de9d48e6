variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "Region of the functions and the migrations job."
  type        = string
}

variable "functions" {
  description = "The registry rows, from terraform/generated/functions.tfvars.json (never edit by hand)."
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

  validation {
    condition     = alltrue([for f in values(var.functions) : contains(["http", "pubsub", "schedule"], f.trigger)])
    error_message = "trigger must be http, pubsub or schedule."
  }
}

variable "source_dir" {
  description = "The repository root: main.py, requirements.txt, functions/, shared/, migrations/."
  type        = string
}

variable "source_excludes" {
  description = "Paths (globs, relative to source_dir) left out of the source archive."
  type        = list(string)
  default = [
    ".git", ".git/**",
    ".venv", ".venv/**",
    ".venv-tools", ".venv-tools/**",
    ".local", ".local/**",
    ".ci", ".ci/**",
    ".mypy_cache", ".mypy_cache/**",
    ".pytest_cache", ".pytest_cache/**",
    ".ruff_cache", ".ruff_cache/**",
    "**/__pycache__", "**/__pycache__/**",
    "benchmarks", "benchmarks/**",
    "docs", "docs/**",
    "terraform", "terraform/**",
    "tests", "tests/**",
    "cloudbuild.yaml",
    "Makefile",
    "README.md",
    ".gitignore",
    ".gcloudignore",
    "requirements-dev.txt",
    "requirements-tools.txt",
  ]
}

variable "archive_output_path" {
  description = "Where the source archive is written locally before upload."
  type        = string
}

variable "sources_bucket" {
  description = "Bucket the source archive is uploaded to."
  type        = string
}

variable "docker_repository" {
  description = "Artifact Registry repository for the function images (projects/P/locations/R/repositories/N)."
  type        = string
}

variable "builder_service_account_id" {
  description = "Service account (resource id) that builds the function images."
  type        = string
}

variable "runtime_emails" {
  description = "Role (api, webhooks, sync, jobs) -> runtime service account email."
  type        = map(string)
}

variable "connector_id" {
  description = "Serverless VPC Access connector every function and the job egress private ranges through."
  type        = string
}

variable "env_vars" {
  description = "Plain environment variables of every function (no secrets here)."
  type        = map(string)
}

variable "secret_ids" {
  description = "Secret (environment variable name) -> Secret Manager secret id."
  type        = map(string)
}

variable "secret_versions" {
  description = "Secret name -> version to pin; unlisted secrets use latest (read when an instance starts)."
  type        = map(string)
  default     = {}
}

variable "max_instances_cap" {
  description = "Upper bound on every function's max instances (e.g. small in staging); null: the registry's."
  type        = number
  default     = null
}

variable "min_instances_enabled" {
  description = "Keep the registry's min instances warm (production); false sets them to 0."
  type        = bool
  default     = true
}

variable "db_pool_size_max" {
  description = "Upper bound of a function's DB_POOL_SIZE, which is min(its concurrency, this)."
  type        = number
  default     = 8
}

variable "public_http_invoker" {
  description = "Let the load balancer invoke the HTTP functions (allUsers run.invoker; ingress stays internal-and-GCLB, and the functions authenticate callers themselves)."
  type        = bool
  default     = true
}

variable "migrations_image" {
  description = "Image of this repository built by Cloud Build (buildpacks), run by the migrations and sync-all jobs."
  type        = string
}

variable "migrations_service_account" {
  description = "Service account email of the migrations job."
  type        = string
}

variable "migrations_env" {
  description = "Plain environment variables of the migrations job."
  type        = map(string)
  default     = {}
}

variable "migrations_secrets" {
  description = "Secrets the migrations job reads as environment variables."
  type        = list(string)
  default     = ["DATABASE_URL"]
}

variable "sync_all_service_account" {
  description = "Service account email of the sync-all job."
  type        = string
}

variable "sync_all_secrets" {
  description = "Secrets the sync-all job reads (those of everflow-sync, which runs the same sync code)."
  type        = list(string)
}

variable "sync_all_launcher" {
  description = "The registry row serving the sync-all routes: gets SYNC_ALL_CLOUD_RUN_JOB, and its identity may run the job."
  type        = string
  default     = "everflow-api"
}

variable "sync_all_timeout" {
  description = "Longest run of the sync-all job; a run stopped here resumes from its cursor when started again."
  type        = string
  default     = "21600s"
}

variable "labels" {
  description = "Labels of the functions and the job."
  type        = map(string)
  default     = {}
}

variable "project_id" {
  description = "The Google Cloud project of this environment."
  type        = string
}

variable "region" {
  description = "Region of everything regional."
  type        = string
  default     = "us-central1"
}

variable "hostname" {
  description = "Public hostname of the API, e.g. api.example.com (its DNS A record -> load_balancer_ip)."
  type        = string
}

variable "migrations_image" {
  description = "Image built by Cloud Build for this commit, e.g. us-central1-docker.pkg.dev/<project>/platform/app:<sha>."
  type        = string
}

variable "app_env" {
  description = "Plain (non-secret) settings of the functions: JWT_ISSUER, SUPABASE_JWKS_URL, CORS_ALLOWED_ORIGINS, CREDENTIALS_ACTIVE_KEY_ID, EVERFLOW_BASE_URL, STRIPE_PUBLISHABLE_KEY, ..."
  type        = map(string)
  default     = {}
}

variable "alert_email" {
  description = "Where alerts are e-mailed (empty: no e-mail channel)."
  type        = string
  default     = ""
}

variable "notification_channels" {
  description = "Existing Cloud Monitoring notification channel ids."
  type        = list(string)
  default     = []
}

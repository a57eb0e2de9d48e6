variable "project_id" {
  description = "The Google Cloud project of the environment."
  type        = string
}

variable "region" {
  description = "Region of the functions (their serverless NEGs)."
  type        = string
}

variable "name" {
  description = "Name prefix of the load balancer resources."
  type        = string
}

variable "hostname" {
  description = "The one public hostname (managed certificate; DNS A record -> the address output)."
  type        = string
}

variable "http_functions" {
  description = "HTTP function name -> Cloud Run service name (one serverless NEG and backend each)."
  type        = map(string)
}

variable "routes" {
  description = "Route rules from the generated tfvars, in priority order (most specific first)."
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

variable "rate_limit_requests" {
  description = "Per client IP: requests allowed per rate_limit_interval_s before 429s."
  type        = number
  default     = 600
}

variable "rate_limit_interval_s" {
  description = "Window of the per-IP rate limit."
  type        = number
  default     = 60
}

variable "rate_limit_ban_s" {
  description = "How long an IP that keeps exceeding the limit is banned."
  type        = number
  default     = 300
}

variable "waf_rules" {
  description = "Preconfigured WAF rule sets (evaluatePreconfiguredWaf) denied with 403."
  type        = list(string)
  default = [
    "sqli-v33-stable",
    "xss-v33-stable",
    "lfi-v33-stable",
    "rfi-v33-stable",
    "rce-v33-stable",
    "methodenforcement-v33-stable",
    "scannerdetection-v33-stable",
    "protocolattack-v33-stable",
    "sessionfixation-v33-stable",
  ]
}

variable "waf_sensitivity" {
  description = "Sensitivity (paranoia level) of the WAF rule sets: 1 has the fewest false positives."
  type        = number
  default     = 1
}

variable "waf_exempt_path_prefixes" {
  description = "Signed webhook bodies are verified by the functions and skip the body-inspecting WAF rules."
  type        = list(string)
  default     = ["/api/v1/public/webhooks/"]
}

variable "waf_preview" {
  description = "Log WAF matches without blocking (to tune a new environment)."
  type        = bool
  default     = false
}

# Staging: the production shape at a smaller size — zonal database, basic Redis, no warm
# instances, at most 3 instances per function, WAF in preview so false positives show in logs.

locals {
  # Generated from functions/registry.py; a unit test fails when it drifts.
  registry = jsondecode(file("${path.module}/../../generated/functions.tfvars.json"))
}

module "platform" {
  source      = "../../modules/platform"
  project_id  = var.project_id
  region      = var.region
  environment = "staging"
  hostname    = var.hostname

  functions = local.registry.functions
  topics    = local.registry.topics
  schedules = local.registry.schedules
  routes    = local.registry.routes

  source_dir          = "${path.module}/../../.."
  archive_output_path = "${path.module}/.terraform/build/functions-source.zip"
  migrations_image    = var.migrations_image

  db_tier               = "db-custom-1-3840"
  db_availability_type  = "ZONAL"
  db_max_connections    = 250
  db_pool_size_max      = 4
  deletion_protection   = true
  redis_tier            = "BASIC"
  redis_memory_gb       = 1
  max_instances_cap     = 2 # every function x 2 instances x pool 4 stays under max_connections (the plan checks it)
  min_instances_enabled = false

  waf_preview           = true
  rate_limit_requests   = 600
  app_env               = var.app_env
  alert_email           = var.alert_email
  notification_channels = var.notification_channels
}

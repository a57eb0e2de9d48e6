# Production: highly available database (REGIONAL) and Redis (STANDARD_HA), warm instances where
# the registry asks for them, WAF enforcing.

locals {
  # Generated from functions/registry.py; a unit test fails when it drifts.
  registry = jsondecode(file("${path.module}/../../generated/functions.tfvars.json"))
}

module "platform" {
  source      = "../../modules/platform"
  project_id  = var.project_id
  region      = var.region
  environment = "production"
  hostname    = var.hostname

  functions = local.registry.functions
  topics    = local.registry.topics
  schedules = local.registry.schedules
  routes    = local.registry.routes

  source_dir          = "${path.module}/../../.."
  archive_output_path = "${path.module}/.terraform/build/functions-source.zip"
  migrations_image    = var.migrations_image

  db_tier                 = "db-custom-4-15360"
  db_availability_type    = "REGIONAL"
  db_disk_size_gb         = 50
  db_max_connections      = 1250 # at least the functions' and sync-all runs' peak connections (the plan checks it)
  db_pool_size_max        = 8
  deletion_protection     = true
  redis_tier              = "STANDARD_HA"
  redis_memory_gb         = 5
  connector_min_instances = 2
  connector_max_instances = 10
  min_instances_enabled   = true

  waf_preview             = false
  rate_limit_requests     = 600
  min_requests_per_second = 0
  app_env                 = var.app_env
  alert_email             = var.alert_email
  notification_channels   = var.notification_channels
}

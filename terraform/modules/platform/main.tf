# The whole deployment of one environment, composed from the modules. Both environments call this
# module with their own sizes; the function registry arrives through the generated tfvars file.

locals {
  name   = "platform-${var.environment}"
  labels = merge(var.labels, { app = "affiliate-platform", environment = var.environment, managed_by = "terraform" })

  runtime_roles = toset([for f in values(var.functions) : f.role])
  secret_names  = distinct(flatten([for f in values(var.functions) : f.secrets]))
  secret_consumers = {
    for secret in local.secret_names : secret => toset([for f in values(var.functions) : f.role if contains(f.secrets, secret)])
  }
  http_functions = { for name, f in var.functions : name => f if f.trigger == "http" }

  # The sync-all job runs the same sync code as everflow-sync, so it reads the same secrets.
  sync_all_secrets = var.functions["everflow-sync"].secrets
  # At most one sync-all run per syncable kind (advertiser, affiliate, campaign) at a time.
  sync_all_peak_runs = 3

  # Connections the functions can open at most: instances x pool size, where a function's pool is
  # min(concurrency, db_pool_size_max) (no more connections than concurrent requests), plus the
  # sync-all runs (DB_POOL_SIZE min(5, db_pool_size_max) each); checked against max_connections.
  peak_db_connections = sum(concat([
    for f in values(var.functions) :
    (var.max_instances_cap == null ? f.max_instances : min(f.max_instances, var.max_instances_cap)) * min(f.concurrency, var.db_pool_size_max)
  ], [local.sync_all_peak_runs * min(5, var.db_pool_size_max)]))

  function_env = merge(var.app_env, {
    APP_ENV              = "production"
    DEPLOY_ENVIRONMENT   = var.environment
    EVENT_BUS            = "pubsub"
    GOOGLE_CLOUD_PROJECT = var.project_id
    TRUSTED_PROXY_HOPS   = "2"
    QR_BUCKET            = module.storage.qr_bucket
    EXPORTS_BUCKET       = module.storage.exports_bucket
    PUBLIC_BASE_URL      = "https://${var.hostname}"
    CLOUD_SQL_INSTANCE   = module.database.connection_name
    REDIS_CA_CERT        = join("\n", module.cache.server_ca_certs) # the only CAs the Redis TLS trusts
    LOG_LEVEL            = lookup(var.app_env, "LOG_LEVEL", "INFO")
  })

  required_apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "redis.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "storage.googleapis.com",
    "vpcaccess.googleapis.com",
  ]
}

resource "google_project_service" "enabled" {
  for_each           = toset(local.required_apis)
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "terraform_data" "capacity" {
  input = local.peak_db_connections

  lifecycle {
    precondition {
      condition     = local.peak_db_connections <= var.db_max_connections
      error_message = "Functions could open ${local.peak_db_connections} connections (max instances x pool size); raise db_max_connections or lower max_instances_cap / db_pool_size_max."
    }
  }
}

module "network" {
  source                  = "../network"
  project_id              = var.project_id
  region                  = var.region
  name                    = local.name
  connector_cidr          = var.connector_cidr
  connector_min_instances = var.connector_min_instances
  connector_max_instances = var.connector_max_instances

  depends_on = [google_project_service.enabled]
}

module "iam" {
  source           = "../iam"
  project_id       = var.project_id
  environment      = var.environment
  runtime_roles    = local.runtime_roles
  secret_consumers = local.secret_consumers
  sync_all_secrets = local.sync_all_secrets
  labels           = local.labels

  depends_on = [google_project_service.enabled]
}

module "database" {
  source              = "../database"
  project_id          = var.project_id
  region              = var.region
  name                = local.name
  network_id          = module.network.network_id
  tier                = var.db_tier
  availability_type   = var.db_availability_type
  disk_size_gb        = var.db_disk_size_gb
  max_connections     = var.db_max_connections
  deletion_protection = var.deletion_protection
  labels              = local.labels
  iam_service_accounts = merge(
    { for role in local.runtime_roles : role => module.iam.runtime_emails[role] },
    { migrations = module.iam.migrations_email, sync_all = module.iam.sync_all_email },
  )

  depends_on = [module.network]
}

module "cache" {
  source         = "../cache"
  project_id     = var.project_id
  region         = var.region
  name           = local.name
  network_id     = module.network.network_id
  tier           = var.redis_tier
  memory_size_gb = var.redis_memory_gb
  labels         = local.labels

  depends_on = [module.network]
}

module "storage" {
  source        = "../storage"
  project_id    = var.project_id
  location      = var.region
  name_prefix   = "${var.project_id}-${local.name}"
  force_destroy = var.bucket_force_destroy
  labels        = local.labels
  qr_writers    = { for role in setintersection(local.runtime_roles, ["api"]) : role => module.iam.runtime_members[role] }
  exports_writers = {
    for role in setintersection(local.runtime_roles, ["api", "jobs"]) : role => module.iam.runtime_members[role]
  }
  source_readers = { builder = "serviceAccount:${module.iam.builder_email}" }

  depends_on = [google_project_service.enabled]
}

module "functions" {
  source                     = "../functions"
  project_id                 = var.project_id
  region                     = var.region
  functions                  = var.functions
  source_dir                 = var.source_dir
  archive_output_path        = var.archive_output_path
  sources_bucket             = module.storage.sources_bucket
  docker_repository          = "projects/${var.project_id}/locations/${var.region}/repositories/${var.artifact_repository}"
  builder_service_account_id = module.iam.builder_id
  runtime_emails             = module.iam.runtime_emails
  connector_id               = module.network.connector_id
  env_vars                   = local.function_env
  secret_ids                 = module.iam.secret_ids
  secret_versions            = var.secret_versions
  max_instances_cap          = var.max_instances_cap
  min_instances_enabled      = var.min_instances_enabled
  db_pool_size_max           = var.db_pool_size_max
  migrations_image           = var.migrations_image
  migrations_service_account = module.iam.migrations_email
  migrations_env = {
    GOOGLE_CLOUD_PROJECT = var.project_id
    DEPLOY_ENVIRONMENT   = var.environment
    LOG_LEVEL            = "INFO"
  }
  sync_all_service_account = module.iam.sync_all_email
  sync_all_secrets         = local.sync_all_secrets
  labels = local.labels
}

module "messaging" {
  source                     = "../messaging"
  project_id                 = var.project_id
  region                     = var.region
  topics                     = var.topics
  functions                  = var.functions
  function_uris              = module.functions.uris
  function_services          = module.functions.names
  push_service_account_email = module.iam.pubsub_push_email
  push_service_account_name  = module.iam.pubsub_push_name
  publishers                 = { for role in local.runtime_roles : role => module.iam.runtime_members[role] }
  max_delivery_attempts      = var.max_delivery_attempts
  labels                     = local.labels

  depends_on = [google_project_service.enabled]
}

module "scheduler" {
  source                = "../scheduler"
  project_id            = var.project_id
  region                = var.region
  schedules             = var.schedules
  function_uris         = module.functions.uris
  function_services     = module.functions.names
  service_account_email = module.iam.scheduler_email
  paused                = var.scheduler_paused

  depends_on = [google_project_service.enabled]
}

module "edge" {
  source              = "../edge"
  project_id          = var.project_id
  region              = var.region
  name                = local.name
  hostname            = var.hostname
  http_functions      = { for name in keys(local.http_functions) : name => module.functions.names[name] }
  routes              = var.routes
  rate_limit_requests = var.rate_limit_requests
  waf_preview         = var.waf_preview

  depends_on = [google_project_service.enabled]
}

module "monitoring" {
  source                   = "../monitoring"
  project_id               = var.project_id
  environment              = var.environment
  hostname                 = var.hostname
  https_forwarding_rule    = module.edge.https_forwarding_rule
  database_instance        = module.database.instance_name
  database_max_connections = var.db_max_connections
  push_subscriptions       = module.messaging.push_subscriptions
  alert_email              = var.alert_email
  notification_channels    = var.notification_channels
  min_requests_per_second  = var.min_requests_per_second

  depends_on = [google_project_service.enabled]
}

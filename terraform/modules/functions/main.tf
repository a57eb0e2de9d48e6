# One source archive of the repository root, named by its content hash (a code change gives a new
# object name, hence a new build of every function), and one Cloud Functions (2nd gen) function per
# registry row. HTTP rows sit behind the load balancer (ingress internal-and-GCLB); Pub/Sub and
# schedule rows are CloudEvent functions invoked over HTTP, with ingress internal only and no
# event_trigger: Pub/Sub rows by our own push subscriptions (modules/messaging, so they can have
# dead-letter topics; the Eventarc-managed subscription cannot carry a dead-letter policy), schedule
# rows by their Cloud Scheduler job (modules/scheduler, OIDC). Also two Cloud Run jobs from the
# image Cloud Build builds of the same commit: `migrations` and `sync-all`.

locals {
  http_functions = { for name, f in var.functions : name => f if f.trigger == "http" }

  # What shared/adapters/job_launcher.py expects: projects/<p>/locations/<r>/jobs/<name>.
  sync_all_job = "projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.sync_all.name}"
}

data "archive_file" "source" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = var.archive_output_path
  excludes    = var.source_excludes
}

resource "google_storage_bucket_object" "source" {
  name         = "functions/source-${data.archive_file.source.output_md5}.zip"
  bucket       = var.sources_bucket
  source       = data.archive_file.source.output_path
  content_type = "application/zip"
}

resource "google_cloudfunctions2_function" "function" {
  for_each    = var.functions
  project     = var.project_id
  name        = each.key
  location    = var.region
  description = "${each.value.module}.${each.value.entry_point} (${each.value.trigger})"
  labels      = merge(var.labels, { role = each.value.role, trigger = each.value.trigger })

  build_config {
    runtime           = "python311"
    entry_point       = each.value.entry_point
    docker_repository = var.docker_repository
    service_account   = var.builder_service_account_id

    source {
      storage_source {
        bucket = var.sources_bucket
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    available_memory                 = "${each.value.memory_mb}M"
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout_s
    max_instance_count               = var.max_instances_cap == null ? each.value.max_instances : min(each.value.max_instances, var.max_instances_cap)
    min_instance_count               = var.min_instances_enabled ? each.value.min_instances : 0
    max_instance_request_concurrency = each.value.concurrency
    ingress_settings                 = each.value.trigger == "http" ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_INTERNAL_ONLY"
    all_traffic_on_latest_revision   = true
    service_account_email            = var.runtime_emails[each.value.role]
    vpc_connector                    = var.connector_id
    vpc_connector_egress_settings    = "PRIVATE_RANGES_ONLY"

    # LOG_EXECUTION_ID is injected by the platform; declaring it avoids a permanent diff.
    environment_variables = merge(var.env_vars, {
      FUNCTION_ROLE    = each.value.role
      REQUIRED_SECRETS = join(",", each.value.secrets)
      DB_POOL_SIZE     = tostring(min(each.value.concurrency, var.db_pool_size_max))
      LOG_EXECUTION_ID = "true"
    }, each.key == var.sync_all_launcher ? { SYNC_ALL_CLOUD_RUN_JOB = local.sync_all_job } : {})

    dynamic "secret_environment_variables" {
      for_each = toset(each.value.secrets)
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = var.secret_ids[secret_environment_variables.value]
        version    = lookup(var.secret_versions, secret_environment_variables.value, "latest")
      }
    }
  }

  lifecycle {
    precondition {
      condition     = each.value.concurrency == 1 || tonumber(each.value.cpu) >= 1
      error_message = "A concurrency above 1 needs at least 1 vCPU (regenerate the tfvars)."
    }
    precondition {
      condition     = each.value.trigger != "pubsub" || each.value.timeout_s <= 600
      error_message = "Push-invoked functions must finish within the 600 s ack deadline."
    }
  }
}

# The load balancer forwards unauthenticated requests; ingress internal-and-GCLB keeps the
# run.app URL closed to the internet, and the functions authenticate callers themselves
# (Supabase JWTs, webhook signatures).
resource "google_cloud_run_v2_service_iam_member" "load_balancer_invoker" {
  for_each = var.public_http_invoker ? local.http_functions : {}
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# `python -m migrations up` from the same code, as a Cloud Run job (run by Cloud Build before the
# functions are updated). Owner login from DATABASE_URL; advisory-locked, so a second run fails fast.
resource "google_cloud_run_v2_job" "migrations" {
  project             = var.project_id
  name                = "migrations"
  location            = var.region
  labels              = var.labels
  deletion_protection = false

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account       = var.migrations_service_account
      timeout               = "900s"
      max_retries           = 0
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

      vpc_access {
        connector = var.connector_id
        egress    = "PRIVATE_RANGES_ONLY"
      }

      containers {
        image   = var.migrations_image
        command = ["launcher"]
        args    = ["python", "-m", "migrations", "up"]

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }

        dynamic "env" {
          for_each = var.migrations_env
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "env" {
          for_each = toset(var.migrations_secrets)
          content {
            name = env.value
            value_source {
              secret_key_ref {
                secret  = var.secret_ids[env.value]
                version = lookup(var.secret_versions, env.value, "latest")
              }
            }
          }
        }
      }
    }
  }
}

# `python -m functions.sync_all`: the long sync-all runs, which a function cannot host (it only has
# CPU while it answers). The launching function (var.sync_all_launcher) executes it with overridden
# args `python -m functions.sync_all --kind K --job-id N` (shared/adapters/job_launcher.py); the
# default args below only say what the job is. Same code, secrets and VPC access as everflow-sync.
resource "google_cloud_run_v2_job" "sync_all" {
  project             = var.project_id
  name                = "sync-all"
  location            = var.region
  labels              = var.labels
  deletion_protection = false

  template {
    task_count  = 1
    parallelism = 1

    template {
      service_account       = var.sync_all_service_account
      timeout               = var.sync_all_timeout
      max_retries           = 1 # a retry resumes after the job's cursor (same --job-id)
      execution_environment = "EXECUTION_ENVIRONMENT_GEN2"

      vpc_access {
        connector = var.connector_id
        egress    = "PRIVATE_RANGES_ONLY"
      }

      containers {
        image   = var.migrations_image
        command = ["launcher"]
        args    = ["python", "-m", "functions.sync_all"]

        resources {
          limits = {
            cpu    = "1"
            memory = "512Mi"
          }
        }

        dynamic "env" {
          for_each = merge(var.env_vars, {
            REQUIRED_SECRETS = join(",", var.sync_all_secrets)
            DB_POOL_SIZE     = tostring(min(5, var.db_pool_size_max)) # 4 sync workers + 1 saving progress
          })
          content {
            name  = env.key
            value = env.value
          }
        }

        dynamic "env" {
          for_each = toset(var.sync_all_secrets)
          content {
            name = env.value
            value_source {
              secret_key_ref {
                secret  = var.secret_ids[env.value]
                version = lookup(var.secret_versions, env.value, "latest")
              }
            }
          }
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = contains(keys(var.functions), var.sync_all_launcher)
      error_message = "sync_all_launcher must name a registry row (the function serving the sync-all routes)."
    }
  }
}

# The launching function's identity may run this job with overrides, and nothing else of Cloud Run
# (roles/run.jobsExecutorWithOverrides: run.jobs.run, run.jobs.runWithOverrides, cancel), on this
# job only.
resource "google_cloud_run_v2_job_iam_member" "sync_all_launcher" {
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.sync_all.name
  role     = "roles/run.jobsExecutorWithOverrides"
  member   = "serviceAccount:${var.runtime_emails[var.functions[var.sync_all_launcher].role]}"
}

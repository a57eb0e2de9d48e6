# Identities: one runtime service account per function role (api, webhooks, sync, jobs), one for
# Pub/Sub push (OIDC, run.invoker on the Pub/Sub functions only), one for Cloud Scheduler (OIDC,
# run.invoker on the scheduled functions only), one each for the migrations and sync-all jobs, one
# that builds the function images and one that Cloud Build runs Terraform as. No primitive roles.
# Secret Manager secrets are declared here (names only: values are added out of band with
# `gcloud secrets versions add`) with accessor bindings per secret for the roles that read it.

locals {
  runtime_project_roles = [
    "roles/cloudsql.client",
    "roles/cloudsql.instanceUser",
    "roles/logging.logWriter",
    "roles/monitoring.metricWriter",
    "roles/cloudtrace.agent",
  ]
  runtime_bindings = {
    for pair in setproduct(sort(tolist(var.runtime_roles)), local.runtime_project_roles) :
    "${pair[0]}:${pair[1]}" => { role = pair[0], project_role = pair[1] }
  }

  migrations_project_roles = ["roles/cloudsql.client", "roles/cloudsql.instanceUser", "roles/logging.logWriter"]
  sync_all_project_roles   = ["roles/cloudsql.client", "roles/cloudsql.instanceUser", "roles/logging.logWriter"]
  builder_project_roles    = ["roles/logging.logWriter", "roles/artifactregistry.writer"]

  # What Cloud Build's Terraform step may do: administer exactly the services this configuration
  # manages, plus projectIamAdmin under a condition (deployer_project_iam below). Still effectively
  # an owner of this project's workloads and data (see terraform/README.md, "The deployer"), but no
  # primitive role and no unconditional project IAM admin.
  deployer_project_roles = [
    "roles/artifactregistry.writer",
    "roles/cloudfunctions.admin",
    "roles/cloudscheduler.admin",
    "roles/cloudsql.admin",
    "roles/compute.loadBalancerAdmin",
    "roles/compute.networkAdmin",
    "roles/compute.securityAdmin",
    "roles/iam.serviceAccountAdmin",
    "roles/logging.configWriter",
    "roles/logging.logWriter",
    "roles/monitoring.editor",
    "roles/pubsub.admin",
    "roles/redis.admin",
    "roles/run.admin",
    "roles/secretmanager.admin",
    "roles/servicenetworking.networksAdmin",
    "roles/serviceusage.serviceUsageAdmin",
    "roles/storage.admin",
    "roles/vpcaccess.admin",
  ]

  # The only project-level roles this configuration grants to other accounts: the deployer's
  # projectIamAdmin is conditioned to grant or revoke these and nothing else (no owner, no admin
  # roles, not its own bindings: changing those takes an Owner).
  delegable_project_roles = sort(distinct(concat(
    local.runtime_project_roles, local.migrations_project_roles, local.sync_all_project_roles, local.builder_project_roles,
  )))

  secret_bindings = merge(
    {
      for pair in flatten([
        for secret, roles in var.secret_consumers : [for role in sort(tolist(roles)) : { secret = secret, role = role }]
      ]) : "${pair.secret}:${pair.role}" => { secret = pair.secret, member = google_service_account.runtime[pair.role].member }
    },
    {
      for secret in var.migrations_secrets :
      "${secret}:migrations" => { secret = secret, member = google_service_account.migrations.member }
    },
    {
      for secret in var.sync_all_secrets :
      "${secret}:sync-all" => { secret = secret, member = google_service_account.sync_all.member }
    },
  )
}

resource "google_service_account" "runtime" {
  for_each     = var.runtime_roles
  project      = var.project_id
  account_id   = "fn-${each.key}"
  display_name = "Runtime of the ${each.key} functions"
}

resource "google_project_iam_member" "runtime" {
  for_each = local.runtime_bindings
  project  = var.project_id
  role     = each.value.project_role
  member   = google_service_account.runtime[each.value.role].member
}

# Signed QR/export URLs from a function: IAM signBlob on its own identity (no key file).
resource "google_service_account_iam_member" "runtime_self_token_creator" {
  for_each           = var.runtime_roles
  service_account_id = google_service_account.runtime[each.key].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.runtime[each.key].member
}

resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "pubsub-push"
  display_name = "Pub/Sub push subscriptions (OIDC) to the event functions"
}

resource "google_service_account" "migrations" {
  project      = var.project_id
  account_id   = "migrations"
  display_name = "The migrations Cloud Run job"
}

resource "google_project_iam_member" "migrations" {
  for_each = toset(local.migrations_project_roles)
  project  = var.project_id
  role     = each.value
  member   = google_service_account.migrations.member
}

# Cloud Scheduler signs its OIDC tokens as this account (modules/scheduler grants it run.invoker
# on the scheduled functions only). New projects' Cloud Scheduler service agent may mint them.
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "scheduler"
  display_name = "Cloud Scheduler jobs (OIDC) to the scheduled functions"
}

# The sync-all Cloud Run job: the database, its secrets (those of everflow-sync) and logs.
resource "google_service_account" "sync_all" {
  project      = var.project_id
  account_id   = "sync-all"
  display_name = "The sync-all Cloud Run job"
}

resource "google_project_iam_member" "sync_all" {
  for_each = toset(local.sync_all_project_roles)
  project  = var.project_id
  role     = each.value
  member   = google_service_account.sync_all.member
}

resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "fn-builder"
  display_name = "Builds the function images from the source archive"
}

resource "google_project_iam_member" "builder" {
  for_each = toset(local.builder_project_roles)
  project  = var.project_id
  role     = each.value
  member   = google_service_account.builder.member
}

resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "deployer"
  display_name = "Cloud Build: tests, image build, terraform apply, migrations"
}

resource "google_project_iam_member" "deployer" {
  # checkov:skip=CKV_GCP_49:The deployer creates the platform's service accounts (serviceAccountAdmin); it may act as (serviceAccountUser) only the accounts below, not project-wide.
  for_each = toset(local.deployer_project_roles)
  project  = var.project_id
  role     = each.value
  member   = google_service_account.deployer.member
}

resource "google_project_iam_member" "deployer_project_iam" {
  project = var.project_id
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = google_service_account.deployer.member

  condition {
    title       = "platform-roles-only"
    description = "Grant and revoke only the project roles of the platform's own service accounts."
    expression  = "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${join(", ", [for role in local.delegable_project_roles : "'${role}'"])}])"
  }
}

# The deployer deploys functions, the jobs, push subscriptions and scheduler jobs that run as these accounts.
resource "google_service_account_iam_member" "deployer_acts_as_runtime" {
  for_each           = var.runtime_roles
  service_account_id = google_service_account.runtime[each.key].name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}

resource "google_service_account_iam_member" "deployer_acts_as" {
  for_each = {
    pubsub_push = google_service_account.pubsub_push.name
    scheduler   = google_service_account.scheduler.name
    migrations  = google_service_account.migrations.name
    sync_all    = google_service_account.sync_all.name
    builder     = google_service_account.builder.name
  }
  service_account_id = each.value
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}

resource "google_secret_manager_secret" "secret" {
  for_each  = toset(concat(keys(var.secret_consumers), tolist(var.migrations_secrets), tolist(var.sync_all_secrets)))
  project   = var.project_id
  secret_id = lower(replace(each.key, "_", "-"))
  labels    = merge(var.labels, { env_var = lower(each.key) })

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each  = local.secret_bindings
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = each.value.member
}

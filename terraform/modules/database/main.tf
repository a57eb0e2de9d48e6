# Cloud SQL for PostgreSQL 15: private IP only (no public IPv4, no authorized networks), TLS
# required, IAM database authentication, daily backups at 03:00 UTC with point-in-time recovery
# and 30 retained backups, deletion protection, and high availability where availability_type
# is REGIONAL (production).

resource "google_sql_database_instance" "postgres" {
  # checkov:skip=CKV_GCP_6:ENCRYPTED_ONLY enforces TLS on every connection; client certificates (TRUSTED_CLIENT_CERTIFICATE_REQUIRED) need the Cloud SQL connector, which the app does not use yet (DATABASE_URL over private IP).
  # checkov:skip=CKV_GCP_79:PostgreSQL 15 is the version DESIGN.md and the migrations are written and tested against; a major upgrade is its own change.
  # checkov:skip=CKV2_GCP_13:log_duration=on writes one log line per statement, a large Cloud Logging bill at API volumes; Query Insights records statement latency instead.
  project             = var.project_id
  name                = var.name
  region              = var.region
  database_version    = "POSTGRES_15"
  deletion_protection = var.deletion_protection

  settings {
    tier                        = var.tier
    edition                     = "ENTERPRISE"
    availability_type           = var.availability_type
    disk_type                   = "PD_SSD"
    disk_size                   = var.disk_size_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.deletion_protection
    user_labels                 = var.labels

    ip_configuration {
      ipv4_enabled                                  = false
      private_network                               = var.network_id
      ssl_mode                                      = "ENCRYPTED_ONLY"
      enable_private_path_for_google_cloud_services = true
    }

    backup_configuration {
      enabled                        = true
      start_time                     = "03:00"
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = 30
        retention_unit   = "COUNT"
      }
    }

    maintenance_window {
      day          = 7
      hour         = 4
      update_track = "stable"
    }

    insights_config {
      query_insights_enabled  = true
      query_string_length     = 1024
      record_application_tags = true
      record_client_address   = false
    }

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
    database_flags {
      name  = "max_connections"
      value = tostring(var.max_connections)
    }
    database_flags {
      name  = "log_hostname"
      value = "on"
    }
    database_flags {
      name  = "log_checkpoints"
      value = "on"
    }
    database_flags {
      name  = "log_connections"
      value = "on"
    }
    database_flags {
      name  = "log_disconnections"
      value = "on"
    }
    database_flags {
      name  = "log_lock_waits"
      value = "on"
    }
    database_flags {
      name  = "log_temp_files"
      value = "0"
    }
    database_flags {
      name  = "log_min_messages"
      value = "error"
    }
    database_flags {
      name  = "log_min_error_statement"
      value = "error"
    }
    database_flags {
      name  = "log_min_duration_statement"
      value = "-1"
    }
    database_flags {
      name  = "log_statement"
      value = "ddl"
    }
    database_flags {
      name  = "cloudsql.enable_pgaudit"
      value = "on"
    }
  }
}

resource "google_sql_database" "app" {
  project  = var.project_id
  name     = var.database_name
  instance = google_sql_database_instance.postgres.name
}

# IAM database users: PostgreSQL user = service account email without ".gserviceaccount.com".
resource "google_sql_user" "iam" {
  for_each = var.iam_service_accounts
  project  = var.project_id
  instance = google_sql_database_instance.postgres.name
  name     = trimsuffix(each.value, ".gserviceaccount.com")
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

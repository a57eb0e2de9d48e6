# Buckets: QR images, exports (expire), function source archives and the access logs of the other
# three; all versioned, with noncurrent versions expiring. All private: uniform bucket-level access and public
# access prevention; objects are handed out as V4 signed URLs by the functions.

locals {
  # Versioning everywhere (an overwrite or delete is recoverable); noncurrent versions expire.
  buckets = {
    qr      = { noncurrent_days = var.qr_noncurrent_retention_days }
    exports = { noncurrent_days = 1 }
    sources = { noncurrent_days = 30 } # earlier archives: a rollback is one `gcloud` away
  }
}

resource "google_storage_bucket" "access_logs" {
  # checkov:skip=CKV_GCP_62:This is the access-log bucket of the other buckets; it cannot usefully log to itself.
  project                     = var.project_id
  name                        = "${var.name_prefix}-access-logs"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 1
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket" "bucket" {
  for_each                    = local.buckets
  project                     = var.project_id
  name                        = "${var.name_prefix}-${each.key}"
  location                    = var.location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.force_destroy
  labels                      = var.labels

  versioning {
    enabled = true
  }

  logging {
    log_bucket = google_storage_bucket.access_logs.name
  }

  # Exports are temporary downloads.
  dynamic "lifecycle_rule" {
    for_each = each.key == "exports" ? [1] : []
    content {
      condition {
        age = var.exports_retention_days
      }
      action {
        type = "Delete"
      }
    }
  }

  # A replaced or deleted object stays recoverable for a while, then goes.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = each.value.noncurrent_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  # Every bucket: abandoned multipart uploads are cleaned up.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }
}

resource "google_storage_bucket_iam_member" "qr_writers" {
  for_each = var.qr_writers
  bucket   = google_storage_bucket.bucket["qr"].name
  role     = "roles/storage.objectUser"
  member   = each.value
}

resource "google_storage_bucket_iam_member" "exports_writers" {
  for_each = var.exports_writers
  bucket   = google_storage_bucket.bucket["exports"].name
  role     = "roles/storage.objectUser"
  member   = each.value
}

resource "google_storage_bucket_iam_member" "source_readers" {
  for_each = var.source_readers
  bucket   = google_storage_bucket.bucket["sources"].name
  role     = "roles/storage.objectViewer"
  member   = each.value
}

output "qr_bucket" {
  description = "Bucket of the QR images (QR_BUCKET)."
  value       = google_storage_bucket.bucket["qr"].name
  depends_on  = [google_storage_bucket_iam_member.qr_writers]
}

output "exports_bucket" {
  description = "Bucket of the exports (EXPORTS_BUCKET)."
  value       = google_storage_bucket.bucket["exports"].name
  depends_on  = [google_storage_bucket_iam_member.exports_writers]
}

output "sources_bucket" {
  description = "Bucket of the function source archives."
  value       = google_storage_bucket.bucket["sources"].name
  depends_on  = [google_storage_bucket_iam_member.source_readers]
}

# Memorystore for Redis: the L2 cache, shared rate limits and single-flight locks. Private IP only
# (private services access), AUTH on, TLS in transit (clients use rediss:// on port 6378 and trust
# only the instance's server CA: the platform passes it to every function as REDIS_CA_CERT).
# Redis down degrades speed, never correctness. The provider keeps the AUTH string in the state as
# a computed attribute (auth_string); no output exposes it.

resource "google_redis_instance" "cache" {
  project                 = var.project_id
  name                    = var.name
  region                  = var.region
  tier                    = var.tier
  memory_size_gb          = var.memory_size_gb
  redis_version           = var.redis_version
  authorized_network      = var.network_id
  connect_mode            = "PRIVATE_SERVICE_ACCESS"
  auth_enabled            = true
  transit_encryption_mode = "SERVER_AUTHENTICATION"
  labels                  = var.labels

  redis_configs = {
    maxmemory-policy = "allkeys-lru"
  }

  maintenance_policy {
    weekly_maintenance_window {
      day = "SUNDAY"
      start_time {
        hours   = 4
        minutes = 0
        seconds = 0
        nanos   = 0
      }
    }
  }
}

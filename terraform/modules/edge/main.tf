# Global external Application Load Balancer (EXTERNAL_MANAGED: needed for route rules with path
# templates) in front of the one hostname: managed certificate, TLS 1.2+ policy, HTTP->HTTPS
# redirect, one serverless NEG + backend service per HTTP function, a URL map generated from the
# registry paths (route rules in the local router's precedence: the more specific prefix wins),
# and Cloud Armor (preconfigured WAF rules, Log4j rule, per-IP rate-based ban, adaptive protection).

locals {
  first_function = var.routes[0].function
  waf_exemption  = join(" && ", [for p in var.waf_exempt_path_prefixes : "!request.path.startsWith('${p}')"])
}

resource "google_compute_region_network_endpoint_group" "function" {
  for_each              = var.http_functions
  project               = var.project_id
  name                  = "${var.name}-${each.key}"
  region                = var.region
  network_endpoint_type = "SERVERLESS"

  cloud_run {
    service = each.value
  }
}

resource "google_compute_backend_service" "function" {
  for_each              = var.http_functions
  project               = var.project_id
  name                  = "${var.name}-${each.key}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.armor.id

  backend {
    group = google_compute_region_network_endpoint_group.function[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_url_map" "https" {
  project         = var.project_id
  name            = var.name
  default_service = google_compute_backend_service.function[local.first_function].id

  host_rule {
    hosts        = [var.hostname]
    path_matcher = "functions"
  }

  path_matcher {
    name            = "functions"
    default_service = google_compute_backend_service.function[local.first_function].id

    dynamic "route_rules" {
      for_each = var.routes
      content {
        priority = route_rules.value.priority
        service  = google_compute_backend_service.function[route_rules.value.function].id

        dynamic "match_rules" {
          for_each = route_rules.value.matches
          content {
            full_path_match     = match_rules.value.full_path_match
            prefix_match        = match_rules.value.prefix_match
            path_template_match = match_rules.value.path_template_match
          }
        }
      }
    }
  }
}

resource "google_compute_managed_ssl_certificate" "cert" {
  project = var.project_id
  name    = "${var.name}-cert"

  managed {
    domains = [var.hostname]
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "google_compute_ssl_policy" "tls" {
  project         = var.project_id
  name            = "${var.name}-tls"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "https" {
  project          = var.project_id
  name             = "${var.name}-https"
  url_map          = google_compute_url_map.https.id
  ssl_certificates = [google_compute_managed_ssl_certificate.cert.id]
  ssl_policy       = google_compute_ssl_policy.tls.id
}

resource "google_compute_global_address" "lb" {
  project = var.project_id
  name    = "${var.name}-ip"
}

resource "google_compute_global_forwarding_rule" "https" {
  project               = var.project_id
  name                  = "${var.name}-https"
  ip_address            = google_compute_global_address.lb.id
  port_range            = "443"
  target                = google_compute_target_https_proxy.https.id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

resource "google_compute_url_map" "redirect" {
  project = var.project_id
  name    = "${var.name}-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "redirect" {
  project = var.project_id
  name    = "${var.name}-redirect"
  url_map = google_compute_url_map.redirect.id
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project_id
  name                  = "${var.name}-http"
  ip_address            = google_compute_global_address.lb.id
  port_range            = "80"
  target                = google_compute_target_http_proxy.redirect.id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

resource "google_compute_security_policy" "armor" {
  project     = var.project_id
  name        = "${var.name}-armor"
  description = "WAF and per-IP rate limit in front of the platform's functions"
  type        = "CLOUD_ARMOR"

  adaptive_protection_config {
    layer_7_ddos_defense_config {
      enable = true
    }
  }

  advanced_options_config {
    json_parsing = "STANDARD"
    log_level    = "NORMAL"
  }

  # Log4j / Log4Shell probes (CVE-2021-44228, CVE-2021-45046).
  rule {
    action      = "deny(403)"
    priority    = 900
    description = "Log4j CVE canary"
    preview     = false
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  dynamic "rule" {
    for_each = { for index, name in var.waf_rules : index => name }
    content {
      action      = "deny(403)"
      priority    = 1000 + rule.key
      description = "Preconfigured WAF ${rule.value}"
      preview     = var.waf_preview
      match {
        expr {
          expression = join(" && ", compact([
            "evaluatePreconfiguredWaf('${rule.value}', {'sensitivity': ${var.waf_sensitivity}})",
            local.waf_exemption,
          ]))
        }
      }
    }
  }

  # Per client IP: above the threshold 429s; an IP that stays above it is banned for a while.
  rule {
    action      = "rate_based_ban"
    priority    = 2000
    description = "Per-IP rate limit with ban"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action   = "allow"
      exceed_action    = "deny(429)"
      enforce_on_key   = "IP"
      ban_duration_sec = var.rate_limit_ban_s
      rate_limit_threshold {
        count        = var.rate_limit_requests
        interval_sec = var.rate_limit_interval_s
      }
      ban_threshold {
        count        = var.rate_limit_requests * 3
        interval_sec = var.rate_limit_interval_s * 5
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Default: allow"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }
}

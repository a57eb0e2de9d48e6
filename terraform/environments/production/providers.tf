provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app = "affiliate-platform"
  }
}

provider "google-beta" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app = "affiliate-platform"
  }
}

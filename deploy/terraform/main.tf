# The seed's baseline on a real Linode account: a NodeBalancer (port 80, HTTP check GET /health) in front of
# var.web_count web instances, the monitoring node (Prometheus, Alertmanager, linode-autoscaler), the firewalls and
# the Object Storage bucket that holds the build artifacts and the monitoring node's configuration files.
#
# Terraform and linode-autoscaler share the pool "web" (tag autoscaler:web) and its NodeBalancer config:
# - Terraform owns the NodeBalancer, its config, the baseline instances and their nodes. The baseline carries the pool
#   tag, so the autoscaler counts it, and the protection tag, so the autoscaler never drains, replaces or deletes it.
# - The autoscaler owns the instances it creates and their nodes. They are not in Terraform's state, so no plan ever
#   shows or reverts them. Never put autoscaled capacity under `count`: raise autoscale_max instead.
# See deploy/README.md.

provider "linode" {
  token = var.linode_token
}

locals {
  pool_tag       = "autoscaler:web"
  protection_tag = "autoscaler:protected"
  # Labels the monitoring node's user data needs. They are spelled here rather than read back from the resources so
  # the monitoring node does not depend on the web firewall, which depends on the monitoring node's addresses.
  nodebalancer_label = "${var.prefix}-web"
  web_firewall_label = "${var.prefix}-web"
  bucket_label       = coalesce(var.bucket_label, "${var.prefix}-artifacts-${random_id.bucket.hex}")
  autoscale_min      = coalesce(var.autoscale_min, var.web_count)

  # https://<bucket>.<cluster>.linodeobjects.com: the cluster (us-east-1, ...) is the region requests are signed for.
  artifact_host     = linode_object_storage_bucket.artifacts.hostname
  artifact_cluster  = split(".", trimprefix(local.artifact_host, "${local.bucket_label}."))[0]
  artifact_base_url = "https://${local.artifact_host}"

  # Every instance of the pool boots from this text: Terraform's baseline here, the autoscaler's through the copy
  # the monitoring node keeps as the pool's user_data.
  app_user_data_vars = {
    artifact_url        = "${local.artifact_base_url}/workload/workload-linux-x64.tar.gz"
    artifact_region     = local.artifact_cluster
    artifact_access_key = linode_object_storage_key.artifacts_read.access_key
    artifact_secret_key = linode_object_storage_key.artifacts_read.secret_key
  }
  app_user_data = templatefile("${path.module}/../cloud-init/app.yaml", local.app_user_data_vars)

  # The monitoring node's configuration files, fetched from the bucket at first boot (config/<key>) rather than carried
  # in its user data: Linode takes at most 16,384 bytes of user data (after base64 decoding), and gzipped user data is
  # read by cloud-init's Akamai source only from 24.4 on. The files are the ones in deploy/, byte for byte.
  monitoring_config_files = {
    "prometheus.yml"        = file("${path.module}/../prometheus/prometheus.http_sd.yml")
    "autoscaling.rules.yml" = file("${path.module}/../prometheus/rules/autoscaling.rules.yml")
    "autoscaler.rules.yml"  = file("${path.module}/../prometheus/rules/autoscaler.rules.yml")
    "alertmanager.yml"      = file("${path.module}/../alertmanager/alertmanager.yml")
    "autoscaler.yaml"       = file("${path.module}/../autoscaler/autoscaler.yaml")
    "app-user-data.yaml"    = local.app_user_data
  }

  monitoring_user_data_vars = {
    config_base_url         = "${local.artifact_base_url}/config"
    autoscaler_artifact_url = "${local.artifact_base_url}/linode-autoscaler/linode-autoscaler-linux-x64.tar.gz"
    artifact_region         = local.artifact_cluster
    artifact_access_key     = linode_object_storage_key.artifacts_read.access_key
    artifact_secret_key     = linode_object_storage_key.artifacts_read.secret_key
    linode_token            = var.autoscaler_linode_token
    webhook_token           = random_password.webhook_token.result
    api_token               = random_password.api_token.result
    region                  = var.region
    web_type                = var.web_type
    web_min                 = local.autoscale_min
    web_max                 = var.autoscale_max
    nodebalancer_label      = local.nodebalancer_label
    ssh_authorized_key      = var.authorized_keys[0]
    firewall_label          = local.web_firewall_label
  }
  monitoring_user_data = templatefile("${path.module}/../cloud-init/monitoring.yaml", local.monitoring_user_data_vars)
}

# The region must offer Metadata (cloud-init's user data) as well as Linodes and NodeBalancers.
data "linode_region" "selected" {
  id = var.region
}

# --- Secrets shared by Alertmanager, the autoscaler and its API clients (Jenkins, `linode-autoscaler scale`) ---

resource "random_password" "webhook_token" {
  length  = 40
  special = false
}

resource "random_password" "api_token" {
  length  = 40
  special = false
}

resource "random_id" "bucket" {
  byte_length = 4
}

# --- Artifact repository ---

resource "linode_object_storage_bucket" "artifacts" {
  region = var.bucket_region
  label  = local.bucket_label
  acl    = "private"
}

# Instances fetch the app (and the monitoring node the autoscaler) with this one: it can read this bucket only.
resource "linode_object_storage_key" "artifacts_read" {
  label = "${var.prefix}-artifacts-read"

  bucket_access {
    bucket_name = linode_object_storage_bucket.artifacts.label
    region      = var.bucket_region
    permissions = "read_only"
  }
}

# deploy/scripts/publish-artifacts.sh uploads with this one.
resource "linode_object_storage_key" "artifacts_publish" {
  label = "${var.prefix}-artifacts-publish"

  bucket_access {
    bucket_name = linode_object_storage_bucket.artifacts.label
    region      = var.bucket_region
    permissions = "read_write"
  }
}

# --- Configuration the monitoring node fetches at first boot ---

resource "linode_object_storage_object" "monitoring_config" {
  for_each = local.monitoring_config_files

  bucket       = linode_object_storage_bucket.artifacts.label
  region       = var.bucket_region
  key          = "config/${each.key}"
  content      = each.value
  content_type = "text/plain"
  acl          = "private"
  access_key   = linode_object_storage_key.artifacts_publish.access_key
  secret_key   = linode_object_storage_key.artifacts_publish.secret_key
}

# --- Monitoring node ---

resource "linode_firewall" "monitoring" {
  label           = "${var.prefix}-monitoring"
  inbound_policy  = "DROP"
  outbound_policy = "ACCEPT"

  # Prometheus, Alertmanager and the autoscaler listen on 127.0.0.1: SSH (and its tunnels) is the only way in.
  dynamic "inbound" {
    for_each = length(var.admin_cidrs_ipv4) > 0 ? [1] : []
    content {
      label    = "ssh-admin"
      action   = "ACCEPT"
      protocol = "TCP"
      ports    = "22"
      ipv4     = var.admin_cidrs_ipv4
    }
  }
}

resource "linode_instance" "monitoring" {
  label           = "${var.prefix}-monitoring"
  region          = var.region
  type            = var.monitoring_type
  image           = var.image
  authorized_keys = var.authorized_keys
  private_ip      = true
  firewall_id     = linode_firewall.monitoring.id
  tags            = ["linode-autoscaler:monitoring", "managed-by:terraform"]

  metadata {
    # Plain, under 16,384 bytes: the configuration files come from the bucket (local.monitoring_config_files).
    user_data = base64encode(local.monitoring_user_data)
  }

  # The autoscaler resolves its pool's NodeBalancer and firewall by label when it starts, and the node fetches its
  # configuration from the bucket at first boot.
  depends_on = [linode_nodebalancer_config.web, linode_firewall.web, linode_object_storage_object.monitoring_config]

  lifecycle {
    # Preconditions, not a `check` block: a check only warns, so a bad min/max would still apply and the autoscaler's
    # pre-start validation would then fail forever on the node.
    precondition {
      condition     = local.autoscale_min >= var.web_count && local.autoscale_min <= var.autoscale_max
      error_message = "Need web_count <= autoscale_min <= autoscale_max: the protected baseline always counts toward the pool."
    }
    precondition {
      condition     = alltrue([for c in ["Linodes", "NodeBalancers", "Metadata"] : contains(data.linode_region.selected.capabilities, c)])
      error_message = "Region ${var.region} must offer Linodes, NodeBalancers and Metadata (cloud-init reads its user data from the Metadata service)."
    }

    # User data runs on the first boot only, and a new one would replace the node and its journal. To change a
    # configuration on a running node, copy the file and restart the service (deploy/README.md), or replace the node
    # on purpose: terraform apply -replace=linode_instance.monitoring
    ignore_changes = [metadata, image, authorized_keys]
  }
}

# --- NodeBalancer ---

resource "linode_nodebalancer" "web" {
  label                = local.nodebalancer_label
  region               = var.region
  client_conn_throttle = 0
  # Behind its firewall from creation: no window in which it is open to everything.
  firewall_id = linode_firewall.nodebalancer.id
  tags        = ["managed-by:terraform"]
}

resource "linode_nodebalancer_config" "web" {
  nodebalancer_id = linode_nodebalancer.web.id
  port            = 80
  protocol        = "http"
  algorithm       = "roundrobin"
  stickiness      = "none"
  check           = "http"
  check_path      = "/health"
  check_interval  = 10
  check_timeout   = 5
  check_attempts  = 3
  # Passive checks take a backend out of rotation on any 5xx, and the app answers 503 when its queue is full: under the
  # very load that should scale out, backends would be ejected in a cascade. The active check on /health decides.
  check_passive = false
}

resource "linode_firewall" "nodebalancer" {
  label           = "${var.prefix}-nodebalancer"
  inbound_policy  = "DROP"
  outbound_policy = "ACCEPT"

  inbound {
    label    = "http"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "80"
    ipv4     = var.http_cidrs_ipv4
    ipv6     = var.http_cidrs_ipv6
  }

  lifecycle {
    # The NodeBalancer attaches itself at creation (its firewall_id); listing it here too would be a cycle.
    ignore_changes = [nodebalancers]
  }
}

# --- Web pool baseline ---

resource "linode_firewall" "web" {
  label           = local.web_firewall_label
  inbound_policy  = "DROP"
  outbound_policy = "ACCEPT"

  inbound {
    label    = "nodebalancer-to-app"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "8080"
    ipv4     = [var.nodebalancer_backend_cidr]
  }

  # node_exporter, for Prometheus on the monitoring node: http_sd targets use the public address, linode_sd
  # relabelling the private one.
  inbound {
    label    = "prometheus-scrape"
    action   = "ACCEPT"
    protocol = "TCP"
    ports    = "9100"
    ipv4     = ["${linode_instance.monitoring.ip_address}/32", "${linode_instance.monitoring.private_ip_address}/32"]
  }

  dynamic "inbound" {
    for_each = length(var.admin_cidrs_ipv4) > 0 ? [1] : []
    content {
      label    = "ssh-admin"
      action   = "ACCEPT"
      protocol = "TCP"
      ports    = "22"
      ipv4     = var.admin_cidrs_ipv4
    }
  }

  lifecycle {
    # The device list is shared: Terraform attaches the baseline through firewall_id on each instance, the autoscaler
    # its own instances through firewall_id at their creation (firewall_label in its pool). Listing devices here would
    # detach those on the next apply.
    ignore_changes = [linodes]
  }
}

# interface_generation is left to the provider's default (legacy_config): accounts that default to Linode interfaces
# need `interface_generation = "legacy_config"` here (and on the monitoring node) for private_ip to give the private
# IPv4 the NodeBalancer nodes use; the autoscaler's instances are created with legacy config interfaces.
resource "linode_instance" "web" {
  count = var.web_count

  label           = "${var.prefix}-web-${count.index + 1}"
  region          = var.region
  type            = var.web_type
  image           = var.image
  authorized_keys = var.authorized_keys
  private_ip      = true
  firewall_id     = linode_firewall.web.id
  # The pool tag makes it a member (scraped, counted); the protection tag keeps the autoscaler's hands off it.
  tags = [local.pool_tag, local.protection_tag, "app:web", "managed-by:terraform"]

  metadata {
    user_data = base64encode(local.app_user_data)
  }

  lifecycle {
    # A new app version ships through the bucket (workload-install on each instance), not by replacing the serving
    # baseline; a changed image or key list applies to instances created later.
    ignore_changes = [metadata, image, authorized_keys]
  }
}

# Labelled tf-…: the autoscaler marks the nodes it creates with its pool's label prefix and only ever removes those.
resource "linode_nodebalancer_node" "web" {
  count = var.web_count

  nodebalancer_id = linode_nodebalancer.web.id
  config_id       = linode_nodebalancer_config.web.id
  label           = "tf-web-${count.index + 1}"
  address         = "${linode_instance.web[count.index].private_ip_address}:8080"
  mode            = "accept"
  weight          = 100
}

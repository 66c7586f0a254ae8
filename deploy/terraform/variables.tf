variable "linode_token" {
  description = "Token Terraform uses (linodes, nodebalancers, firewall, object_storage: read_write). Null: the provider reads LINODE_TOKEN."
  type        = string
  default     = null
  sensitive   = true
}

variable "autoscaler_linode_token" {
  description = "Token of linode-autoscaler on the monitoring node, least privilege: linodes:read_write, nodebalancers:read_write, firewall:read_write (its instances are created behind the pool firewall, resolved by label) and nothing else (stackscripts:read_only only if a pool uses a StackScript). Reaches the node through its user data."
  type        = string
  sensitive   = true
}

variable "prefix" {
  description = "Start of every label, so several deployments can share an account."
  type        = string
  default     = "autoscaler"

  validation {
    # Linode refuses labels with "--" (and every label here is prefix + "-…", so a trailing '-' would make one).
    condition     = can(regex("^[a-z](-?[a-z0-9])+$", var.prefix)) && length(var.prefix) <= 16
    error_message = "prefix must be 2-16 characters: lower-case letters, digits and single '-' between them, starting with a letter (Linode refuses labels with '--')."
  }
}

variable "region" {
  description = "Region of the NodeBalancer, the instances and the autoscaler's pool; it must offer Metadata for cloud-init (checked by a precondition against the linode_region data source)."
  type        = string
  default     = "us-east"
}

variable "bucket_region" {
  description = "Object Storage region of the artifact bucket."
  type        = string
  default     = "us-east"
}

variable "bucket_label" {
  description = "Name of the artifact bucket (unique in its cluster). Null: <prefix>-artifacts-<random>."
  type        = string
  default     = null
}

variable "image" {
  description = "Image of every instance; cloud-init/app.yaml and cloud-init/monitoring.yaml assume Debian 12."
  type        = string
  default     = "linode/debian12"
}

variable "web_type" {
  description = "Linode type of the web instances, Terraform's and the autoscaler's alike."
  type        = string
  default     = "g6-standard-1"
}

variable "web_count" {
  description = "Baseline web instances Terraform owns. They carry the pool tag and the protection tag: they count toward the pool but the autoscaler never removes them."
  type        = number
  default     = 2

  validation {
    condition     = var.web_count >= 2
    error_message = "web_count must be at least 2: the NodeBalancer needs a second instance while one restarts."
  }
}

variable "autoscale_min" {
  description = "Pool min of the autoscaler (baseline included). Null: web_count."
  type        = number
  default     = null
}

variable "autoscale_max" {
  description = "Pool max of the autoscaler (baseline included)."
  type        = number
  default     = 6

  validation {
    condition     = var.autoscale_max >= 2 && var.autoscale_max <= 50
    error_message = "autoscale_max must be between 2 and 50."
  }
}

variable "monitoring_type" {
  description = "Linode type of the node running Prometheus, Alertmanager and linode-autoscaler."
  type        = string
  default     = "g6-standard-1"
}

variable "authorized_keys" {
  description = "SSH public keys for root on every instance; the autoscaler's instances get the first one."
  type        = list(string)

  validation {
    condition     = length(var.authorized_keys) > 0
    error_message = "authorized_keys needs at least one SSH public key: instances have no root password you know."
  }
}

variable "admin_cidrs_ipv4" {
  description = "IPv4 ranges allowed to SSH to every instance (e.g. your office or VPN, as 203.0.113.7/32). Empty: SSH closed."
  type        = list(string)
  default     = []
}

variable "http_cidrs_ipv4" {
  description = "IPv4 ranges allowed to reach the NodeBalancer on port 80."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "http_cidrs_ipv6" {
  description = "IPv6 ranges allowed to reach the NodeBalancer on port 80."
  type        = list(string)
  default     = ["::/0"]
}

variable "nodebalancer_backend_cidr" {
  description = "Private range NodeBalancers connect to their backends from; the web firewall opens :8080 to it only."
  type        = string
  default     = "192.168.255.0/24"
}

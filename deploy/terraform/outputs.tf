output "nodebalancer_hostname" {
  description = "The pool's public entry point (port 80)."
  value       = linode_nodebalancer.web.hostname
}

output "nodebalancer_ipv4" {
  value = linode_nodebalancer.web.ipv4
}

output "monitoring_ipv4" {
  description = "SSH here; tunnel 9090 (Prometheus), 9093 (Alertmanager) and 9099 (autoscaler) to see them."
  value       = linode_instance.monitoring.ip_address
}

output "web_baseline" {
  description = "Terraform's baseline instances: label => private IPv4 (their NodeBalancer node address, port 8080)."
  value       = { for i in linode_instance.web : i.label => i.private_ip_address }
}

output "pool_tag" {
  value = local.pool_tag
}

output "artifact_bucket_hostname" {
  value = linode_object_storage_bucket.artifacts.hostname
}

output "artifact_bucket_cluster" {
  description = "The region name S3 requests to the bucket are signed for."
  value       = local.artifact_cluster
}

output "artifact_publisher_access_key" {
  value = linode_object_storage_key.artifacts_publish.access_key
}

output "artifact_publisher_secret_key" {
  value     = linode_object_storage_key.artifacts_publish.secret_key
  sensitive = true
}

output "autoscaler_api_token" {
  description = "Bearer token of the autoscaler's API (linode-autoscaler scale --token, the Jenkins credential)."
  value       = random_password.api_token.result
  sensitive   = true
}

output "webhook_token" {
  description = "Bearer token Alertmanager sends to the autoscaler's webhook."
  value       = random_password.webhook_token.result
  sensitive   = true
}

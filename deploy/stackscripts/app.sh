#!/bin/bash
# A web instance of the pool as a StackScript: the same result as deploy/cloud-init/app.yaml, for images or regions
# without cloud-init metadata. prometheus-node-exporter on :9100, the sample app on :8080 (GET /health for the
# NodeBalancer), the app fetched from the Object Storage bucket that serves as the artifact repository.
#
# Use it from the autoscaler's pool:  stackscript: { id: <ID>, data: { ARTIFACT_URL: ..., ... } }
# Linode passes each field below to the script as an environment variable of the same name; a field whose name
# contains "password" is kept as a secret.
#
# <UDF name="ARTIFACT_URL" label="HTTPS URL of the app tarball in the artifact bucket" example="https://linode-autoscaler-artifacts.us-east-1.linodeobjects.com/workload/workload-linux-x64.tar.gz" />
# <UDF name="ARTIFACT_REGION" label="Object Storage cluster of the bucket, for request signing" example="us-east-1" />
# <UDF name="ARTIFACT_ACCESS_KEY" label="Read-only Object Storage access key of the bucket" />
# <UDF name="ARTIFACT_SECRET_KEY_PASSWORD" label="Secret of that access key" />

set -euo pipefail
exec > >(tee -a /var/log/stackscript.log) 2>&1

: "${ARTIFACT_URL:?}" "${ARTIFACT_REGION:?}" "${ARTIFACT_ACCESS_KEY:?}" "${ARTIFACT_SECRET_KEY_PASSWORD:?}"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends prometheus-node-exporter curl ca-certificates

# curl -K reads the request from here, so the key never shows in a process list.
install -d -m 0755 /etc/workload
(
  umask 077
  cat > /etc/workload/artifact.curlrc <<CURLRC
url = "$ARTIFACT_URL"
aws-sigv4 = "aws:amz:$ARTIFACT_REGION:s3"
user = "$ARTIFACT_ACCESS_KEY:$ARTIFACT_SECRET_KEY_PASSWORD"
output = "/var/tmp/workload.tar.gz"
fail
silent
show-error
retry = 10
retry-delay = 6
retry-all-errors
connect-timeout = 10
CURLRC
)

# Also the way to roll out a new version on a running instance: upload, run this, restart workload.
cat > /usr/local/sbin/workload-install <<'INSTALL'
#!/bin/sh
set -eu
curl -K /etc/workload/artifact.curlrc
rm -rf /opt/workload.new /opt/workload.old
mkdir -p /opt/workload.new
tar -xzf /var/tmp/workload.tar.gz -C /opt/workload.new --no-same-owner
rm -f /var/tmp/workload.tar.gz
test -x /opt/workload.new/workload
if [ -d /opt/workload ]; then mv /opt/workload /opt/workload.old; fi
mv /opt/workload.new /opt/workload
INSTALL
chmod 0755 /usr/local/sbin/workload-install

cat > /etc/systemd/system/workload.service <<'UNIT'
[Unit]
Description=linode-autoscaler sample web app (:8080)
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=0

[Service]
# Until the app is installed (say, the bucket was still empty at first boot), every start tries to fetch it again.
ExecStartPre=+/bin/sh -c 'test -x /opt/workload/workload || exec /usr/local/sbin/workload-install'
ExecStart=/opt/workload/workload
Environment=WORKLOAD_PORT=8080
Environment=WORKLOAD_METRICS_PORT=9101
Environment=WORKLOAD_MODE=real
Environment=DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
DynamicUser=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
UNIT

/usr/local/sbin/workload-install
systemctl daemon-reload
systemctl enable --now prometheus-node-exporter.service
systemctl enable --now workload.service
echo "stackscript: workload and prometheus-node-exporter enabled"

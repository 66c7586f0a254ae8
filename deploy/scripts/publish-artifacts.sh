#!/bin/bash
# Builds the sample app and linode-autoscaler for linux-x64 (self-contained: the instances need no .NET) and uploads
# both to the artifact bucket, where cloud-init (or the StackScript) of every new instance fetches them:
#   workload/workload-linux-x64.tar.gz
#   linode-autoscaler/linode-autoscaler-linux-x64.tar.gz (with linode-autoscaler-serve, serve compiled ahead of time,
#   which the monitoring node runs: Debian's clang, lld and zlib1g-dev are installed first when missing)
#
# Usage: deploy/scripts/publish-artifacts.sh [--no-build] [--out DIR]
# The bucket and a read_write key come from `terraform output` in deploy/terraform, or from the environment:
#   ARTIFACT_BUCKET_URL   https://<bucket>.<cluster>.linodeobjects.com
#   ARTIFACT_REGION       the cluster, e.g. us-east-1 (request signing)
#   ARTIFACT_ACCESS_KEY, ARTIFACT_SECRET_KEY   a key with read_write on the bucket
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/artifacts/deploy
build=1
while [ $# -gt 0 ]; do
  case $1 in
    --no-build) build=0 ;;
    --out) out=${2:?--out needs a directory}; shift ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "publish-artifacts: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

tf_output() {
  terraform -chdir="$root/deploy/terraform" output -raw "$1"
}
if [ -z "${ARTIFACT_BUCKET_URL:-}" ]; then
  ARTIFACT_BUCKET_URL=https://$(tf_output artifact_bucket_hostname)
  ARTIFACT_REGION=$(tf_output artifact_bucket_cluster)
  ARTIFACT_ACCESS_KEY=$(tf_output artifact_publisher_access_key)
  ARTIFACT_SECRET_KEY=$(tf_output artifact_publisher_secret_key)
fi
: "${ARTIFACT_REGION:?}" "${ARTIFACT_ACCESS_KEY:?}" "${ARTIFACT_SECRET_KEY:?}"
bucket_url=${ARTIFACT_BUCKET_URL%/}

if [ "$build" = 1 ]; then
  rm -rf "$out"
  for project in Workload Autoscaler.Cli; do
    dotnet publish "$root/src/$project" -c Release -r linux-x64 --self-contained -o "$out/$project" --nologo -v quiet
  done
  bash "$root/tools/daemon-deps.sh"
  dotnet publish "$root/src/Autoscaler.Daemon" -c Release -r linux-x64 -o "$out/Autoscaler.Daemon" --nologo -v quiet
  cp "$out/Autoscaler.Daemon/linode-autoscaler-serve" "$out/Autoscaler.Cli/"
  tar -C "$out/Workload" -czf "$out/workload-linux-x64.tar.gz" .
  tar -C "$out/Autoscaler.Cli" -czf "$out/linode-autoscaler-linux-x64.tar.gz" .
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The key goes to curl in a private config file, never on a command line.
(
  umask 077
  printf 'user = "%s:%s"\naws-sigv4 = "aws:amz:%s:s3"\n' "$ARTIFACT_ACCESS_KEY" "$ARTIFACT_SECRET_KEY" "$ARTIFACT_REGION" > "$work/curlrc"
)

upload() {
  local file=$1 key=$2
  [ -f "$file" ] || { echo "publish-artifacts: $file is missing (build first)" >&2; exit 1; }
  curl -K "$work/curlrc" --fail --silent --show-error --retry 3 -H 'Content-Type: application/gzip' \
    -T "$file" "$bucket_url/$key"
  echo "publish-artifacts: $key ($(wc -c < "$file" | tr -d ' ') bytes) -> $bucket_url"
}
upload "$out/workload-linux-x64.tar.gz" workload/workload-linux-x64.tar.gz
upload "$out/linode-autoscaler-linux-x64.tar.gz" linode-autoscaler/linode-autoscaler-linux-x64.tar.gz

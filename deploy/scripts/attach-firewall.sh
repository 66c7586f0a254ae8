#!/bin/bash
# Puts every instance of the autoscaler's pools behind the pool's Cloud Firewall.
#
# Terraform attaches its baseline instances when it creates them (firewall_id). The autoscaler's pool configuration
# has no firewall setting, so the instances it adds would boot with every port open; the monitoring node runs this
# from a systemd timer (linode-autoscaler-firewall.timer) to close that gap within a minute of a launch.
# Idempotent: instances already on the firewall are left alone; an instance that cannot be attached (say, it has
# another firewall) is reported and the others are still attached.
#
# Environment:
#   LINODE_TOKEN     personal access token with linodes:read_only and firewall:read_write
#   FIREWALL_LABEL   label of the firewall (Terraform: "<prefix>-web")
#   POOL_TAGS        pool tags, separated by spaces (e.g. "autoscaler:web")
#   LINODE_API_URL   default https://api.linode.com/v4
# Exit status: 0 all attached, 1 some attach failed, 2 bad environment or the firewall is missing.
set -euo pipefail

: "${LINODE_TOKEN:?LINODE_TOKEN is required}"
: "${FIREWALL_LABEL:?FIREWALL_LABEL is required}"
: "${POOL_TAGS:?POOL_TAGS is required}"
api=${LINODE_API_URL:-https://api.linode.com/v4}
api=${api%/}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The token goes to curl from a file in a private directory, never on a command line.
printf 'Authorization: Bearer %s\n' "$LINODE_TOKEN" > "$work/auth"

# Every item of a paged list, one JSON object a line. $1: path, $2: X-Filter (optional).
list() {
  local path=$1 filter=${2:-} page=1 pages=1
  local -a args=(--fail --silent --show-error --retry 3 --max-time 30 -H "@$work/auth")
  if [ -n "$filter" ]; then args+=(-H "X-Filter: $filter"); fi
  while [ "$page" -le "$pages" ]; do
    curl "${args[@]}" "$api$path?page=$page&page_size=500" > "$work/page.json"
    pages=$(jq -r '.pages // 1' "$work/page.json")
    jq -c '.data[]' "$work/page.json"
    page=$((page + 1))
  done
}

firewall_id=$(list /networking/firewalls "$(jq -cn --arg l "$FIREWALL_LABEL" '{label: $l}')" \
  | jq -r --arg l "$FIREWALL_LABEL" 'select(.label == $l) | .id' | head -n 1)
if [ -z "$firewall_id" ]; then
  echo "attach-firewall: no firewall labelled '$FIREWALL_LABEL'" >&2
  exit 2
fi

list "/networking/firewalls/$firewall_id/devices" \
  | jq -r 'select(.entity.type == "linode") | .entity.id' | sort -u > "$work/attached"

: > "$work/members"
for tag in $POOL_TAGS; do
  # The filter narrows the list; the exact tag is checked again on every instance returned.
  list /linode/instances "$(jq -cn --arg t "$tag" '{tags: $t}')" \
    | jq -r --arg t "$tag" 'select(.tags | index($t)) | "\(.id) \(.label)"' >> "$work/members"
done

status=0
attached=0
while read -r id label; do
  if grep -qx "$id" "$work/attached"; then
    continue
  fi
  code=$(curl --silent --show-error --max-time 30 -o "$work/response" -w '%{http_code}' -H "@$work/auth" \
    -H 'Content-Type: application/json' -X POST --data "{\"type\": \"linode\", \"id\": $id}" \
    "$api/networking/firewalls/$firewall_id/devices") || code=000
  if [ "${code:0:1}" = 2 ]; then
    echo "attach-firewall: attached $label ($id) to firewall $FIREWALL_LABEL"
    attached=$((attached + 1))
  else
    reason=$(jq -r '[.errors[]?.reason] | join("; ")' "$work/response" 2>/dev/null || true)
    echo "attach-firewall: could not attach $label ($id) to firewall $FIREWALL_LABEL: HTTP $code ${reason:-}" >&2
    status=1
  fi
done < <(sort -u "$work/members")

echo "attach-firewall: $(sort -u "$work/members" | wc -l | tr -d ' ') pool instance(s), $attached newly attached"
exit "$status"

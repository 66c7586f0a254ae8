#!/usr/bin/env bash
# Smoke check of the native AOT serve (make daemon-check): an invalid configuration exits 2; a configuration with one
# virtual pool (no emulator, no cloud) starts, answers /healthz, /api/v1/pools, an Alertmanager webhook (and acts on
# it: the pool's desired size goes up), /metrics and the dashboard, then stops on SIGTERM with exit 0. Prints each
# check; exits 1 at the first that fails, with the end of serve's log. Usage: tools/daemon-smoke.sh [PROGRAM]
set -euo pipefail

program=${1:-bin/daemon/linode-autoscaler-serve}
[ -x "$program" ] || { echo "daemon-smoke: $program not found (make daemon builds it)" >&2; exit 2; }
program=$(cd "$(dirname "$program")" && pwd)/$(basename "$program")
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() {
  echo "FAIL  $1" >&2
  [ -f "$dir/serve.log" ] && tail -n 30 "$dir/serve.log" >&2
  exit 1
}
ok() { echo "ok    $1"; }

# 1. A configuration error is exit 2 with every error named, as `linode-autoscaler serve` does.
set +e
"$program" "$root/examples/invalid/min-above-max.yaml" >"$dir/invalid.out" 2>&1
code=$?
set -e
if [ "$code" != 2 ] || ! grep -q "invalid configuration" "$dir/invalid.out"; then
  fail "invalid configuration: exit $code, want 2 ($(head -c 300 "$dir/invalid.out"))"
fi
ok "invalid configuration: exit 2"

cat >"$dir/autoscaler.yaml" <<'YAML'
listen: 127.0.0.1:0
webhook: { auth: { bearer_token: smoke-token } }
engine: { evaluation_interval: 1s }
journal: { path: smoke.db }
pools:
  web:
    provider: virtual
    provision_time: 0s
    boot_time: 0s
    health_check_delay: 0s
    min: 2
    max: 4
    scale_up: { step: 1, cooldown: 1s }
    signals:
      - { alert: PoolCpuHigh, action: up }
YAML

# 2. Starts (the same "serving on" line as the CLI's serve).
start=$(date +%s%N)
(cd "$dir" && exec "$program" serve --config autoscaler.yaml) >"$dir/serve.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 600); do
  url=$(sed -n 's/^linode-autoscaler serving on \(http[^ ]*\) .*/\1/p' "$dir/serve.log" | head -n 1)
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || fail "serve exited before listening"
  sleep 0.1
done
[ -n "$url" ] || fail "no 'serving on' line within 60 s"
url=${url%/}
ok "listening on $url after $(( ($(date +%s%N) - start) / 1000000 )) ms"

# 3. The API, http_sd, /metrics and the dashboard.
[ "$(curl -fsS "$url/healthz")" = ok ] || fail "/healthz"
ok "/healthz"
curl -fsS "$url/api/v1/pools" >"$dir/pools.json" || fail "/api/v1/pools"
[ "$(jq -r '.pools[0].pool' "$dir/pools.json")" = web ] || fail "/api/v1/pools: $(head -c 300 "$dir/pools.json")"
ok "/api/v1/pools: pool web, desired $(jq -r '.pools[0].desired' "$dir/pools.json")"
curl -fsS "$url/http_sd" | jq -e 'type == "array"' >/dev/null || fail "/http_sd"
ok "/http_sd"
curl -fsS "$url/metrics" | grep -q '^autoscaler_pool_desired' || fail "/metrics"
ok "/metrics"
curl -fsS "$url/" | grep -qi '<html' || fail "dashboard page"
curl -fsS "$url/api/v1/dashboard" | jq -e '.pools | length == 1' >/dev/null || fail "/api/v1/dashboard"
ok "dashboard"

# 4. A webhook: refused without the token, accepted with it, and acted on.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' --data @"$root/examples/alerts/firing-high.json" "$url/hook")
[ "$code" = 401 ] || fail "webhook without a token: HTTP $code, want 401"
curl -fsS -X POST -H 'Authorization: Bearer smoke-token' -H 'Content-Type: application/json' \
  --data @"$root/examples/alerts/firing-high.json" "$url/hook" >"$dir/hook.json" || fail "webhook"
[ "$(jq -r .status "$dir/hook.json")" = ok ] || fail "webhook: $(cat "$dir/hook.json")"
ok "webhook: $(jq -c . "$dir/hook.json")"
desired=
for _ in $(seq 1 300); do
  desired=$(curl -fsS "$url/api/v1/pools/web" | jq -r .desired)
  [ "$desired" -gt 2 ] && break
  sleep 0.1
done
[ "$desired" -gt 2 ] || fail "the firing PoolCpuHigh did not scale web up (desired $desired)"
ok "scaled up: desired $desired"
curl -fsS "$url/api/v1/events?limit=5" | jq -e '.events | length > 0' >/dev/null || fail "/api/v1/events (the journal)"
ok "/api/v1/events"
rss=$(awk '/^VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status")
ok "resident set now: $rss MiB"

# 5. SIGTERM: a clean stop, exit 0.
kill -TERM "$pid"
set +e
wait "$pid"
code=$?
set -e
pid=
[ "$code" = 0 ] || fail "after SIGTERM: exit $code, want 0"
grep -q "linode-autoscaler: stopping" "$dir/serve.log" || fail "no 'stopping' line after SIGTERM"
ok "SIGTERM: stopped, exit 0"

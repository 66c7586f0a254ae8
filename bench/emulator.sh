#!/usr/bin/env bash
# Measures the local Linode: create→running time with the default (fast) delays, requests/s through one NodeBalancer
# config with 3 nodes (wrk), and memory with 20 instances running. Needs `make build` and wrk (apt install wrk).
# Usage: bench/emulator.sh [PORT]   — prints the figures BENCHMARKS.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-18181}
api=http://127.0.0.1:$port/v4
auth="Authorization: Bearer bench-token"
json="Content-Type: application/json"

bin/linode-autoscaler emulator --listen 127.0.0.1:$port >/tmp/bench-emulator.log 2>&1 &
emu=$!
trap 'kill -TERM $emu 2>/dev/null; wait $emu 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "$api/regions" >/dev/null && break; sleep 0.1; done

field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }

create() { # label -> id
  curl -sf -X POST -H "$auth" -H "$json" "$api/linode/instances" -d "{\"label\":\"$1\",\"region\":\"us-east\",\"type\":\"g6-nanode-1\",\"image\":\"linode/debian12\",\"root_pass\":\"Bench-$RANDOM-Passw0rd\",\"private_ip\":true,\"tags\":[\"bench\"]}" | field "['id']"
}
status() { curl -sf -H "$auth" "$api/linode/instances/$1" | field "['status']"; }

echo "== create -> running (default delays), 10 instances one at a time, polled every 20 ms"
times=()
for i in $(seq 1 10); do
  t0=$(date +%s.%N); id=$(create "bench-$i")
  until [ "$(status "$id")" = running ]; do sleep 0.02; done
  t1=$(date +%s.%N); times+=("$(python3 -c "print(round(($t1-$t0)*1000))")")
done
printf '%s\n' "${times[@]}" | python3 -c "import sys,statistics as s; v=sorted(int(x) for x in sys.stdin); print(f'  ms: min {v[0]} median {s.median(v):.0f} max {v[-1]}  ({v})')"

echo "== requests/s through one NodeBalancer config with 3 nodes"
nb=$(curl -sf -X POST -H "$auth" -H "$json" "$api/nodebalancers" -d '{"region":"us-east","label":"bench-nb"}')
nbid=$(echo "$nb" | field "['id']"); nbip=$(echo "$nb" | field "['ipv4']")
cfg=$(curl -sf -X POST -H "$auth" -H "$json" "$api/nodebalancers/$nbid/configs" -d '{"port":8088,"check":"http","check_path":"/health","check_interval":5,"check_timeout":2,"check_attempts":2}' | field "['id']")
ids=$(curl -sf -H "$auth" "$api/linode/instances" | python3 -c "import json,sys; print(' '.join(str(l['id']) for l in json.load(sys.stdin)['data'][:3]))")
for id in $ids; do
  priv=$(curl -sf -H "$auth" "$api/linode/instances/$id/ips" | field "['ipv4']['private'][0]['address']")
  curl -sf -X POST -H "$auth" -H "$json" "$api/nodebalancers/$nbid/configs/$cfg/nodes" -d "{\"label\":\"n$id\",\"address\":\"$priv:8080\"}" >/dev/null
done
until [ "$(curl -sf -H "$auth" "$api/nodebalancers/$nbid/configs/$cfg" | field "['nodes_status']['up']")" = 3 ]; do sleep 0.2; done
first=$(curl -sf -H "$auth" "$api/linode/instances/$(echo $ids | cut -d' ' -f1)" | field "['ipv4'][0]")
echo "  direct to one instance, GET /health:"; wrk -t2 -c32 -d10s "http://$first:8080/health" | grep -E "Requests/sec|Latency"
echo "  through the NodeBalancer, GET /health:"; wrk -t2 -c32 -d10s "http://$nbip:8088/health" | grep -E "Requests/sec|Latency"
echo "  through the NodeBalancer, GET /?work_ms=0 (virtual CPU path):"; wrk -t2 -c32 -d10s "http://$nbip:8088/?work_ms=0" | grep -E "Requests/sec|Latency|Non-2xx"

echo "== memory with 20 instances running"
for i in $(seq 11 20); do create "bench-$i" >/dev/null; done
until [ "$(curl -sf -H "$auth" -H 'X-Filter: {"status":"running"}' "$api/linode/instances" | field "['results']" 2>/dev/null || echo 0)" -ge 20 ] 2>/dev/null; do
  n=$(curl -sf -H "$auth" "$api/linode/instances" | python3 -c "import json,sys; print(sum(1 for l in json.load(sys.stdin)['data'] if l['status']=='running'))")
  [ "$n" -ge 20 ] && break; sleep 0.2
done
sleep 3
python3 - "$emu" <<'PY'
import os, sys
root = int(sys.argv[1])
def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"): return int(line.split()[1]) // 1024
    return 0
children = []
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            with open(f"/proc/{p}/stat") as f: ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == root: children.append(int(p))
        except OSError: pass
emu, kids = rss(root), [rss(c) for c in children]
print(f"  emulator process: {emu} MiB RSS; {len(kids)} instance processes: {sum(kids)} MiB RSS in all "
      f"({min(kids)}..{max(kids)} MiB each); total {emu + sum(kids)} MiB")
PY

#!/usr/bin/env bash
# Times `linode-autoscaler simulate` on the whole 58-day NASA trace (1-minute resolution), pinned to one core, and
# prints wall time and peak memory. Needs `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
trace=${NASA_TRACE:-../shared/traces/nasa_http_1995_1min.csv}
[ -f "$trace" ] || { echo "bench: NASA trace not found at $trace (set NASA_TRACE)" >&2; exit 1; }
out=bench/results/simulate
mkdir -p "$out"
echo "== simulate: 58-day NASA trace, 1-minute steps, one core"
python3 - "$trace" "$out" <<'PY'
import os, resource, subprocess, sys, time
trace, out = sys.argv[1], sys.argv[2]
cmd = ["bin/linode-autoscaler", "simulate", "--trace", trace, "--peak-instances", "12",
       "--config", "examples/simulate.yaml", "--report", out]
start = time.monotonic()
with open(os.path.join(out, "terminal.txt"), "w") as log:
    # One core, as the figure is quoted: the child inherits the affinity.
    subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=True, preexec_fn=lambda: os.sched_setaffinity(0, {0}))
wall = time.monotonic() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
print(f"  wall {wall:.2f} s from process start to exit (all policies), peak RSS {rss} MiB; report in {out}")
with open(os.path.join(out, "terminal.txt")) as log:
    # simulate's own split: the engine's policies and the exact oracle.
    for line in log:
        if line.startswith("simulated "):
            print("  " + line.strip())
PY

# linode-autoscaler — the two set-up commands are `make demo` and `make test`.
DOTNET ?= dotnet
CONFIG ?= Release
ARGS ?=
export DOTNET_CLI_TELEMETRY_OPTOUT = 1
export DOTNET_NOLOGO = 1

.PHONY: all build test test-deps check-deploy demo demo-deps bench clean soak daemon daemon-deps daemon-check

all: build

# bin/linode-autoscaler (framework-dependent) with the sample workload beside it, which emulated instances boot.
build:
	$(DOTNET) publish src/Autoscaler.Cli/Autoscaler.Cli.csproj -c $(CONFIG) -o bin --nologo -v quiet
	$(DOTNET) publish src/Workload/Workload.csproj -c $(CONFIG) -o bin --nologo -v quiet

# bin/daemon/linode-autoscaler-serve: `serve` alone, compiled ahead of time (native AOT, no .NET runtime needed on the
# monitoring node; about half the resident memory of the JIT'd serve, see BENCHMARKS.md). Same options, configuration,
# log lines and exit codes as `linode-autoscaler serve`. Debian's clang, lld and zlib1g-dev are installed first when
# missing (tools/daemon-deps.sh). `make daemon-check` builds it and smoke-runs it (tools/daemon-smoke.sh).
daemon: daemon-deps
	$(DOTNET) publish src/Autoscaler.Daemon/Autoscaler.Daemon.csproj -c $(CONFIG) -r linux-x64 -o bin/daemon --nologo -v quiet

daemon-deps:
	@bash tools/daemon-deps.sh

daemon-check: daemon
	bash tools/daemon-smoke.sh bin/daemon/linode-autoscaler-serve

# Installs what is missing first (tools/test-deps.sh: Debian's prometheus, prometheus-alertmanager, chromium and the
# check-deploy tools), so a fresh machine with the .NET SDK, Node.js and make runs it as is.
test: test-deps
	npm ci --prefix tests/third-party-client --no-audit --no-fund
	$(DOTNET) test linode-autoscaler.slnx -c $(CONFIG) --nologo --logger "console;verbosity=minimal"
	bash tools/check-advisories.sh
	$(MAKE) --no-print-directory check-deploy

test-deps:
	@command -v $(DOTNET) >/dev/null || { echo "make test: the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 2; }
	@command -v npm >/dev/null || { echo "make test: npm (with Node.js 20+) is required (tests/third-party-client, tests/deploy)" >&2; exit 2; }
	@[ "$$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || { echo "make test: Node.js 20+ is required (found $$(node --version))" >&2; exit 2; }
	@bash tools/test-deps.sh

# deploy/ (Prometheus, Alertmanager, cloud-init, StackScript, Terraform, Jenkins) checked with promtool, amtool,
# yamllint, shellcheck, HashiCorp's HCL parser and runs against fakes on loopback; prints each check and its result.
check-deploy:
	CONFIG=$(CONFIG) bash tests/deploy/check.sh

# The main job: the whole reference architecture on loopback under a load spike (about 3 minutes). Debian's
# prometheus and prometheus-alertmanager are installed first when missing. Options: make demo ARGS="--duration 150s
# --summary out.json --plot out.png --keep-logs" (bin/linode-autoscaler demo --help lists them all).
demo: demo-deps build
	bin/linode-autoscaler demo $(ARGS)

# BENCHMARKS.md's figures, measured on this machine: webhook -> first Linode API call latency, webhook requests/s and
# memory at 16 clients (native actions and a command per alert), the emulated NodeBalancer's throughput, serve's idle
# memory and start-up (also holding 1,000 virtual instances) and the speed of `simulate` on the 58-day NASA trace.
# Results also go to bench/results/.
bench: build
	@mkdir -p bench/results
	bin/linode-autoscaler bench --json bench/results/service.json
	bash bench/simulate-speed.sh

# The long forms of the reliability tests (short forms run in make test): kill -9 of the autoscaler at
# SOAK_ITERATIONS (default 50) random points of scale-ups and scale-downs, three rounds of scaling under injected Linode
# API faults, three instance deaths in a row; then the service's reliability tests with SOAK=1. Each test prints its
# figures and its seed; RELIABILITY_SEED=N replays a run, RELIABILITY_KEEP=1 keeps its journal and serve logs.
# Then the fleet bench's full form: 20 pools x 50 instances scaled 2 -> 50 -> 2 under Linode's rate limits (Linode's
# 20 creates per 15 s make the 960 creates alone take 12 minutes), figures in bench/results/fleet.json.
soak: build daemon-check
	SOAK=1 SOAK_ITERATIONS=$${SOAK_ITERATIONS:-50} $(DOTNET) test tests/Reliability.Tests -c $(CONFIG) --nologo --logger "console;verbosity=detailed"
	SOAK=1 SOAK_ITERATIONS=$${SOAK_ITERATIONS:-50} $(DOTNET) test tests/Autoscaler.Service.Tests -c $(CONFIG) --nologo \
	  --filter "FullyQualifiedName~Autoscaler.Service.Tests.Reliability" --logger "console;verbosity=detailed"
	@mkdir -p bench/results
	bin/linode-autoscaler bench --only fleet --pools 20 --instances 50 --serve bin/daemon/linode-autoscaler-serve \
	  --json bench/results/fleet.json
	bin/linode-autoscaler bench --only failover --iterations 20 --json bench/results/failover.json

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
demo-deps:
	@if ! command -v prometheus >/dev/null || ! command -v prometheus-alertmanager >/dev/null; then \
	  echo "make demo: installing Debian's prometheus and prometheus-alertmanager"; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager; \
	fi

clean:
	rm -rf bin artifacts
	$(DOTNET) clean linode-autoscaler.slnx -v quiet

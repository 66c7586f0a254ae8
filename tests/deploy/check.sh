#!/usr/bin/env bash
# Checks everything under deploy/ with the real tools: promtool (config, rules, rule unit tests, service discovery and
# relabelling), amtool (config, routing), yamllint, shellcheck, HashiCorp's HCL parser (@cdktf/hcl2json), the
# autoscaler's own `validate`, and runs of the shell scripts against fakes on 127.0.0.1.
# Prints one line per check and its result; exits non-zero when any check fails.
# Run from anywhere: tests/deploy/check.sh   (make check-deploy)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
deploy=deploy
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
failures=()

# run DESCRIPTION COMMAND...: one check; its output is shown when it fails, its last line when it passes.
run() {
  local what=$1
  shift
  if "$@" > "$work/out" 2>&1; then
    passed=$((passed + 1))
    printf 'ok    %s\n' "$what"
    local last
    last=$(grep -v '^\s*$' "$work/out" | tail -n 1)
    if [ -n "$last" ]; then printf '        %s\n' "$last"; fi
  else
    failed=$((failed + 1))
    failures+=("$what")
    printf 'FAIL  %s\n' "$what"
    sed 's/^/        /' "$work/out"
  fi
}

# --- Tools (.ci/run installs them) ---
python=
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" > /dev/null && "$candidate" -c 'import yaml' 2> /dev/null; then
    python=$candidate
    break
  fi
done
missing=()
for tool in promtool amtool shellcheck yamllint node npm jq curl dotnet; do
  command -v "$tool" > /dev/null || missing+=("$tool")
done
[ -n "$python" ] || missing+=("python3 with PyYAML (python3-yaml)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "check-deploy: missing tools: ${missing[*]} (.ci/run installs them)" >&2
  exit 2
fi

if [ ! -d "$here/node_modules/@cdktf/hcl2json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  run "npm ci in tests/deploy (@cdktf/hcl2json, pinned by package-lock.json)" \
    npm ci --prefix "$here" --no-audit --no-fund --loglevel=error
fi

# The autoscaler's CLI, for `validate` and `scale --help` (incremental: quick when `make test` just built it).
config=${CONFIG:-Release}
run "build the linode-autoscaler CLI ($config)" \
  dotnet build src/Autoscaler.Cli/Autoscaler.Cli.csproj -c "$config" --nologo -v quiet -clp:ErrorsOnly
cli=(dotnet "$root/src/Autoscaler.Cli/bin/$config/net10.0/linode-autoscaler.dll")

# --- Prometheus ---
run "promtool check config $deploy/prometheus/prometheus.http_sd.yml" \
  promtool check config "$deploy/prometheus/prometheus.http_sd.yml"

linode_sd_syntax() {
  local out
  if out=$(promtool check config --syntax-only "$deploy/prometheus/prometheus.linode_sd.yml" 2>&1); then
    echo "$out"
    echo "this promtool knows linode_sd: syntax checked by promtool"
  elif grep -q 'field linode_sd_configs not found' <<< "$out"; then
    echo "this promtool ($(promtool --version 2>&1 | head -n 1 | cut -d' ' -f3)) is built without linode_sd: structure and relabelling checked by check_prometheus.py instead"
  else
    echo "$out"
    return 1
  fi
}
run "promtool check config --syntax-only $deploy/prometheus/prometheus.linode_sd.yml" linode_sd_syntax
run "promtool check rules $deploy/prometheus/rules/autoscaling.rules.yml" \
  promtool check rules "$deploy/prometheus/rules/autoscaling.rules.yml"
run "promtool test rules $deploy/prometheus/rules/autoscaling.rules.test.yml (PoolCpuHigh, PoolCpuLow: firing and not)" \
  promtool test rules "$deploy/prometheus/rules/autoscaling.rules.test.yml"
run "linode_sd structure; relabelling of both variants (promtool check service-discovery)" \
  "$python" "$here/check_prometheus.py" "$deploy" "$root"

# --- Alertmanager ---
run "amtool check-config $deploy/alertmanager/alertmanager.yml" \
  amtool check-config "$deploy/alertmanager/alertmanager.yml"

routes() {
  local labels want got
  while IFS='|' read -r labels want; do
    # shellcheck disable=SC2086 # the labels are separate arguments on purpose
    got=$(amtool config routes test --config.file="$deploy/alertmanager/alertmanager.yml" $labels 2> "$work/amtool.err") || true
    if [ "$got" != "$want" ]; then
      echo "labels {$labels}: routed to '$got', want '$want'"
      cat "$work/amtool.err"
      return 1
    fi
    echo "{$labels} -> $got"
  done <<'CASES'
alertname=PoolCpuHigh pool=web severity=autoscale|linode-autoscaler
alertname=PoolCpuLow pool=api|linode-autoscaler
alertname=PoolCpuHigh|null
alertname=InstanceDown pool=web|null
CASES
}
run "amtool config routes test: autoscaling alerts with a pool reach the autoscaler, others do not" routes

# --- YAML and shell ---
run "yamllint --strict $deploy (tests/deploy/yamllint.yml)" \
  yamllint --strict -c "$here/yamllint.yml" "$deploy"
shell_files=("$deploy"/stackscripts/*.sh "$deploy"/scripts/*.sh "$here"/check.sh)
run "shellcheck ${shell_files[*]#"$root/"}" shellcheck "${shell_files[@]}"

# --- Terraform, cloud-init, StackScript, autoscaler config ---
run "terraform: every .tf parses (@cdktf/hcl2json); resources, variables, outputs, lifecycle" \
  node "$here/check-terraform.mjs" "$deploy/terraform" "$work/terraform.json"
run "cloud-init app.yaml + monitoring.yaml rendered as templatefile() does; StackScript; linode-autoscaler validate" \
  "$python" "$here/check_cloud_init.py" "$deploy" "$work/terraform.json" "${cli[@]}"

# --- Jenkins and the helper scripts, run against fakes on 127.0.0.1 ---
run "Jenkinsfile.scale-up / scale-down: structure, shellcheck, sizes asked for, CLI options" \
  "$python" "$here/check_jenkins.py" "$deploy" "${cli[@]}"
run "scripts/publish-artifacts.sh against a fake S3 endpoint" \
  "$python" "$here/check_publish.py" "$deploy"

readme_sections() {
  local readme=$deploy/README.md ok=0 phrase
  for phrase in "terraform apply" "publish-artifacts.sh" "autoscaler:protected" "ignore_changes" "count" \
    "prometheus.linode_sd.yml" "Jenkinsfile.scale-up" "ssh -L"; do
    if ! grep -q -- "$phrase" "$readme"; then
      echo "$readme does not mention '$phrase'"
      ok=1
    fi
  done
  return $ok
}
run "deploy/README.md covers deployment and the Terraform/autoscaler sharing rule" readme_sections

# --- Self-monitoring of the autoscaler: its alert rules and the Grafana dashboard (deploy/prometheus/rules/autoscaler.*,
# deploy/grafana; the dashboard's queries are checked against the names the service exports by
# tests/Autoscaler.Service.Tests, in make test) ---
self_monitoring() {
  run "promtool check rules $deploy/prometheus/rules/autoscaler.rules.yml" \
    promtool check rules "$deploy/prometheus/rules/autoscaler.rules.yml"
  run "promtool test rules $deploy/prometheus/rules/autoscaler.rules.test.yml (down, stalled, stuck at max, errors, missing data, Linode API)" \
    promtool test rules "$deploy/prometheus/rules/autoscaler.rules.test.yml"
  local dashboard
  for dashboard in "$deploy"/grafana/*.json; do
    run "$dashboard is valid JSON with panels and a datasource variable" \
      jq -e '(.panels | length > 0) and ([.templating.list[] | select(.type == "datasource")] | length == 1)' "$dashboard"
  done
}
self_monitoring

echo
if [ "$failed" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "check-deploy: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

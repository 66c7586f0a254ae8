#!/usr/bin/env bash
# Installs what `make test` needs beyond the .NET SDK, Node.js and make: Debian's prometheus and
# prometheus-alertmanager (end-to-end tests, promtool/amtool in check-deploy), chromium (the dashboard's browser tests
# drive it headless; no browser is downloaded), postgresql 15 (the PostgreSQL journal and leader-election tests start
# its server binaries on loopback; the cluster Debian creates is not used), shellcheck, yamllint, jq, curl and python3-yaml (check-deploy).
# Only what is missing is installed; as root, or through sudo. Exit 2 names what could not be installed.
set -euo pipefail

need=()
command -v prometheus >/dev/null || need+=(prometheus)
command -v prometheus-alertmanager >/dev/null || need+=(prometheus-alertmanager)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v yamllint >/dev/null || need+=(yamllint)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
[ -x /usr/lib/chromium/chromium ] || command -v chromium >/dev/null || need+=(chromium)
python3 -c 'import yaml' 2>/dev/null || /usr/bin/python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || {
    echo "make test: missing ${need[*]}; run as root or install sudo (apt-get install ${need[*]})" >&2
    exit 2
  }
  sudo=(sudo)
fi
command -v apt-get >/dev/null || {
  echo "make test: missing ${need[*]} and no apt-get to install them (install them, then run make test again)" >&2
  exit 2
}

echo "make test: installing Debian's ${need[*]}"
log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "make test: apt-get could not install ${need[*]} (output above)" >&2
  rm -f "$log"
  exit 2
fi
rm -f "$log"

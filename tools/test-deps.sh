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

exec bash "$(dirname "$0")/apt-install.sh" "make test" ${need[@]+"${need[@]}"}

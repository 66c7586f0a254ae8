#!/usr/bin/env bash
# Installs Debian packages for a make target: tools/apt-install.sh TARGET PACKAGE... (test-deps.sh and daemon-deps.sh
# decide what is missing; this is the one place that installs it). Nothing to do without packages. As root, or through
# sudo; exit 2 with one line naming what could not be installed and why.
set -euo pipefail

who=$1
shift
need=("$@")
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || {
    echo "$who: missing ${need[*]}; run as root or install sudo (apt-get install ${need[*]})" >&2
    exit 2
  }
  sudo=(sudo)
fi
command -v apt-get >/dev/null || {
  echo "$who: missing ${need[*]} and no apt-get to install them (install them, then run $who again)" >&2
  exit 2
}

echo "$who: installing Debian's ${need[*]}"
log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "$who: apt-get could not install ${need[*]} (output above)" >&2
  rm -f "$log"
  exit 2
fi
rm -f "$log"

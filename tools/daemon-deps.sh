#!/usr/bin/env bash
# Installs what the native AOT build of serve (make daemon: src/Autoscaler.Daemon) needs beyond the .NET SDK: Debian's
# clang (the ILCompiler's linker driver), lld and zlib1g-dev (the runtime links libz). The ILCompiler itself comes from
# NuGet with the restore. Only what is missing is installed; as root, or through sudo. Exit 2 names what could not be.
set -euo pipefail

need=()
command -v clang >/dev/null || need+=(clang)
command -v ld.lld >/dev/null || need+=(lld)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || {
    echo "make daemon: missing ${need[*]}; run as root or install sudo (apt-get install ${need[*]})" >&2
    exit 2
  }
  sudo=(sudo)
fi
command -v apt-get >/dev/null || {
  echo "make daemon: missing ${need[*]} and no apt-get to install them (install them, then run make daemon again)" >&2
  exit 2
}

echo "make daemon: installing Debian's ${need[*]}"
log=$(mktemp)
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "make daemon: apt-get could not install ${need[*]} (output above)" >&2
  rm -f "$log"
  exit 2
fi
rm -f "$log"

#!/usr/bin/env bash
# Installs what the native AOT build of serve (make daemon: src/Autoscaler.Daemon) needs beyond the .NET SDK: Debian's
# clang (the ILCompiler's linker driver), lld and zlib1g-dev (the runtime links libz). The ILCompiler itself comes from
# NuGet with the restore. Only what is missing is installed; as root, or through sudo. Exit 2 names what could not be.
set -euo pipefail

need=()
command -v clang >/dev/null || need+=(clang)
command -v ld.lld >/dev/null || need+=(lld)
[ -e /usr/include/zlib.h ] || need+=(zlib1g-dev)

exec bash "$(dirname "$0")/apt-install.sh" "make daemon" ${need[@]+"${need[@]}"}

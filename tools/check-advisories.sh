#!/usr/bin/env bash
# Lists the packages of Directory.Packages.props whose pinned version is named by tools/advisories.tsv, with the
# advisories, and fails when there is one. It reads only checked-in files, so it runs where the registry cannot be
# asked (CI without network); `dotnet list package --vulnerable` is the online check. Also fails when ScottPlot is
# pinned without SkiaSharp and its native assets, since it would then bring the versions it names itself.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
props="$root/Directory.Packages.props"
advisories="$root/tools/advisories.tsv"

declare -A pinned
while IFS=$'\t' read -r name version; do
  pinned[$name]=$version
done < <(sed -n 's/.*<PackageVersion Include="\([^"]*\)" Version="\([^"]*\)".*/\1\t\2/p' "$props")

# True when version $1 sorts before $2 (semantic order, as sort -V).
below() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]; }

# What a restore resolved, transitive packages included (when the projects were restored already).
declare -A resolved
while IFS=$'\t' read -r name version; do
  resolved["$name/$version"]=$version
done < <(find "$root/src" "$root/tests" -path '*/obj/project.assets.json' -print0 2>/dev/null \
  | xargs -0 -r sed -n 's/^    "\([A-Za-z0-9_.-]*\)\/\([0-9][^"]*\)": {$/\1\t\2/p' | sort -u)

found=0
while IFS=$'\t' read -r name fixed ids why; do
  case "$name" in ''|'#'*) continue ;; esac
  version=${pinned[$name]:-}
  if [ -n "$version" ] && below "$version" "$fixed"; then
    echo "check-advisories: $name $version (Directory.Packages.props) is vulnerable ($ids); take $fixed or newer — $why"
    found=$((found + 1))
  fi
  for key in "${!resolved[@]}"; do
    if [ "${key%/*}" = "$name" ] && below "${resolved[$key]}" "$fixed"; then
      echo "check-advisories: $name ${resolved[$key]} (restored, transitively) is vulnerable ($ids); pin $fixed or newer in Directory.Packages.props"
      found=$((found + 1))
    fi
  done
done < "$advisories"

if [ -n "${pinned[ScottPlot]:-}" ]; then
  for native in SkiaSharp SkiaSharp.NativeAssets.Linux.NoDependencies; do
    if [ -z "${pinned[$native]:-}" ]; then
      echo "check-advisories: ScottPlot is pinned but $native is not: its own (older) version would be restored"
      found=$((found + 1))
    fi
  done
fi

if [ "$found" -gt 0 ]; then
  echo "check-advisories: $found problem(s) in Directory.Packages.props (advisories: tools/advisories.tsv)"
  exit 1
fi
echo "check-advisories: ${#pinned[@]} pinned packages, none named by tools/advisories.tsv"

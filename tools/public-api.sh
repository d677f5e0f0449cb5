#!/usr/bin/env bash
# Rewrites PublicAPI.Unshipped.txt of each library from its current public API, with the analyzer's own RS0016 fix:
# new symbols appear and removed ones drop out. Review the diff: it is the API change. Shipped files are left alone.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
for project in src/Backprop src/Backprop.Interactive src/Backprop.Cuda src/Backprop.Distributed; do
  printf '#nullable enable\n' > "$root/$project/PublicAPI.Unshipped.txt"
  dotnet format analyzers "$root/$project" --diagnostics RS0016 --severity warn
done

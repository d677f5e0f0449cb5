#!/usr/bin/env bash
# Builds the documentation site into docs/_site: the API reference of the libraries (docfx metadata, into docs/api)
# and the guide. docfx is the local tool pinned in .config/dotnet-tools.json, restored here if missing.
# Pass --serve to browse the site at http://localhost:8080.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet tool restore >/dev/null
dotnet docfx docs/docfx.json "$@"

#!/usr/bin/env bash
# Renders every SVG the demo writes in headless Chromium and saves a PNG of each, to check by eye that every
# value and gradient is legible and nothing overlaps. Not run by CI. docs/images/staged.png is its staged.png (1015 px
# wide at the page's scale: its 12 px labels are 9.5 px when shown 800 px wide).
#   usage: tools/screenshot-svgs.sh OUT_DIR        (needs Debian's chromium: apt-get install -y chromium)
set -euo pipefail
out="${1:?usage: tools/screenshot-svgs.sh OUT_DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
dotnet run --project "$root/src/Backprop.Cli" -- demo --out "$out" > /dev/null
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
for svg in "$out"/*.svg; do
  # the window is the SVG's own size, read from its width and height attributes
  width=$(sed -n 's/^<svg[^>]* width="\([0-9.]*\)".*/\1/p' "$svg" | head -1)
  height=$(sed -n 's/^<svg[^>]* height="\([0-9.]*\)".*/\1/p' "$svg" | head -1)
  png="${svg%.svg}.png"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
    --force-device-scale-factor=2 --window-size="${width%.*},${height%.*}" \
    --screenshot="$png" "file://$(realpath "$svg")" 2> /dev/null
  echo "$png"
done

#!/usr/bin/env bash
# The CUDA backend on a GPU machine, in two halves:
#   tools/cuda/run-gpu.sh publish   (where the .NET SDK is) publishes a self-contained linux-x64 build into publish/cuda
#   tools/cuda/run-gpu.sh run       (on the GPU machine, no .NET needed) runs the GPU test subset, then the benchmarks
#                                   beside PyTorch eager when python3 has torch, and prints one table
# With no argument it does both (a machine with the SDK and a GPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=publish/cuda

publish() {
  dotnet publish bench/Backprop.Bench.Cuda -c Release -r linux-x64 --self-contained true \
    -p:PublishTrimmed=true -p:TrimMode=partial -p:SuppressTrimAnalysisWarnings=true -o "$out" --nologo -v q
  cp tools/cuda/torch_bench.py tools/cuda/table.py "$out/"
  echo "published: $out ($(du -sh "$out" | cut -f1))"
}

run() {
  local here="$out"
  [ -x "$here/Backprop.Bench.Cuda" ] || here="$(dirname "$0")"   # also works when run from inside the copied folder
  echo "== GPU test subset"
  "$here/Backprop.Bench.Cuda" check
  echo "== benchmarks"
  "$here/Backprop.Bench.Cuda" bench --json "$here/backprop.json"
  if python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
    python3 "$here/torch_bench.py" --json "$here/torch.json"
    python3 "$here/table.py" "$here/backprop.json" "$here/torch.json"
  else
    echo "python3 with CUDA-enabled torch not found: Backprop figures only"
    python3 "$here/table.py" "$here/backprop.json" 2>/dev/null || cat "$here/backprop.json"
  fi
}

case "${1:-all}" in
  publish) publish ;;
  run) run ;;
  all) publish; run ;;
  *) echo "usage: $0 [publish|run|all]" >&2; exit 2 ;;
esac

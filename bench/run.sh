#!/usr/bin/env bash
# Measures Backprop and the TorchSharp baseline on the same workloads and prints them side by side.
# The two programs run alternately for several rounds, so slow drift in the machine's load hits both;
# each figure in the table is the median of the rounds' medians. Every workload runs in a process of its own,
# so one workload's heap and threads never weigh on the next (and mlp-memory measures a process that only trains).
# usage: bench/run.sh [workload ...]        (default: gemm; ROUNDS=3 by default)
# output: bench/out/backprop-N-W.json, bench/out/torchsharp-N-W.json (rows), bench/out/comparison.json
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${ROUNDS:-3}"
out=bench/out
mkdir -p "$out"
workloads=("$@")
[ ${#workloads[@]} -eq 0 ] && workloads=(gemm)

dotnet build -c Release --nologo -v q bench/Backprop.Bench
dotnet build -c Release --nologo -v q bench/Backprop.Bench.Torch
bench_dll=bench/Backprop.Bench/bin/Release/net10.0/Backprop.Bench.dll
torch_dll=bench/Backprop.Bench.Torch/bin/Release/net10.0/Backprop.Bench.Torch.dll

echo "load: $(uptime)"
files=()
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds"
  for w in "${workloads[@]}"; do
    dotnet "$torch_dll" "$w" --json "$out/torchsharp-$round-$w.json"
    dotnet "$bench_dll" "$w" --json "$out/backprop-$round-$w.json"
    files+=("$out/torchsharp-$round-$w.json" "$out/backprop-$round-$w.json")
  done
done
echo "load: $(uptime)"
dotnet "$bench_dll" --compare "$out/comparison.json" "${files[@]}"
echo "written: $out/comparison.json"

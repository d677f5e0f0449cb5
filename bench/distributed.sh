#!/usr/bin/env bash
# Data-parallel figures on this machine with Open MPI: the sum all-reduce of 1M and 16M floats against memcpy
# (2 and 4 ranks), then the digits convnet trained on 1, 2 and 4 ranks (time per epoch, time reducing gradients).
# usage: bench/distributed.sh            (EPOCHS=2, ROUNDS=3 by default; the median round is what counts)
# output: one JSON object per line
set -euo pipefail
cd "$(dirname "$0")/.."
epochs="${EPOCHS:-2}"
rounds="${ROUNDS:-3}"
dotnet build -c Release --nologo -v q bench/Backprop.Bench.Distributed
dotnet build -c Release --nologo -v q src/Backprop.Cli
bench_dll=bench/Backprop.Bench.Distributed/bin/Release/net10.0/Backprop.Bench.Distributed.dll
cli_dll=src/Backprop.Cli/bin/Release/net10.0/Backprop.Cli.dll
mpirun=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)

echo "load: $(uptime)"
for ranks in 2 4; do "${mpirun[@]}" -np "$ranks" dotnet "$bench_dll"; done
train=(train digits --model convnet --epochs "$epochs" --json)
for round in $(seq 1 "$rounds"); do
  dotnet "$cli_dll" "${train[@]}"
  for ranks in 2 4; do "${mpirun[@]}" -np "$ranks" dotnet "$cli_dll" "${train[@]}"; done
done
echo "load: $(uptime)"

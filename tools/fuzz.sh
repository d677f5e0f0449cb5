#!/usr/bin/env bash
# Fuzzes the inputs the backprop command reads from strangers with AFL++ and SharpFuzz, every target at once.
#   tools/fuzz.sh SECONDS [TARGET ...]      targets: expression safetensors at (default: all three)
# Needs afl++ (Debian: apt-get install -y afl++); the sharpfuzz tool comes from the repository's tool manifest.
# Findings go to fuzz-out/TARGET/default/{crashes,hangs}; each target's executions per second and run time are
# printed from AFL++'s fuzzer_stats at the end. Seeds are tools/fuzz/corpus/TARGET/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:?usage: tools/fuzz.sh SECONDS [TARGET ...]}
shift
targets=("${@:-expression}")
[ $# -eq 0 ] && targets=(expression safetensors at)
command -v afl-fuzz > /dev/null || { echo "fuzz.sh: afl-fuzz not found (apt-get install -y afl++)" >&2; exit 2; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
cd "$root"
dotnet tool restore > /dev/null
build="$root/fuzz-out/build"
rm -rf "$build"
dotnet publish tools/fuzz/Backprop.Fuzz -c Release -o "$build" --nologo -v quiet
# SharpFuzz rewrites the assemblies under test so AFL++ sees which branches an input takes
for assembly in Backprop.dll Backprop.Cli.dll; do dotnet sharpfuzz "$build/$assembly"; done

# a crash is an exception the target did not expect; the .NET runtime needs no memory limit and a slow first start
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1
pids=()
for target in "${targets[@]}"; do
  rm -rf "fuzz-out/$target"
  nice -n 19 afl-fuzz -i "tools/fuzz/corpus/$target" -o "fuzz-out/$target" -t 5000 -m none -V "$seconds" \
    -- dotnet "$build/Backprop.Fuzz.dll" "$target" > "fuzz-out/$target.log" 2>&1 &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
for target in "${targets[@]}"; do
  stats="fuzz-out/$target/default/fuzzer_stats"
  [ -f "$stats" ] || { echo "$target: afl-fuzz did not start (see fuzz-out/$target.log)"; status=1; continue; }
  field() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  crashes=$(find "fuzz-out/$target/default/crashes" -type f ! -name README.txt | wc -l)
  hangs=$(find "fuzz-out/$target/default/hangs" -type f | wc -l)
  echo "$target: $(field execs_done) executions in $(field run_time) s ($(field execs_per_sec) per second)," \
       "$(field corpus_count) inputs in the queue, $crashes crashes, $hangs hangs"
  [ "$crashes" -eq 0 ] || status=1
done
exit $status

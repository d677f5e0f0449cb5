#!/usr/bin/env bash
# Packs Backprop, then uses the packages the way a user would, from outside the solution:
# a new console project installs Backprop and runs the README example; the tool installs and answers a gradient;
# the notebook package carries the kernel extension that registers its formatters.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# grep that reads its input to the end: `grep -q` stops at the first match, and under pipefail the writer's broken
# pipe (unzip listing the rest) would fail a check that matched
has() { grep "$@" >/dev/null; }

dotnet pack "$root/src/Backprop/Backprop.csproj" -c Release -o "$work/out" -p:CI=true >/dev/null
dotnet pack "$root/src/Backprop.Cli/Backprop.Cli.csproj" -c Release -o "$work/out" -p:CI=true >/dev/null
dotnet pack "$root/src/Backprop.Interactive/Backprop.Interactive.csproj" -c Release -o "$work/out" -p:CI=true >/dev/null
version=$(tr -d '[:space:]' < "$root/VERSION")
tool="$work/out/Backprop.Tool.$version.nupkg"
# the tool is pure managed code: no native library for any platform, and small enough to install in seconds
if unzip -l "$tool" | has -E '\.(so|dylib|a)$|/runtimes/|\.so\.'; then
  echo "pack-smoke: Backprop.Tool carries a native binary:" >&2; unzip -l "$tool" | grep -E '\.(so|dylib)|runtimes/' >&2; exit 1
fi
unzip -p "$work/out/Backprop.$version.nupkg" Backprop.nuspec | has '<icon>icon.png</icon>' \
  && unzip -l "$work/out/Backprop.$version.nupkg" | has ' icon.png$' \
  || { echo "pack-smoke: the Backprop package lacks its icon" >&2; exit 1; }
# the command's package: found by its tags, with its readme and icon, and no translations or API docs it never shows
unzip -p "$tool" Backprop.Tool.nuspec | has '<tags>.*dotnet-tool.*</tags>' \
  && unzip -p "$tool" Backprop.Tool.nuspec | has '<readme>README.md</readme>' \
  && unzip -p "$tool" Backprop.Tool.nuspec | has '<icon>icon.png</icon>' \
  || { echo "pack-smoke: Backprop.Tool lacks its tags, readme or icon" >&2; exit 1; }
if unzip -l "$tool" | has -E '\.resources\.dll$|tools/.*/Backprop\.xml$'; then
  echo "pack-smoke: Backprop.Tool carries satellite resources or the library's API docs" >&2; exit 1
fi
tool_bytes=$(stat -c %s "$tool")
(( tool_bytes <= 10 * 1024 * 1024 )) || { echo "pack-smoke: Backprop.Tool is $tool_bytes bytes, over 10 MiB" >&2; exit 1; }
# beside the IL, the library compiled ahead of time for linux-x64, which NuGet hands to programs running there
unzip -l "$work/out/Backprop.$version.nupkg" | has -E ' runtimes/linux-x64/lib/net10\.0/Backprop\.dll$' \
  || { echo "pack-smoke: the Backprop package lacks its ReadyToRun image for linux-x64" >&2; exit 1; }
unzip -l "$work/out/Backprop.Interactive.$version.nupkg" | has 'interactive-extensions/dotnet/extension.dib' \
  || { echo "pack-smoke: Backprop.Interactive lacks interactive-extensions/dotnet/extension.dib" >&2; exit 1; }

# a package folder of its own, so a package of the same version restored earlier never stands in for this one
export NUGET_PACKAGES="$work/packages"
mkdir "$work/app"
cat > "$work/app/nuget.config" <<XML
<configuration><packageSources><add key="local" value="$work/out" /></packageSources></configuration>
XML
cat > "$work/app/app.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup><PackageReference Include="Backprop" Version="$version" /></ItemGroup>
</Project>
XML
cat > "$work/app/Program.cs" <<'CS'
using Backprop;

var x = new Value(-2, "x"); var y = new Value(5, "y"); var z = new Value(-4, "z");
var f = (x + y) * z;
f.Backward();
Console.WriteLine($"{f.Data} {x.Grad} {y.Grad} {z.Grad}");
CS
got=$(cd "$work/app" && dotnet run 2>&1 | tail -1)
[[ "$got" == "-12 -4 -4 3" ]] || { echo "pack-smoke: the README example printed '$got', expected '-12 -4 -4 3'" >&2; exit 1; }
if [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]]; then
  image="$work/app/bin/Debug/net10.0/runtimes/linux-x64/lib/net10.0/Backprop.dll"
  [[ -f "$image" ]] || { echo "pack-smoke: the app on linux-x64 did not get the ReadyToRun image" >&2; exit 1; }
fi
config=$(cat "$work"/app/bin/Debug/net10.0/app.runtimeconfig.json)
[[ "$config" == *'CallCountingDelayMs": 0'* ]] \
  || { echo "pack-smoke: the package's JIT settings did not reach the app's runtimeconfig: $config" >&2; exit 1; }

dotnet tool install --tool-path "$work/t" --add-source "$work/out" --version "$version" Backprop.Tool >/dev/null
installed_bytes=$(du -sb "$work/t" | cut -f1)
(( installed_bytes <= 40 * 1024 * 1024 )) \
  || { echo "pack-smoke: the installed tool takes $installed_bytes bytes, over 40 MiB" >&2; exit 1; }
json=$("$work/t/backprop" grad "x*y" --at x=2,y=3 --json)
[[ "$json" == '{"value":6,"gradients":{"x":3,"y":2}}' ]] || { echo "pack-smoke: the tool printed '$json'" >&2; exit 1; }
echo "pack-smoke: the Backprop package ran the README example, and the backprop tool printed $json"
echo "pack-smoke: Backprop.Tool package $tool_bytes bytes, installed $installed_bytes bytes"

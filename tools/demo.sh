#!/usr/bin/env bash
# The main job on loopback: builds FastRelay, starts an echo and a sink backend and a `fastrelay edge`
# in front of them, and drives traffic through both the direct path and the relay with the load
# harness, printing the comparison (table on stdout; JSON and an SVG latency CDF in artifacts/bench/).
# Extra arguments go to `fastrelay-bench run` (see bench/FastRelay.Bench/README.md), e.g. --duration 2s.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "tools/demo.sh: the .NET SDK 10.0.401 (global.json) is required: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
build() {
  # Quiet on success; the whole build log on failure.
  if ! out=$(dotnet build "$1" -c Release -v quiet -nologo 2>&1); then
    echo "$out" >&2
    exit 1
  fi
}
echo "building..."
build src/FastRelay
build bench/FastRelay.Bench

# An in-process check first, over mutual TLS with throwaway certificates and through the tunnel with throwaway
# keys: every byte verified end to end.
dotnet src/FastRelay/bin/Release/net10.0/fastrelay.dll demo --duration 2s --bulk-size 256MiB

# Then the measurement: direct path vs relay path vs the mutual-TLS relay (--tls) vs the tunnel through a
# gateway process (--tunnel), same run.
exec bench/FastRelay.Bench/bin/Release/net10.0/fastrelay-bench run \
  --relay-exe src/FastRelay/bin/Release/net10.0/fastrelay.dll --tls --tls-warmup 10s --tunnel --out artifacts/bench "$@"

#!/usr/bin/env bash
# Fuzzes one parser for a bounded time with AFL++ and SharpFuzz (tests/FastRelay.Fuzz).
#
#   tools/fuzz.sh TARGET DURATION      e.g. tools/fuzz.sh policy 10m; tools/fuzz.sh config 300s
#   tools/fuzz.sh --list               the targets
#
# Steps: publish tests/FastRelay.Fuzz (Release) to artifacts/fuzz/bin; instrument FastRelay's assemblies there
# with `sharpfuzz`; run `afl-fuzz -V SECONDS` at nice 19 from the seeds in tests/fuzz-corpus/TARGET/ into
# artifacts/fuzz/TARGET/; then list every crash and replay it once to print its exception. Exit 0 when
# nothing crashed, 1 when something did (copy each crash into tests/fuzz-corpus/TARGET/ as a regression input,
# fix the parser; the replay test in IntegrationTests then guards it in CI), 2 for bad arguments.
# Installs what it needs when missing: Debian's afl++ and the SharpFuzz.CommandLine dotnet tool (2.3.0).
# FASTRELAY_BUILD_LOCK=/tmp/fastrelay-build.lock serialises the build step with other builds on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/.."

out=artifacts/fuzz
bin=$out/bin

usage() { echo "usage: tools/fuzz.sh TARGET DURATION   (DURATION: 90s, 10m, 1h or seconds); tools/fuzz.sh --list" >&2; exit 2; }

seconds_of() {
  case "$1" in
    *h) echo $(( ${1%h} * 3600 ));;
    *m) echo $(( ${1%m} * 60 ));;
    *s) echo "${1%s}";;
    *) echo "$1";;
  esac
}

build() {
  rm -rf "$bin" # A fresh copy: sharpfuzz refuses an assembly it already instrumented.
  local cmd=(dotnet publish tests/FastRelay.Fuzz -c Release -o "$bin" --nologo -v quiet)
  if [ -n "${FASTRELAY_BUILD_LOCK:-}" ]; then flock "$FASTRELAY_BUILD_LOCK" "${cmd[@]}"; else "${cmd[@]}"; fi
}

if [ "${1:-}" = "--list" ]; then build >/dev/null; dotnet "$bin/fastrelay-fuzz.dll" --list; exit 0; fi
[ $# -eq 2 ] || usage
target=$1
duration=$(seconds_of "$2")
[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -gt 0 ] || usage
[ -d "tests/fuzz-corpus/$target" ] || { echo "tools/fuzz.sh: no corpus folder tests/fuzz-corpus/$target (is '$target' a target? tools/fuzz.sh --list)" >&2; exit 2; }

if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "tools/fuzz.sh: installing afl++ (Debian)" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ >/dev/null
fi
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null 2>&1; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

build
# Crashes are replayed on an uninstrumented copy: instrumented code outside afl-fuzz has no coverage map to write
# to and dies with an AccessViolationException before it reaches the input.
rm -rf "$out/bin-plain"
cp -r "$bin" "$out/bin-plain"
# Coverage comes from FastRelay's own code; System.Text.Json and the BCL stay uninstrumented.
for assembly in FastRelay.Core.dll FastRelay.Net.dll fastrelay.dll; do
  sharpfuzz "$bin/$assembly" >/dev/null
done

findings=$out/$target
rm -rf "$findings"
mkdir -p "$findings"
# AFL_SKIP_BIN_CHECK: the binary is `dotnet`, whose instrumentation is SharpFuzz's, not afl-gcc's.
# AFL_NO_AFFINITY: shared cores; AFL_NO_UI: a log, not a screen; -m none: the runtime reserves a lot of address space.
AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  nice -n 19 afl-fuzz -V "$duration" -t 5000 -m none -i "tests/fuzz-corpus/$target" -o "$findings" \
  -- dotnet "$bin/fastrelay-fuzz.dll" "$target" > "$findings/afl.log" 2>&1 || {
    echo "tools/fuzz.sh: afl-fuzz failed; its log:" >&2; tail -n 30 "$findings/afl.log" >&2; exit 1; }

stats=$findings/default/fuzzer_stats
if [ -f "$stats" ]; then
  grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats" | sed 's/^/  /'
fi
crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | sort || true)
if [ -z "$crashes" ]; then
  echo "tools/fuzz.sh: $target: no crash in $2 (queue: $findings/default/queue)"
  exit 0
fi
echo "tools/fuzz.sh: $target: crashes:"
for crash in $crashes; do
  echo "== $crash"
  dotnet "$out/bin-plain/fastrelay-fuzz.dll" "$target" --replay "$crash" 2>&1 | head -n 12 || true # The replay prints the exception.
done
exit 1

#!/usr/bin/env bash
# Runs every test FastRelay has, the way CI does (.ci/run calls exactly this).
# Installs what the tests need first: the .NET SDK pinned in global.json (checked), and PostgreSQL, whose
# server the audit tests start by themselves (tests/FastRelay.TestKit/PostgresServer.cs: initdb + pg_ctl on a
# free loopback port, run as the postgres user when we are root).
# OpenSSL's command line too: the TLS interop tests drive `openssl s_client` against the edge.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "tools/test.sh: the .NET SDK 10.0.401 (global.json) is required: https://dotnet.microsoft.com/download" >&2
  exit 1
fi

# PostgreSQL's server binaries (initdb, pg_ctl), for the audit tests; they fail, not skip, without them.
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then
  echo "tools/test.sh: installing PostgreSQL for the audit tests" >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
  else
    sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
  fi
fi

# The TLS, PKI and stapling tests check interop with OpenSSL's own tools (x509, verify, ocsp, s_client).
if ! command -v openssl >/dev/null 2>&1; then
  { apt-get update -qq && apt-get install -y -qq openssl >/dev/null; } \
    || { echo "tools/test.sh: openssl is required for the TLS interop tests (apt-get install openssl)" >&2; exit 1; }
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
./tools/check-style.sh
dotnet build FastRelay.sln -c Release
# CI shows only the tail of this output, so a failure's name and message are printed again at the very end.
log="$(mktemp -t fastrelay-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test FastRelay.sln -c Release --no-build --logger "console;verbosity=normal" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo
  echo "tools/test.sh: dotnet test failed (exit $rc); the failed tests, again:"
  grep -m 10 -E -A 30 '^\s*Failed [A-Za-z]' "$log" || echo "(no failed test named in the output; see above)"
fi
exit "$rc"

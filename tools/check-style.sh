#!/usr/bin/env bash
# Cheap house-style checks (STYLE.md H5.5, H10) that the compiler does not make. Exits 1 on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

# H5.5: no silent catch. A catch with an empty body must at least carry a comment saying why.
if grep -rnE 'catch[[:space:]]*(\([^)]*\))?[[:space:]]*\{[[:space:]]*\}' --include='*.cs' src tests bench; then
  echo "check-style: empty catch blocks above: say why in a comment, and log or count" >&2
  status=1
fi

# H10: split files past ~400 lines.
while read -r lines file; do
  if [ "$file" != "total" ] && [ "$lines" -gt 400 ]; then
    echo "check-style: $file has $lines lines; split it by concern (STYLE.md H10)" >&2
    status=1
  fi
done < <(find src -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -exec wc -l {} +)

# H2: Core is pure: no sockets, files or console (also enforced by BannedSymbols.txt at build time).
if grep -rnE '^using System\.Net\.Sockets;' --include='*.cs' src/FastRelay.Core; then
  echo "check-style: src/FastRelay.Core must not use System.Net.Sockets" >&2
  status=1
fi

exit $status

#!/usr/bin/env bash
# Prints the mutation score of each module named (default: core sim) from PIT's last report,
# target/pit-reports/mutations.xml, as "MODULE: K of N mutants killed (P%), S survived".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for m in "${@:-core sim}"; do
  for module in $m; do
    xml=$module/target/pit-reports/mutations.xml
    if [ ! -f "$xml" ]; then echo "$module: no PIT report ($xml); run ./mvnw -B -Pmutation -pl $module -am test" >&2; exit 1; fi
    total=$({ grep -o '<mutation ' "$xml" || true; } | wc -l)
    killed=$({ grep -o "detected='true'" "$xml" || true; } | wc -l)
    survived=$({ grep -o "status='SURVIVED'" "$xml" || true; } | wc -l)
    nocov=$({ grep -o "status='NO_COVERAGE'" "$xml" || true; } | wc -l)
    pct=$(( total == 0 ? 100 : killed * 100 / total ))
    echo "$module: $killed of $total mutants killed ($pct%), $survived survived, $nocov not covered by any test"
  done
done

#!/usr/bin/env bash
# Prints the mutation score of each module named (default: core sim) from PIT's last report,
# target/pit-reports/mutations.xml, as "MODULE: K of N mutants killed (P%), S survived".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# grep exits 1 when nothing matches, which pipefail would turn into a silent exit (a run with no survivors)
count() { { grep -o "$1" "$xml" || true; } | wc -l; }
for m in "${@:-core sim}"; do
  for module in $m; do
    xml=$module/target/pit-reports/mutations.xml
    if [ ! -f "$xml" ]; then echo "$module: no PIT report ($xml); run ./mvnw -B -Pmutation -pl $module -am test" >&2; exit 1; fi
    total=$(count '<mutation ')
    killed=$(count "detected='true'")
    survived=$(count "status='SURVIVED'")
    nocov=$(count "status='NO_COVERAGE'")
    pct=$(( total == 0 ? 100 : killed * 100 / total ))
    echo "$module: $killed of $total mutants killed ($pct%), $survived survived, $nocov not covered by any test"
  done
done

#!/bin/sh
# Prints the mutation score of each module named (default: core sim) from PIT's last report,
# target/pit-reports/mutations.xml, as "MODULE: K of N mutants killed (P%), S survived".
# POSIX sh (dash runs it as well as bash).
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- core sim
# how often a text occurs in the report (a pipeline ends with wc's status, so grep finding none is 0)
count() { grep -o "$1" "$xml" | wc -l; }
for module in "$@"; do
  xml=$module/target/pit-reports/mutations.xml
  if [ ! -f "$xml" ]; then echo "$module: no PIT report ($xml); run ./mvnw -B -Pmutation -pl $module -am test" >&2; exit 1; fi
  total=$(count '<mutation ')
  killed=$(count "detected='true'")
  survived=$(count "status='SURVIVED'")
  nocov=$(count "status='NO_COVERAGE'")
  pct=$(( total == 0 ? 100 : killed * 100 / total ))
  echo "$module: $killed of $total mutants killed ($pct%), $survived survived, $nocov not covered by any test"
done

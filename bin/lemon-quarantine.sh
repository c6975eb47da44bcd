#!/usr/bin/env bash
# Lemon-host quarantine in the twin (README.md): the failure rate of jobs of 512+ GPUs with and
# without `--quarantine 2/7d`, on the default scenario under Meta RSC-1's failure model (1.2% lemon
# hosts, Kokolis et al. 2024), seeds 1-3. Needs jq. Run from the repository root:
#   bin/lemon-quarantine.sh [days] [quarantine]      (defaults 54 and 2/7d)
set -euo pipefail
days=${1:-54}
q=${2:-2/7d}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# unplanned interruptions per 1,000 GPU-days of the large-job table's jobs of 512+ GPUs, and their GPU-days
rate() {
  jq -r '[.largeJobs[] | select(.gpus >= 512)] as $j
    | ([$j[] | (.interruptionsByCause | to_entries | map(select(.key != "planned-maintenance") | .value) | add // 0)] | add) as $n
    | ([$j[] | .gpus * .wallTime / 86400] | add) as $d
    | "\(1000 * $n / $d) \($d)"' "$1"
}

echo "| seed | without: per 1,000 GPU-days | with $q | hosts drained (of which lemons) | GPU-days of 512+ GPU jobs (without / with) |"
echo "|---|---|---|---|---|"
for seed in 1 2 3; do
  ./gpufleet simulate -q --failures rsc-1 --seed "$seed" --days "$days" --out "$work/off" > /dev/null
  out=$(./gpufleet simulate -q --failures rsc-1 --seed "$seed" --days "$days" --quarantine "$q" --out "$work/on")
  drained=$(sed -n 's/.*, \([0-9,]*\) lemon hosts drained for diagnosis (\([0-9,]*\) of them.*/\1 (\2 lemons)/p' <<< "$out")
  read -r off doff <<< "$(rate "$work/off/report.json")"
  read -r on don <<< "$(rate "$work/on/report.json")"
  printf '| %s | %.2f | %.2f | %s | %.0f / %.0f |\n' "$seed" "$off" "$on" "${drained:-0}" "$doff" "$don"
done

#!/usr/bin/env bash
# The goodput ablation of README.md: the big job's ETTR under llama3-405b-goodput with each
# mechanism alone and all together, over seeds 1-3 (mean and range), at the default (llama3)
# failure rates on the default fleet; then the same on a tight fleet of 2,048 + 64 hosts, where a
# host that lost a GPU must be replaced for the job to run at all. Run from the repository root after building the launcher:
#   bin/goodput-ablation.sh [days]            (default 54)
# Variants are written from the preset's own file, so they differ from it only where named.
set -euo pipefail
days=${1:-54}
preset=sim/src/main/resources/gpufleet/presets/workloads/llama3-405b-goodput.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# none: llama3-405b's checkpoint (33 s synchronous write and restore), a hang found by the 10-minute
# collective timeout, whole-gang restarts, no spares held for gangs
off_ckpt='s/^      state: model .*$/      write: 33s/; s/^      async: true .*$/      restore: 33s/; /^      storage: /d'
off_detect='s/^      detection: 30s .*$/      detection: 10m/'
off_partial='s/^      partial: true .*$/      partial: false/'
off_spares='s/^      spares: auto .*$/      spares: 0/'

variant() { # name, sed scripts to apply
  local name=$1; shift
  local f="$work/$name.yaml"
  cp "$preset" "$f"
  for s in "$@"; do sed -i "$s" "$f"; done
  echo "$f"
}

fleet=h100-24k-roce
ettr() { # workload file or preset, seed -> the big job's ETTR
  ./gpufleet simulate -q --fleet "$fleet" --workload "$1" --seed "$2" --days "$days" --out "$work/out" >/dev/null
  awk '/"largestJobEttr"/ { gsub(/[^0-9.eE-]/, "", $2); printf "%.4f\n", $2 }' "$work/out/report.json"
}

row() { # label, workload
  local label=$1 w=$2 vals=()
  for seed in 1 2 3; do vals+=("$(ettr "$w" "$seed")"); done
  printf '%s\n' "${vals[@]}" | awk -v label="$label" '
    { v[NR] = $1; s += $1; if (NR == 1 || $1 < lo) lo = $1; if (NR == 1 || $1 > hi) hi = $1 }
    END { printf "| %s | %.1f%% | %.1f-%.1f%% | %s |\n", label, 100 * s / NR, 100 * lo, 100 * hi,
          sprintf("%.1f / %.1f / %.1f", 100 * v[1], 100 * v[2], 100 * v[3]) }'
}

echo "| variant | ETTR, mean of seeds 1-3 | range | seeds 1 / 2 / 3 |"
echo "|---|---|---|---|"
row "llama3-405b (baseline preset: 33 s write and restore, 10 min restart)" llama3-405b
row "none of the mechanisms (restart in parts, 10 min detection)" \
  "$(variant none "$off_ckpt" "$off_detect" "$off_partial" "$off_spares")"
row "asynchronous checkpoint from the model alone" "$(variant ckpt "$off_detect" "$off_partial" "$off_spares")"
row "fast detection (30 s) alone" "$(variant detect "$off_ckpt" "$off_partial" "$off_spares")"
row "restart only what failed, no spares, alone" "$(variant partial "$off_ckpt" "$off_detect" "$off_spares")"
row "restart only what failed on hot spares" "$(variant spares "$off_ckpt" "$off_detect")"
row "all (llama3-405b-goodput)" llama3-405b-goodput

# the tight fleet: h100-24k-roce cut to the job's 2,048 hosts plus 64
fleet="$work/tight.yaml"
sed 's/^    hosts: 3072 .*$/    hosts: 2112/; s/^    spareHosts: 32 .*$/    spareHosts: 64/; s/^name: .*$/name: h100-2112-tight/' \
  sim/src/main/resources/gpufleet/presets/fleets/h100-24k-roce.yaml > "$fleet"
echo
echo "On 2,048 + 64 hosts (h100-24k-roce cut down; 64 spares in the fleet file):"
echo
echo "| variant | ETTR, mean of seeds 1-3 | range | seeds 1 / 2 / 3 |"
echo "|---|---|---|---|"
row "llama3-405b (spares replace only hosts that went down)" llama3-405b
row "all but spares (the 64 extra hosts serve as free hosts)" "$(variant nospares "$off_spares")"
row "all (llama3-405b-goodput)" llama3-405b-goodput

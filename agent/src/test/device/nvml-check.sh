#!/usr/bin/env bash
# Checks the agent's NVML binding against a real NVIDIA driver, in one short command:
#
#   agent/src/test/device/nvml-check.sh [WAIT_SECONDS]      (from anywhere; default wait 10 s)
#
# It compiles the gpu package with javac (the package needs only the JDK, so this works on a machine
# with no network and no Maven repository), runs NvmlProbe, which prints the driver version and each
# GPU's index, UUID, model, memory and temperature and then listens for health events, and compares
# the UUIDs with nvidia-smi's when nvidia-smi is installed. Exit status: the probe's (0 ok, 2 NVML not
# available), or 3 when the probe and nvidia-smi disagree.
#
# Environment: JAVA_HOME (a JDK 25; else /usr/lib/jvm/*25* is searched), NVML_LIBRARY (an explicit
# path to libnvidia-ml.so.1; default: the dynamic linker's search path).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
wait_s="${1:-10}"
. "$root/bin/find-jdk.sh"
echo "JDK: $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"

classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
"$JAVA_HOME/bin/javac" --release 25 -d "$classes" "$root"/agent/src/main/java/gpufleet/agent/gpu/*.java

args=(--wait "$wait_s")
if [[ -n "${NVML_LIBRARY:-}" ]]; then args+=(--library "$NVML_LIBRARY"); fi
status=0
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$classes" gpufleet.agent.gpu.NvmlProbe "${args[@]}" \
  | tee "$classes/probe.txt" || status=$?
[[ $status -eq 0 ]] || exit "$status"

if command -v nvidia-smi >/dev/null; then
  echo "--- nvidia-smi"
  nvidia-smi --query-gpu=index,uuid,name,memory.total,temperature.gpu,memory.used --format=csv
  probe_uuids="$(awk '/^GPU [0-9]+  /{print $3}' "$classes/probe.txt" | sort)"
  smi_uuids="$(nvidia-smi --query-gpu=uuid --format=csv,noheader | sort)"
  if [[ "$probe_uuids" == "$smi_uuids" ]]; then
    echo "OK: NvmlProbe and nvidia-smi agree on $(wc -l <<<"$smi_uuids") GPU UUID(s)"
  else
    echo "MISMATCH: NvmlProbe saw [$probe_uuids], nvidia-smi saw [$smi_uuids]"
    exit 3
  fi
else
  echo "nvidia-smi not found: nothing to compare with"
fi

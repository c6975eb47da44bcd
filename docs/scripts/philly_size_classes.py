#!/usr/bin/env python3
"""Size classes and run times of the Philly trace, as used in the research-mix workload preset.

Computed once; the results are written, rounded, into
sim/src/main/resources/gpufleet/presets/workloads/research-mix.yaml (and default.yaml).

Trace: Microsoft Philly, 2017 (Jeon et al., "Analysis of Large-Scale Multi-Tenant GPU Clusters
for DNN Training Workloads", USENIX ATC'19), per-job summary from the Pollux artifact
(github.com/petuum/adaptdl, branch osdi21-artifact, simulator/traces/philly.csv); see
../shared/traces/README.md.

Method:
  rows    every row of philly.csv with a timestamp; exact duplicate rows are counted once
  class   num_gpus rounded up to a power of two (the trace's 12-GPU jobs join 16, 24-GPU jobs 32)
  share   jobs in the class / all jobs
  median  sample median of duration
  mean    sample mean of duration
  sigma   the log-normal shape that reproduces both the median and the mean:
          mean = median * exp(sigma^2 / 2)  =>  sigma = sqrt(2 ln(mean / median))
  classes with fewer than 30 jobs (64 and 128 GPUs) take the median and mean of all 32..128-GPU
  jobs pooled, because 6 and 3 jobs say little about a distribution.

Usage: python3 docs/scripts/philly_size_classes.py [path/to/philly.csv]
"""
import csv
import math
import statistics
import sys
from collections import defaultdict

path = sys.argv[1] if len(sys.argv) > 1 else "../shared/traces/philly/philly.csv"
rows = set()
with open(path, newline="") as f:
    for row in csv.DictReader(f):
        if row["timestamp"]:
            rows.add((row["timestamp"], row["duration"], row["num_gpus"], row["gpu_time"], row["cluster"]))


def size_class(gpus):
    c = 1
    while c < gpus:
        c *= 2
    return c


durations = defaultdict(list)
for _ts, duration, gpus, _gpu_time, _cluster in rows:
    durations[size_class(int(gpus))].append(float(duration))

jobs = sum(len(v) for v in durations.values())
gpu_hours = sum(k * sum(v) for k, v in durations.items()) / 3600
print(f"jobs {jobs}, GPU-hours {gpu_hours:.0f}, mean GPU-hours per job {gpu_hours / jobs:.2f}")
pooled = durations[32] + durations[64] + durations[128]
print("class   jobs   share%   median_h    mean_h   sigma  note")
for k in sorted(durations):
    v = durations[k]
    sample = pooled if len(v) < 30 else v
    median = statistics.median(sample) / 3600
    mean = statistics.mean(sample) / 3600
    sigma = math.sqrt(2 * math.log(mean / median)) if mean > median else 0.0
    note = "median, mean and sigma of the pooled 32..128-GPU jobs" if sample is pooled else ""
    print(f"{k:5d} {len(v):6d} {100 * len(v) / jobs:8.4f} {median:10.4f} {mean:9.3f} {sigma:7.3f}  {note}")

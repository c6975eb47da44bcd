#!/bin/sh
# A stand-in for a training program, run by the agent tests: it takes steps, rank 0 checkpoints every
# 5 steps and reports each in $GPUFLEET_PROGRESS_FILE once it is in place, and every rank resumes from
# the newest checkpoint. Arguments: STEPS PAUSE [FAIL_RANK [HANG_AT]].
# FAIL_RANK exits 3 on the first run only, as a crashing rank would. On the first run, every rank that
# reaches step HANG_AT stays there until it is killed: it never ends on its own.
# Every launch appends one line to $GPUFLEET_CHECKPOINT_DIR/launches, never overwriting an earlier one:
#   RESTART RANK PID PARENT_PID NONCE
# so a rank started twice in one generation shows as two lines (the nonce keeps even a reused pid apart).
set -u
steps=$1
pause=$2
fail_rank=${3:--1}
hang_at=${4:--1}
ck="$GPUFLEET_CHECKPOINT_DIR"
start=0
[ -f "$ck/step" ] && start=$(cat "$ck/step")
echo "rank $RANK/$WORLD_SIZE local $LOCAL_RANK/$LOCAL_WORLD_SIZE group $GROUP_RANK gpus $CUDA_VISIBLE_DEVICES" \
     "master $MASTER_ADDR:$MASTER_PORT job $GPUFLEET_JOB_ID restart $GPUFLEET_RESTART_COUNT from step $start"
nonce=$(od -An -N8 -tu8 /dev/urandom | tr -d ' ')
# one short write with O_APPEND: lines from ranks launched at the same moment do not interleave
echo "$GPUFLEET_RESTART_COUNT $RANK $$ $PPID $nonce" >> "$ck/launches"
if [ "$RANK" = "$fail_rank" ] && [ "$GPUFLEET_RESTART_COUNT" = 0 ]; then
  echo "rank $RANK: simulated crash" >&2
  exit 3
fi
step=$start
while [ "$step" -lt "$steps" ]; do
  sleep "$pause"
  [ "$step" = "$hang_at" ] && [ "$GPUFLEET_RESTART_COUNT" = 0 ] && continue
  step=$((step + 1))
  if [ "$RANK" = 0 ] && [ $((step % 5)) = 0 ]; then
    echo "$step" > "$ck/step.tmp" && mv "$ck/step.tmp" "$ck/step" && echo "checkpoint $step" >> "$GPUFLEET_PROGRESS_FILE"
  fi
done
[ "$RANK" = 0 ] && echo "restart=$GPUFLEET_RESTART_COUNT start=$start" > "$ck/done"
echo "rank $RANK done at step $step"
exit 0

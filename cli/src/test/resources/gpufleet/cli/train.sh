#!/bin/sh
# A stand-in for a training program, run by the agent tests: it takes steps, rank 0 checkpoints every
# 5 steps and reports each in $GPUFLEET_PROGRESS_FILE once it is in place, and every rank resumes from
# the newest checkpoint. Arguments: STEPS PAUSE [FAIL_RANK].
# FAIL_RANK exits 3 on the first run only, as a crashing rank would.
set -u
steps=$1
pause=$2
fail_rank=${3:--1}
ck="$GPUFLEET_CHECKPOINT_DIR"
start=0
[ -f "$ck/step" ] && start=$(cat "$ck/step")
echo "rank $RANK/$WORLD_SIZE local $LOCAL_RANK/$LOCAL_WORLD_SIZE group $GROUP_RANK gpus $CUDA_VISIBLE_DEVICES" \
     "master $MASTER_ADDR:$MASTER_PORT job $GPUFLEET_JOB_ID restart $GPUFLEET_RESTART_COUNT from step $start"
echo $$ > "$ck/pid-$RANK-$GPUFLEET_RESTART_COUNT"
if [ "$RANK" = "$fail_rank" ] && [ "$GPUFLEET_RESTART_COUNT" = 0 ]; then
  echo "rank $RANK: simulated crash" >&2
  exit 3
fi
step=$start
while [ "$step" -lt "$steps" ]; do
  sleep "$pause"
  step=$((step + 1))
  if [ "$RANK" = 0 ] && [ $((step % 5)) = 0 ]; then
    echo "$step" > "$ck/step.tmp" && mv "$ck/step.tmp" "$ck/step" && echo "checkpoint $step" >> "$GPUFLEET_PROGRESS_FILE"
  fi
done
[ "$RANK" = 0 ] && echo "restart=$GPUFLEET_RESTART_COUNT start=$start" > "$ck/done"
echo "rank $RANK done at step $step"
exit 0

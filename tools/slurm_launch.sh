#!/usr/bin/env bash
# Usage: bash tools/slurm_launch.sh PARTITION JOB_NAME SCRIPT [SCRIPT args]
# Runs tools/SCRIPT (train.py or test.py) as GPUS Slurm tasks with
# --launcher slurm: one task per GPU, GPUS_PER_NODE per node.
# Environment (defaults): GPUS (8), GPUS_PER_NODE (min(GPUS, 8)),
# CPUS_PER_TASK (5), GRES (gpu:GPUS_PER_NODE; set it empty on CPU-only
# nodes, where the tasks use Gloo), SRUN_ARGS (extra srun options),
# PYTHON (python). Called by tools/slurm_train.sh and tools/slurm_test.sh.
set -e
if [ $# -lt 3 ]; then
    echo "usage: $0 PARTITION JOB_NAME SCRIPT [args]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
SCRIPT=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
GRES=${GRES-gpu:$GPUS_PER_NODE}
HERE=$(cd "$(dirname "$0")" && pwd)

# SRUN_ARGS is split into words on purpose (several options).
# shellcheck disable=SC2086
PYTHONPATH="$HERE/..":$PYTHONPATH \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    ${GRES:+--gres="$GRES"} \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "${PYTHON:-python}" -u "$HERE/$SCRIPT" --launcher slurm "${@:4}"

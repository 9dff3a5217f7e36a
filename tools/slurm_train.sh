#!/usr/bin/env bash
# Usage: [GPUS=16] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS=...] \
#     bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# Trains on GPUS Slurm tasks (one per GPU); see tools/slurm_launch.sh for
# every variable (GRES= for CPU-only nodes, PYTHON).
set -e
if [ $# -lt 4 ]; then
    echo "usage: $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]" >&2
    exit 2
fi
exec bash "$(dirname "$0")/slurm_launch.sh" "$1" "$2" train.py "$3" \
    --work-dir="$4" "${@:5}"

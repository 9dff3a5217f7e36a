#!/usr/bin/env bash
# The GPU check of docs/gpu.md in one call (under 8 minutes on one H200):
# `pytest -m cuda`, tools/analysis_tools/benchmark.py on CUDA, one epoch of
# the paper's recipe through tools/dist_train.sh (NCCL) on a RAF-DB-sized
# synthetic dataset, and its projected 120-epoch wall time
# (tools/gpu_check.py).
#
# Usage: bash tools/gpu_check.sh [--dry-run] [--budget-s S] [--max-batch B]
#   --dry-run: the same steps on CPU with the tiny test CLIP, in minutes.
# Results in $OUT (default work_dirs/gpu_check/out): summary.json, logs.
# PYTHON picks the interpreter (default python3). A machine without the
# OpenMMLab stack and open_clip uses .device_pkgs/, built beforehand by
# `bash tools/prepare_gpu_check.sh` and carried along; with the device tool:
#   run(command="bash tools/gpu_check.sh", carry=[".device_pkgs"],
#       timeout_s=540)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$ROOT/.device_pkgs" ]; then
    PYTHONPATH="$ROOT/.device_pkgs${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
OUT=${OUT:-$ROOT/work_dirs/gpu_check/out}
cd "$ROOT"
exec "${PYTHON:-python3}" tools/gpu_check.py --out "$OUT" "$@"

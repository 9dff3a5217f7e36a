#!/usr/bin/env bash
# The offline quick start: install everything, draw a synthetic RAF-DB-layout
# dataset, pretrain a tiny CLIP on generated (face, caption) pairs (no CLIP
# weights can be downloaded here), train MPA-FER on it and evaluate the last
# checkpoint. CPU is enough. The numbers it prints say nothing about real
# faces. Steps whose output exists are skipped; delete it to redo them.
# Each step prints its wall and CPU time; the last line is the test top-1.
# $WORK_DIR/results.json gathers the run (steps' times, losses, accuracies):
# copied to docs/results/quickstart.json, `python tools/misc/update_readme.py`
# writes it into the README. The figures of docs/zero_shot.md and
# docs/interpretability.md come from this run's outputs:
# `python tools/misc/quickstart_figures.py $WORK_DIR` (docs/results/README.md).
# INSTALL=0 skips tools/install.sh (an environment already installed, e.g.
# one $VENV shared by several checkouts, whose editable install it would
# re-point at this one).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "${INSTALL:-1}" = 0 ] || bash "$ROOT/tools/install.sh"
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
CONFIG=configs/quickstart_synthetic_rafdb.py
WORK_DIR=${WORK_DIR:-work_dirs/quickstart}
CLIP=work_dirs/quickstart/tiny_clip_synthetic.pt  # as in $CONFIG
DATA=data/synthetic_rafdb                         # as in $CONFIG
SEED=${SEED:-0}  # MPA-FER's seed (data and CLIP have their own, fixed)
AMP=${AMP:-}     # AMP=1: train and test under bf16 autocast (--amp)
# One torch thread per process: these models are too small to gain from
# intra-op threads, which cost several times the CPU once cores are busy
# (the training's data-loader worker uses the second core).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

STEPS=$WORK_DIR/steps.json  # each step's wall and CPU time, machine load
timed() {  # timed NAME CMD...: run CMD, print and record its wall and CPU time
    "$PY" tools/misc/timed.py "$STEPS" "$1" -- "${@:2}"
}

[ -f "$DATA/EmoLabel/list_patition_label.txt" ] || \
    timed data "$PY" tools/dataset_converters/make_synthetic_rafdb.py \
        --out "$DATA" --train-per-class 100 --test-per-class 30
# tee opens its log as the pipeline starts, before anything else has made
# the folder (data present, or WORK_DIR elsewhere)
mkdir -p "$(dirname "$CLIP")"
[ -f "$CLIP" ] || timed clip-pretraining \
    "$PY" tools/misc/pretrain_synthetic_clip.py --out "$CLIP" \
    | tee "${CLIP%.pt}.log"
timed mpafer-train "$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    ${AMP:+--amp} --cfg-options randomness.seed="$SEED"
timed mpafer-test "$PY" tools/test.py "$CONFIG" \
    "$(cat "$WORK_DIR/last_checkpoint")" --work-dir "$WORK_DIR/test" \
    ${AMP:+--amp} 2>&1 | tee "$WORK_DIR/test.log"
"$PY" tools/misc/quickstart_results.py "$WORK_DIR" --data "$DATA" \
    --clip-log "${CLIP%.pt}.log" --seed "$SEED"

#!/usr/bin/env bash
# Install everything, generate the synthetic RAF-DB-layout dataset, train
# MPA-FER with a tiny random-weight CLIP on it, and evaluate the checkpoint.
# Runs offline on CPU. The numbers it prints say nothing about real faces.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/install.sh"
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
CONFIG=configs/quickstart_synthetic_rafdb.py
WORK_DIR=${WORK_DIR:-work_dirs/quickstart_synthetic_rafdb}
"$PY" tools/make_synthetic_rafdb.py --out data/synthetic_rafdb
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
"$PY" tools/test.py "$CONFIG" "$WORK_DIR/$(cat "$WORK_DIR/last_checkpoint" | xargs basename)" \
    --work-dir "$WORK_DIR"

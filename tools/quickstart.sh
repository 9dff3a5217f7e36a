#!/usr/bin/env bash
# The offline quick start: install everything, draw a synthetic RAF-DB-layout
# dataset, pretrain a tiny CLIP on generated (face, caption) pairs (no CLIP
# weights can be downloaded here), train MPA-FER on it and evaluate the last
# checkpoint. CPU is enough. The numbers it prints say nothing about real
# faces. Steps whose output exists are skipped; delete it to redo them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/install.sh"
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
CONFIG=configs/quickstart_synthetic_rafdb.py
WORK_DIR=${WORK_DIR:-work_dirs/quickstart}
CLIP=work_dirs/quickstart/tiny_clip_synthetic.pt  # as in $CONFIG
DATA=data/synthetic_rafdb                         # as in $CONFIG

[ -f "$DATA/EmoLabel/list_patition_label.txt" ] || \
    "$PY" tools/make_synthetic_rafdb.py --out "$DATA" \
        --train-per-class 100 --test-per-class 30
[ -f "$CLIP" ] || "$PY" tools/pretrain_synthetic_clip.py --out "$CLIP"
"$PY" tools/train.py "$CONFIG" --work-dir "$WORK_DIR"
"$PY" tools/test.py "$CONFIG" "$(cat "$WORK_DIR/last_checkpoint")" \
    --work-dir "$WORK_DIR/test"

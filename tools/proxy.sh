#!/usr/bin/env bash
# The proxy benchmark (docs/proxy.md): draw its FER set (another style than
# the stand-in CLIP's pretraining faces), pretrain its 4-layer stand-in CLIP
# on the quick start's style of captioned faces, then run (or resume) the
# five-seed component ladder. Each finished run's record is written to
# docs/results/ladder_proxy/<row>/seed<k>.json and reused by later calls
# (in this or a fresh clone, once committed) only for the same resolved
# config and inputs; then `python tools/misc/update_readme.py` puts the
# table in the README. Steps whose output exists are skipped.
# SEEDS="0 1" runs fewer seeds; LADDER=0 stops after data and CLIP.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY="${VENV:-$ROOT/.venv}/bin/python"
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
CONFIG=configs/proxy/mpafer_proxy.py
DATA=data/proxy_rafdb                              # as in $CONFIG
CLIP=work_dirs/proxy/proxy_clip_synthetic.pt       # as in $CONFIG
SEEDS=${SEEDS:-0 1 2 3 4}

# The FER set: expressions at 0.5-1.0 of their typical strength, roll
# +-15 deg, yaw up to 0.3, an occluder on 20 % of faces, 300 identities the
# pretraining faces do not have; 200 train and 300 test images per class.
[ -f "$DATA/EmoLabel/list_patition_label.txt" ] || \
    "$PY" tools/dataset_converters/make_synthetic_rafdb.py --out "$DATA" \
        --train-per-class 200 --test-per-class 300 --image-size 64 --seed 1 \
        --intensity 0.5 1.0 --rotation 15 --yaw 0.3 --occlusion 0.2 \
        --identities 300
# The stand-in CLIP: pretrained on the quick start's style (line drawings,
# full-strength expressions, one face geometry) with attribute captions.
[ -f "$CLIP" ] || "$PY" tools/misc/pretrain_synthetic_clip.py \
    --model mpafer-proxy-vit-64 --out "$CLIP" | tee "${CLIP%.pt}.log"
[ "${LADDER:-1}" = 0 ] && exit 0
# shellcheck disable=SC2086
"$PY" tools/analysis_tools/ablation_ladder.py "$CONFIG" --seeds $SEEDS \
    --work-dir work_dirs/ladder_proxy --results docs/results/ladder_proxy
# Probe each run's last checkpoint (needs the runs' folders: a clone that
# reused every committed record has none, and keeps the committed probe).
if [ -d work_dirs/ladder_proxy ]; then
    "$PY" tools/analysis_tools/probe_ladder.py docs/results/ladder_proxy \
        --work-dir work_dirs/ladder_proxy
fi
"$PY" tools/misc/update_readme.py

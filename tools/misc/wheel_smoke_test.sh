#!/usr/bin/env bash
# Build the wheel, install it into a fresh virtual environment outside the
# checkout, and run from an empty folder what a user of the wheel runs: the
# configs and tools shipped in mpafer_plugin/.mim draw a small synthetic
# dataset, pretrain a tiny CLIP for one epoch, train MPA-FER for one epoch
# and test it. With WITH_MIM=1 training and testing go through
# `mim train mpafer_plugin CONFIG` / `mim test mpafer_plugin CONFIG
# --checkpoint ...` (openmim is then installed into the temporary
# environment, which needs a package index).
#
# The dependencies are not reinstalled: the temporary environment sees those
# of $PYTHON's environment (default .venv) through a .pth line, but not its
# editable install of this package. KEEP=1 keeps the temporary folder.
# Usage: [PYTHON=.venv/bin/python] [WITH_MIM=1] \
#     bash tools/misc/wheel_smoke_test.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
TMP=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "[wheel] keeping $TMP" || trap 'rm -rf "$TMP"' EXIT
say() { echo "[wheel] $*"; }

say "building the wheel of $ROOT"
"$PY" -m pip wheel -q --no-deps --no-build-isolation "$ROOT" -w "$TMP/dist"
WHEEL=$(ls "$TMP"/dist/mpafer_plugin-*.whl)

say "installing $(basename "$WHEEL") into $TMP/venv"
"$PY" -m venv --without-pip "$TMP/venv"
VPY="$TMP/venv/bin/python"
DEPS=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
VSITE=$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "$DEPS" > "$VSITE/_wheel_smoke_test_dependencies.pth"
"$PY" -m pip --python "$VPY" install -q --no-deps "$WHEEL"
if [ -n "${WITH_MIM:-}" ]; then
    "$PY" -m pip --python "$VPY" install -q openmim
fi

mkdir "$TMP/work" && cd "$TMP/work"
export MPAFER_CACHE="$TMP/cache" OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
MIM=$("$VPY" - "$TMP/venv" <<'EOF'
import os.path as osp
import sys

import mpafer_plugin

where = osp.dirname(mpafer_plugin.__file__)
assert where.startswith(sys.argv[1]), f'imported from {where}'
print(osp.join(where, '.mim'))
EOF
)
say "mpafer_plugin imported from the wheel; shipped files in $MIM"
"$VPY" "$MIM/tools/dataset_converters/make_synthetic_rafdb.py" \
    --out data/synthetic_rafdb --train-per-class 5 --test-per-class 2
"$VPY" "$MIM/tools/misc/pretrain_synthetic_clip.py" --pairs 64 --epochs 1 \
    --batch-size 32 --out work_dirs/quickstart/tiny_clip_synthetic.pt
CONFIG=quickstart_synthetic_rafdb.py
ONE_EPOCH=(train_cfg.max_epochs=1)
if [ -n "${WITH_MIM:-}" ]; then
    # mim finds the config by name in mpafer_plugin/.mim/configs and runs
    # mpafer_plugin/.mim/tools/train.py / test.py
    PATH="$TMP/venv/bin:$PATH" mim train mpafer_plugin "$CONFIG" \
        --work-dir work_dirs/train --cfg-options "${ONE_EPOCH[@]}"
    PATH="$TMP/venv/bin:$PATH" mim test mpafer_plugin "$CONFIG" \
        --checkpoint work_dirs/train/epoch_1.pth --work-dir work_dirs/test \
        --cfg-options "${ONE_EPOCH[@]}"
else
    "$VPY" "$MIM/tools/train.py" "$MIM/configs/$CONFIG" \
        --work-dir work_dirs/train --cfg-options "${ONE_EPOCH[@]}"
    "$VPY" "$MIM/tools/test.py" "$MIM/configs/$CONFIG" \
        work_dirs/train/epoch_1.pth --work-dir work_dirs/test \
        --cfg-options "${ONE_EPOCH[@]}"
fi
say "OK: trained and tested from the installed wheel in $TMP/work"

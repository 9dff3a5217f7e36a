#!/usr/bin/env bash
# Install the tested stack and this package (editable) into a virtual
# environment: $VENV, default .venv at the repository root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --disable-pip-version-check \
    "setuptools>=77,<81" wheel
"$PY" -m pip install -q --disable-pip-version-check --no-build-isolation \
    -r "$ROOT/requirements.txt"
# The MTCNN face detector's weights ship in the facenet-pytorch wheel, which
# pins torch<2.3 and numpy<2 that its MTCNN does not need: installed without
# its pins (its import needs requests, in requirements.txt).
# docs/face_detection.md says why.
"$PY" -m pip install -q --disable-pip-version-check --no-deps \
    "facenet-pytorch==2.6.0"
"$PY" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --no-deps -e "$ROOT"
"$PY" -c "import mpafer_plugin, mmpretrain, open_clip, torch; \
print('mpafer_plugin', mpafer_plugin.__version__, '| torch', torch.__version__, \
'| mmpretrain', mmpretrain.__version__, '| open_clip', open_clip.__version__)"

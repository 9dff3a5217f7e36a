#!/usr/bin/env bash
# Install the tested stack and this package (editable) into a virtual
# environment: $VENV, default .venv at the repository root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -c 'import sys; sys.version_info >= (3, 10) or sys.exit(
    f"error: {sys.executable} is Python {sys.version.split()[0]}; torch "
    "2.14.1 needs Python >= 3.10 (make $VENV with a newer python3)")'
"$PY" -m pip install -q --disable-pip-version-check \
    "setuptools>=77,<81" wheel
# The default torch wheels on Linux bring about 4 GB of CUDA libraries;
# TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu installs the CPU-only
# build of the pinned torch and torchvision from that index first.
if [ -n "${TORCH_INDEX_URL:-}" ]; then
    "$PY" -m pip install -q --disable-pip-version-check \
        --index-url "$TORCH_INDEX_URL" \
        $(grep -E '^torch(vision)?==' "$ROOT/requirements.txt")
fi
"$PY" -m pip install -q --disable-pip-version-check --no-build-isolation \
    -r "$ROOT/requirements.txt"
"$PY" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --no-deps -e "$ROOT"
"$PY" -c "import mpafer_plugin, mmpretrain, open_clip, torch; \
print('mpafer_plugin', mpafer_plugin.__version__, '| torch', torch.__version__, \
'| mmpretrain', mmpretrain.__version__, '| open_clip', open_clip.__version__)"

#!/usr/bin/env bash
# Build .device_pkgs/: the pure-Python packages tools/gpu_check.sh needs on a
# GPU machine whose Python has torch (and numpy, Pillow, OpenCV, PyYAML,
# regex, rich, timm, huggingface_hub, safetensors, einops, matplotlib,
# pytest...) but not the OpenMMLab stack or open_clip, and no network.
# Installed with --no-deps into a folder that gpu_check.sh puts on
# PYTHONPATH; carry it along (it is gitignored), e.g. for the device tool:
#   run(command="bash tools/gpu_check.sh", carry=[".device_pkgs"])
# Usage: bash tools/prepare_gpu_check.sh   (PYTHON: an interpreter whose pip
# may build mmcv-lite's sdist: setuptools<81, as tools/install.sh installs)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET=${TARGET:-$ROOT/.device_pkgs}
PY=${PYTHON:-python3}
# The tested stack (requirements.txt) and the pure-Python packages it needs
# that such a machine lacks; compiled ones (regex, PyYAML) must be there.
PACKAGES=(
    mmengine==0.10.7 mmcv-lite==2.2.0 mmpretrain==1.2.0
    open_clip_torch==3.3.0
    addict==2.4.0 termcolor==3.3.0 yapf==0.43.0 platformdirs==4.14.8
    ftfy==6.3.1 wcwidth==0.9.4
    importlib-metadata==10.2.0 lazy-importer==0.1.0
    modelindex==0.0.2 model-index==0.1.11 ordered-set==4.1.0 mat4py==0.6.0
)
if [ "$(uname -m)" != x86_64 ]; then  # wheels for the GPU machine's CPU
    echo "prepare_gpu_check: run it on x86-64, as the GPU machine" >&2
    exit 1
fi
rm -rf "$TARGET"
# mmcv-lite is an sdist whose setup.py imports pkg_resources: build it with
# this interpreter's setuptools (--no-build-isolation).
"$PY" -m pip install -q --disable-pip-version-check --no-deps \
    --no-build-isolation --no-compile --target "$TARGET" "${PACKAGES[@]}"
# Scripts, and test suites installed as top-level packages (model-index's
# `tests` would shadow this repository's).
rm -rf "$TARGET/bin" "$TARGET/tests" "$TARGET/yapftests"
# Extensions other than the stable ABI (abi3: any CPython 3) would be built
# for this interpreter only.
compiled=$(find "$TARGET" \( -name '*.so' -o -name '*.pyd' \) \
    ! -name '*.abi3.so' | head -5)
if [ -n "$compiled" ]; then
    echo "prepare_gpu_check: compiled files in $TARGET built for this" \
        "Python only:" >&2
    echo "$compiled" >&2
    exit 1
fi
echo "prepare_gpu_check: $(du -sh "$TARGET" | cut -f1) in $TARGET:" \
    "${PACKAGES[*]}"

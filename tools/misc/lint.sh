#!/usr/bin/env bash
# Check the code style (settings in setup.cfg): flake8, isort, yapf and
# codespell, each over the whole tree; exits non-zero if any of them
# complains. --fix rewrites the files instead (isort, then yapf) and then
# checks. The tools are pinned in requirements.txt (tools/install.sh).
# Usage: [PYTHON=.venv/bin/python] bash tools/misc/lint.sh [--fix]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PYTHON:-$ROOT/.venv/bin/python}
cd "$ROOT"
PATHS=(mpafer_plugin tests tools configs setup.py)
EXCLUDE='mpafer_plugin/.mim/**'
if [ "${1:-}" = --fix ]; then
    "$PY" -m isort "${PATHS[@]}" >/dev/null
    "$PY" -m yapf --in-place --recursive --exclude "$EXCLUDE" "${PATHS[@]}"
fi
status=0
check() {  # check NAME CMD...: run CMD, report NAME's verdict
    if "${@:2}"; then
        echo "[lint] $1: OK"
    else
        echo "[lint] $1: FAILED"
        status=1
    fi
}
check flake8 "$PY" -m flake8 "${PATHS[@]}"
check isort "$PY" -m isort --check-only --diff "${PATHS[@]}"
check yapf "$PY" -m yapf --diff --recursive --exclude "$EXCLUDE" "${PATHS[@]}"
check codespell "$PY" -m codespell_lib "${PATHS[@]}" README.md CHANGELOG.md docs \
    setup.cfg .pre-commit-config.yaml
exit $status

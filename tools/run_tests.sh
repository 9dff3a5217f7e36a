#!/usr/bin/env bash
# Install everything (tools/install.sh), then run the test suite.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/tools/install.sh"
cd "$ROOT"
exec "${VENV:-$ROOT/.venv}/bin/python" -m pytest tests "$@"

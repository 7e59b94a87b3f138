#!/usr/bin/env bash
# Install the dashboard into a virtual environment (the active one, else ./.venv) and start it.
# Opens on the demo store when no data is loaded. Extra arguments go to `streamlit run`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
pip_install -e .
exec "$PY" -m streamlit run app.py "$@"

#!/usr/bin/env bash
# Install everything the test suite needs into a virtual environment (the active one, else
# ./.venv) and run all of it: lint, unit, AppTest and real-browser tests. Browser tests use
# Debian's chromium (installed with apt-get when missing); Playwright's own browser download is
# never used. The engine tests run Spark in local mode: a Java runtime from Debian's packages is
# installed when `java` is missing. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
pip_install -e '.[test,scale]'

if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests..."
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if ! command -v java >/dev/null 2>&1; then
    echo "Installing Debian's Java runtime for the Spark engine tests..."
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq default-jre-headless >/dev/null
fi

"$PY" -m ruff check .
"$PY" -m ruff format --check .
"$PY" -m pytest "$@"

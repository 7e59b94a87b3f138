#!/usr/bin/env bash
# Install everything the test suite needs and run all of it (unit, AppTest, real browser).
# Browser tests use Debian's chromium (installed with apt-get when missing); Playwright's own
# browser download is never used.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

if [ ! -x /usr/bin/chromium ]; then
    echo "Installing Debian's chromium for the browser tests..."
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest "$@"

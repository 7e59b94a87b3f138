# Sourced by scripts/run.sh and scripts/test.sh: use the active virtual environment, else the
# project's own .venv (made here when missing), so that nothing installs into the system Python
# (Debian refuses that: "externally-managed-environment").
#   PY  - the environment's python
if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "${VIRTUAL_ENV}/bin/python" ]; then
    PY="${VIRTUAL_ENV}/bin/python"
else
    if [ ! -x .venv/bin/python ]; then
        echo "Creating a virtual environment in .venv ..."
        if ! python3 -m venv .venv 2>/dev/null; then
            # Debian without python3-venv has no ensurepip: make the environment without pip and
            # let the system's pip install into it (pip >= 22.3 knows --python).
            rm -rf .venv
            python3 -m venv --without-pip .venv
        fi
    fi
    PY="$(pwd)/.venv/bin/python"
fi

pip_install() {
    if "$PY" -m pip --version >/dev/null 2>&1; then
        "$PY" -m pip install --quiet --disable-pip-version-check "$@"
    else
        python3 -m pip --python "$PY" install --quiet --disable-pip-version-check "$@"
    fi
}

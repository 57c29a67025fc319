# Sourced by scripts/demo and scripts/test: make ./.venv with the project installed.
# Usage: . scripts/venv.sh [EXTRAS]   e.g. ". scripts/venv.sh test"
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "sparkcodes needs Python 3.11 or newer as '$PYTHON' (set PYTHON=/path/to/python3.11)." >&2
  exit 2
fi
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
  echo "need root (or sudo) to run: $*" >&2; exit 2; fi; }
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately from the interpreter.
    rm -rf .venv
    as_root apt-get update -qq
    as_root apt-get install -y -qq python3-venv >/dev/null
    "$PYTHON" -m venv .venv
  fi
fi
extras=${1:-}
stamp=".venv/.installed${extras:+-$extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
# Byte-compile the project's own modules: an editable install never does, and where
# PYTHONDONTWRITEBYTECODE is set nothing else will, so every command (and every worker's fork
# server) would compile the parsers from source at start-up, a fifth of a second each time.
.venv/bin/python -m compileall -q -j 0 parsers pipeline config sinks sources >/dev/null

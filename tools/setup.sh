#!/usr/bin/env bash
# Install everything the demo and its tests need, once: system packages from Debian when
# missing (redis-server, chromium), then a venv with this package and its dev requirements.
# Re-running is cheap: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ab >/dev/null 2>&1 || need+=(apache2-utils)   # the benchmarks' load generator
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need[*]} from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

stamp="$VENV/.bg_tasks_demo.stamp"
want="$(cat settings.ini setup.py | sha1sum | cut -d' ' -f1)"
if [ ! -x "$VENV/bin/python" ]; then echo "setup: creating $VENV"; "$PY" -m venv "$VENV"; fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages into $VENV"
  log="$VENV/pip-install.log"
  { "$VENV/bin/python" -m pip install --upgrade pip && "$VENV/bin/python" -m pip install -e '.[dev]'; } > "$log" 2>&1 \
    || { tail -40 "$log"; echo "setup: pip install failed (full log: $log)"; exit 1; }
  echo "$want" > "$stamp"
fi

#!/usr/bin/env bash
# Install everything the demo, its tests and its build need, once:
# - Debian's redis-server, chromium, apache2-utils and postgresql when missing (the tests start throwaway servers);
# - .venv: the runtime on the newest FastHTML stack. python-fasthtml and fastcore are installed first, as an app
#   would have them, then this package (no extras): the install must change neither (checked, and recorded in
#   .venv/install-check.txt for the test run), and must bring no engine (tools/check_install.py, recorded in
#   .venv/extras-check.txt); then every extra and the test tools;
# - .venv-oldest: the same, on the oldest versions the requirements allow (tools/oldest.txt), without the
#   optional celery extra (it needs a newer redis; its notebooks run on the newest stack);
# - .venv-nbdev: nbdev 2 as a build tool (export, clean, docs), with fastcore 1 as nbdev 2 needs.
# Re-running is cheap: each venv is rebuilt only when settings.ini, setup.py or tools/oldest.txt change.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v ab >/dev/null 2>&1 || need+=(apache2-utils)   # the benchmarks' load generator
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)   # throwaway servers for the PostgreSQL journal's tests
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "setup: installing ${need[*]} from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

want="$(cat settings.ini setup.py tools/oldest.txt | sha1sum | cut -d' ' -f1)"
cfg() { "$PY" -c "import configparser,sys; c=configparser.ConfigParser(); c.read('settings.ini'); print(c['DEFAULT']['$1'])"; }

venv() {  # venv DIR STEP...: create DIR and run the install steps unless its stamp is current
  local dir=$1; shift
  local stamp="$dir/.bg_tasks_demo.stamp" log="$dir/pip-install.log"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
  echo "setup: installing Python packages into $dir"
  rm -rf "$dir"; "$PY" -m venv "$dir"
  { "$dir/bin/python" -m pip install -q --upgrade pip && "$@"; } > "$log" 2>&1 \
    || { tail -40 "$log"; echo "setup: pip install into $dir failed (full log: $log)"; exit 1; }
  echo "$want" > "$stamp"
}

versions() { "$1/bin/python" -c "import importlib.metadata as m; print(' '.join(f'{p}=={m.version(p)}' for p in ('python-fasthtml','fastcore')))"; }

newest() {
  local pip=".venv/bin/python -m pip"
  $pip install python-fasthtml fastcore
  local before; before="$(versions .venv)"
  $pip install -e .
  local after; after="$(versions .venv)"
  printf 'app stack before: %s\nafter pip install -e .: %s\n' "$before" "$after" > .venv/install-check.txt
  [ "$before" = "$after" ] || { cat .venv/install-check.txt; echo "setup: installing bg_tasks_demo changed the app's FastHTML stack"; return 1; }
  .venv/bin/python tools/check_install.py > .venv/extras-check.txt 2>&1   # what the package brings without extras (read by the tests)
  $pip install -e '.[dev,all,bench]'   # the newest stack has every engine, and the peers the benchmarks measure
}
oldest() { .venv-oldest/bin/python -m pip install -c tools/oldest.txt -e '.[dev,dramatiq,process,fast,cron,postgres]'; }   # no celery: see below
nbdev_env() {  # the docs run the notebooks' exported cells, so the package is installed too, on fastcore 1
  .venv-nbdev/bin/python -m pip install $(cfg build_requirements) && .venv-nbdev/bin/python -m pip install -c tools/oldest.txt -e '.[dramatiq,process,fast,cron,postgres]' celery
}   # celery without its redis extra: the docs only import it (kombu[redis] wants a newer redis than the oldest pins)

# the three at once: each waits mostly on the registry, and each logs to its own file
venv .venv newest & a=$!
venv .venv-oldest oldest & b=$!
venv .venv-nbdev nbdev_env & c=$!
ok=0; for p in $a $b $c; do wait "$p" || ok=1; done
[ "$ok" = 0 ] || { echo "setup: a venv failed to install (see above)"; exit 1; }

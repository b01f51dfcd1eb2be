"""Run one notebook's tests with execnb, as `nbdev_test` does (cells flagged `#| eval: false` or with a skipped
test flag are not run), in the Python that runs this script, so the notebooks are tested on that environment's
stack. Works with execnb 0.1 (fastcore 1) and 0.3 (fastcore 2). Exit 0 if every cell ran without an exception.

    python tools/run_nb.py nbs/34_runners_inline.ipynb [--skip bench] [--force bench]"""
import argparse, os, re, signal, sys, time
from pathlib import Path
from execnb.shell import CaptureShell
try: from execnb.nbio import read_nb        # execnb 0.1
except ImportError: from fastcore.nbio import read_nb   # execnb 0.3 reads notebooks with fastcore's nbio

def directives(src:str) -> dict:
    "nbdev-style directives at the top of a cell: `#| eval: false` -> {'eval:': ['false']}, `#| bench` -> {'bench': []}"
    out = {}
    for line in src.splitlines():
        if not line.strip(): continue
        m = re.match(r'^\s*#\s*\|\s*(\S+)(.*)$', line)
        if not m: break
        out[m[1]] = m[2].split()
    return out

def run(path:Path, skip:set=frozenset(), force:set=frozenset()) -> bool:
    os.environ['IN_TEST'] = '1'
    flags = set(skip) - set(force)
    def no_eval(cell):
        if cell.cell_type != 'code': return True
        d = directives(cell.source)
        if d.get('eval:', [''])[0].lower() == 'false': return True
        return bool(flags & d.keys())
    nb = read_nb(path)
    k = CaptureShell(path)
    os.chdir(path.parent)
    try: k.run_all(nb, exc_stop=True, preproc=no_eval); return True
    except Exception:
        sys.stderr.write(k.prettytb(fname=path) + '\n'); return False

if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('path'); p.add_argument('--skip', default=''); p.add_argument('--force', default='')
    a = p.parse_args()
    # SIGTERM (a test run stopped) exits as an exception would: atexit hooks stop the servers the notebook started.
    # Not in a process forked from this one (a notebook's multiprocessing pool): there SIGTERM kills as it always did,
    # or `Pool.terminate` waits for ever on a worker blocked in a lock, where a Python handler never runs
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.register_at_fork(after_in_child=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    t0 = time.time()
    ok = run(Path(a.path).resolve(), set(a.skip.split()), set(a.force.split()))
    sys.exit(0 if ok else 1)

"""The test command: check that the build leaves the tree unchanged (nbdev 2, in .venv-nbdev), then run every
notebook's tests on each stack (the newest FastHTML in .venv, the oldest the requirements allow in
.venv-oldest), each notebook in a fresh process of that stack's Python (tools/run_nb.py, on execnb), three at a
time (the longest first), and end with one line: `N passed, M failed`."""
import argparse, configparser, glob, os, signal, subprocess, sys, time, uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

root = Path(__file__).resolve().parent.parent
STACKS = {'newest': '.venv', 'oldest': '.venv-oldest'}
NBDEV = root/'.venv-nbdev'/'bin'

def git_status(*paths):
    return subprocess.run(['git', 'status', '--porcelain', '--', *paths], capture_output=True, text=True, cwd=root).stdout.strip()

def check_unchanged(cmd, paths) -> bool:
    "Run nbdev command `cmd` and report whether it changed any of `paths`"
    before = git_status(*paths)
    r = subprocess.run([str(NBDEV/cmd)], capture_output=True, text=True, cwd=root)
    after = git_status(*paths)
    ok = r.returncode == 0 and after == before
    if not ok: print(f'{cmd} changed the tree:\n{after}\n{r.stdout}{r.stderr}', file=sys.stderr)
    return ok

def install_check() -> bool:
    "setup.sh recorded the app's FastHTML stack before and after installing this package: unchanged?"
    f = root/'.venv'/'install-check.txt'
    lines = f.read_text().splitlines() if f.exists() else []
    ok = len(lines) == 2 and lines[0].split(': ', 1)[1] == lines[1].split(': ', 1)[1]
    if not ok: print(f'{f}:\n' + '\n'.join(lines), file=sys.stderr)
    return ok

def extras_check() -> bool:
    "tools/check_install.py's findings, recorded by setup.sh after installing the package with no extras: `ok`?"
    f = root/'.venv'/'extras-check.txt'
    lines = f.read_text().splitlines() if f.exists() else ['(not recorded)']
    if lines[-1] != 'ok': print(f'{f}:\n' + '\n'.join(lines), file=sys.stderr)
    return lines[-1] == 'ok'

SLOW = ('63_outages', '61_full_disk', '62_streams', '52_scale', '41_runners_celery', '59_lost_messages', '60_locked_journal', '56_control_proofs', '57_retention_bench', '50_reliability', '53_bench', '55_browser', '64_postgres', '35_runners_worker', '09_cli')

# Notebooks that run on some stacks only (an optional extra the oldest lacks; the benchmarks), not counted elsewhere
ONLY = {nb: (('newest',), "the celery extra (kombu[redis]) needs redis>=6.4, above the oldest stack's redis 5.0")
        for nb in ('41_runners_celery.ipynb', '42_runners_celery_worker.ipynb', '59_lost_messages.ipynb')}
ONLY.update({nb: (('newest',), "a benchmark: its figures are taken on the newest stack (`make bench`), and its small "
                  "run here checks its code once") for nb in ('53_bench.ipynb', '57_retention_bench.ipynb', '65_postgres_bench.ipynb')})

def marked(mark:str) -> list:
    "PIDs of the processes whose environment carries `BG_TEST_RUN=mark` (a notebook's run and all it started)"
    want, pids = f'BG_TEST_RUN={mark}'.encode(), []
    for d in Path('/proc').iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid(): continue
        try:
            if want in (d/'environ').read_bytes().split(b'\0'): pids.append(int(d.name))
        except OSError: pass   # gone meanwhile, or not ours to read
    return pids

def left_behind(mark:str, grace:float=5) -> list:
    "The processes a notebook's run left running, given `grace` seconds to end; each is then killed: their command lines"
    end = time.monotonic() + grace
    while (pids := marked(mark)) and time.monotonic() < end: time.sleep(0.2)
    cmds = []
    for pid in pids:
        try: cmd = Path(f'/proc/{pid}/cmdline').read_bytes().replace(b'\0', b' ').decode(errors='replace')
        except OSError: continue
        cmds.append(f'{pid}: {cmd[:200]}')
        try: os.kill(pid, signal.SIGKILL)
        except OSError: pass
    return cmds

def run_nb(stack:str, nb:Path, skip:str, force:str):
    "Run notebook `nb` on `stack` in a process of its own; it passes if every cell ran and it left no process running"
    py = root/STACKS[stack]/'bin'/'python'
    mark = f'{stack}:{nb.stem}:{uuid.uuid4().hex[:8]}'
    env = {**os.environ, 'BG_NBDEV_PYTHON': str(NBDEV/'python'), 'BG_STACK': stack, 'BG_TEST_RUN': mark}
    t0 = time.time()
    r = subprocess.run([str(py), str(root/'tools'/'run_nb.py'), str(nb), '--skip', skip, '--force', force],
                       capture_output=True, text=True, env=env, cwd=root)
    out = r.stdout + r.stderr
    if left := left_behind(mark): out += '\nthe notebook left processes running (killed now):\n' + '\n'.join(left)
    return r.returncode == 0 and not left, time.time() - t0, out

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--path', default='nbs/[0-9]*.ipynb nbs/guide/[0-9]*.ipynb nbs/index.ipynb', help='space separated globs')
    p.add_argument('--flags', default='', help='test flags to run that are normally skipped')
    p.add_argument('--stacks', default='newest oldest', help=f'which of {", ".join(STACKS)}')
    p.add_argument('--n_workers', type=int, default=3)   # most long tests wait on timers (heartbeats, redelivery windows), not CPU
    a = p.parse_args()
    files = sorted({Path(f).resolve() for g in a.path.split() for f in glob.glob(str(root/g))})
    cfg = configparser.ConfigParser(); cfg.read(root/'settings.ini')
    skip = cfg['DEFAULT'].get('tst_flags', '')
    results = []
    def report(ok, what):
        print(f"{'PASS' if ok else 'FAIL'}  {what}", flush=True); results.append(ok)
    if not a.flags:
        for cmd, paths in (('nbdev_export', ['bg_tasks_demo']), ('nbdev_clean', ['nbs'])):
            report(check_unchanged(cmd, paths), f'{cmd} (nbdev 2, .venv-nbdev) leaves the tree unchanged')
        report(subprocess.run([sys.executable, str(root/'tools'/'readme.py'), '--check']).returncode == 0, 'README.md matches nbs/index.ipynb')
        report(install_check(), "pip install of bg_tasks_demo changed neither python-fasthtml nor fastcore in the newest stack's venv")
        report(subprocess.run([sys.executable, str(root/'tools'/'layers.py')]).returncode == 0,
               'the package in layers (tools/layers.py): no import circle, strings counted; core names no runner or view; runners and views never import core; modules of 400 lines at most; notebooks named after their modules, in import order; no engine imported by the package')
        report(extras_check(), 'pip install of bg_tasks_demo with no extras brings no engine, imports none, and names the extra a runner needs')
    t0 = time.time()
    jobs = [(s, f) for s in a.stacks.split() for f in files if s in ONLY.get(f.name, (s, ''))[0]]
    jobs.sort(key=lambda j: j[1].stem not in SLOW)   # the long ones first, so the run ends when the short ones do
    for s in a.stacks.split():
        for f in files:
            if s not in ONLY.get(f.name, (s, ''))[0]: print(f'SKIP  [{s}] {f.name}: {ONLY[f.name][1]}', flush=True)
    with ThreadPoolExecutor(a.n_workers) as ex:
        futs = [(s, f, ex.submit(run_nb, s, f, skip, a.flags)) for s, f in jobs]
        for s, f, fut in futs:
            ok, t, out = fut.result()
            if not ok: print(out[-6000:], file=sys.stderr)
            report(ok, f'[{s}] {f.name}  ({t:.1f}s)')
    n_ok = sum(results)
    print(f'total {time.time()-t0:.0f}s')
    print(f'{n_ok} passed, {len(results)-n_ok} failed')
    sys.exit(0 if results and n_ok == len(results) else 1)

if __name__ == '__main__': main()

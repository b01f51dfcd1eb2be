"""Run every notebook's tests (nbdev's `test_nb`, in parallel), check that `nbdev_export` and
`nbdev_clean` leave the tree unchanged, and end with one line: `N passed, M failed`."""
import argparse, glob, os, subprocess, sys, time
from pathlib import Path
from fastcore.parallel import parallel
from nbdev.config import get_config
from nbdev.test import test_nb

root = Path(__file__).resolve().parent.parent
os.chdir(root)

def git_diff(*paths):
    return subprocess.run(['git', 'status', '--porcelain', '--', *paths], capture_output=True, text=True).stdout.strip()

def check_unchanged(cmd, paths):
    "Run `cmd` and report whether it changed any of `paths` that were clean before"
    before = git_diff(*paths)
    r = subprocess.run([str(Path(sys.executable).parent/cmd)], capture_output=True, text=True)
    after = git_diff(*paths)
    ok = r.returncode == 0 and after == before
    if not ok: print(f'{cmd} changed the tree:\n{after}\n{r.stdout}{r.stderr}', file=sys.stderr)
    return ok

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--path', default='nbs/[0-9]*.ipynb nbs/index.ipynb', help='space separated globs')
    p.add_argument('--flags', default='', help='test flags to run that are normally skipped')
    p.add_argument('--n_workers', type=int, default=2)
    a = p.parse_args()
    files = sorted({Path(f).resolve() for g in a.path.split() for f in glob.glob(g)})
    cfg = get_config()
    skip, force = cfg.tst_flags.split(), a.flags.split()
    results = []
    if not a.flags:
        for cmd, paths in (('nbdev_export', ['bg_tasks_demo']), ('nbdev_clean', ['nbs'])):
            ok = check_unchanged(cmd, paths)
            print(f"{'PASS' if ok else 'FAIL'}  {cmd} leaves the tree unchanged", flush=True)
            results.append(ok)
        ok = subprocess.run([sys.executable, 'tools/readme.py', '--check']).returncode == 0
        print(f"{'PASS' if ok else 'FAIL'}  README.md matches nbs/index.ipynb", flush=True)
        results.append(ok)
    t0 = time.time()
    os.chdir(cfg.nbs_path)
    res = parallel(test_nb, files, skip_flags=skip, force_flags=force, n_workers=a.n_workers,
                   basepath=cfg.config_path, pause=0.5, do_print=False)
    os.chdir(root)
    for f, (ok, t) in zip(files, res):
        print(f"{'PASS' if ok else 'FAIL'}  {f.name}  ({t:.1f}s)", flush=True)
        results.append(ok)
    n_ok = sum(results)
    print(f'total {time.time()-t0:.0f}s')
    print(f'{n_ok} passed, {len(results)-n_ok} failed')
    sys.exit(0 if results and n_ok == len(results) else 1)

if __name__ == '__main__': main()

"""Run by tools/setup.sh in the newest stack's venv right after `pip install -e .` with no extras: what the package
alone brings, and that it works without its extras. Prints its findings; the last line is `ok`, or the problem."""
import importlib.metadata as md, json, subprocess, sys

ENGINES = ('dramatiq', 'redis', 'celery', 'kombu', 'pebble', 'aiohttp', 'httpx-aiohttp', 'croniter')
PROBE = r'''
import json, sys
from bg_tasks_demo import Tasks
from bg_tasks_demo.schedule import Schedule
from bg_tasks_demo.httpclient import shared_client
out = dict(imported=sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1].split(','))))
errs = {}
for runner in ('dramatiq', 'celery', 'process'):
    try: Tasks(':memory:', runner=runner, broker_url='redis://127.0.0.1:6379/0'); errs[runner] = None
    except ImportError as e: errs[runner] = str(e)
try: Schedule(cron='0 3 * * *'); errs['cron'] = None
except ImportError as e: errs['cron'] = str(e)
out['errors'] = errs
tk = Tasks(':memory:', runner='immediate')
@tk.task
def add(a:int, b:int): return a + b
h = add.enqueue(2, 3)
out['task'] = [h.status, h.result]
out['client'] = type(shared_client()._transport).__module__
print(json.dumps(out))
'''

def main():
    have = sorted({d.metadata['Name'].lower() for d in md.distributions()})
    print(f'installed with no extras ({len(have)}):', ' '.join(have))
    mods = ('dramatiq', 'redis', 'celery', 'kombu', 'pebble', 'aiohttp', 'httpx_aiohttp', 'croniter')
    r = subprocess.run([sys.executable, '-c', PROBE, ','.join(mods)], capture_output=True, text=True)
    if r.returncode: return print(f'the package without extras failed:\n{r.stderr[-3000:]}')
    got = json.loads(r.stdout.strip().splitlines()[-1]); print(json.dumps(got))
    problems = [f'installed: {p}' for p in ENGINES if p in have]
    problems += [f'import bg_tasks_demo imported {m}' for m in got['imported']]
    for extra, err in got['errors'].items():
        if not err or f"bg_tasks_demo[{extra}]" not in err: problems.append(f'no error naming the {extra} extra: {err!r}')
    if got['task'] != ['succeeded', 5]: problems.append(f'a task without extras: {got["task"]}')
    if not got['client'].startswith('httpx'): problems.append(f'the HTTP client without extras: {got["client"]}')
    print('; '.join(problems) or 'ok')

if __name__ == '__main__': main()

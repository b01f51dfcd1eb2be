"""Test and benchmark plumbing for this repository's notebooks: real processes started by PID on free
loopback ports, and stopped. Not part of the package (users' own tests get `bg_tasks_demo.testing`).
Notebooks import it with `sys.path.insert(0, '../tools')`."""
import atexit, glob, os, shutil, signal, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
import httpx
from bg_tasks_demo.testing import free_port, wait_port, ServerThread

def script(name:str) -> str:
    "Path of console script `name` installed next to this Python"
    p = Path(sys.executable).parent/name
    return str(p) if p.exists() else name

def flags(kw:dict) -> list:
    "Command-line flags from keyword arguments: `dict(delay=1)` -> `['--delay', '1']`"
    return [str(o) for k, v in kw.items() for o in (f'--{k}', v)]

_LIVE, _LIVE_LOCK = {}, threading.Lock()   # every Proc not yet stopped, by PID: stopped at exit (`stop_all`)

class Proc:
    "A child process started from `cmd` in its own process group, logged to a file, stopped by its PID (at the latest when this process exits)"
    def __init__(self, cmd:list, port:int=None, cwd=None, env=None, timeout:float=30, log=None,
                 user:str=None): # run as this user (PostgreSQL refuses to run as root)
        self.cmd, self.port = [str(o) for o in cmd], port
        self.log = Path(log or tempfile.mkstemp(prefix='bgproc-', suffix='.log')[1])
        if user: shutil.chown(self.log, user)
        self._f = open(self.log, 'ab')
        self.p = subprocess.Popen(self.cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=self._f,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, user=user)
        self.pid = self.p.pid
        with _LIVE_LOCK: _LIVE[self.pid] = self
        if port:
            try: wait_port(port, timeout=timeout, proc=self.p)
            except Exception as e:
                self.stop()
                raise RuntimeError(f'{e}\n--- log of {self.cmd}:\n{self.output()}') from None
    @property
    def url(self): return f'http://127.0.0.1:{self.port}'
    def output(self): return self.log.read_text(errors='replace')
    def alive(self): return self.p.poll() is None
    def signal(self, sig):
        if self.alive(): os.kill(self.pid, sig)
    def kill(self):
        "SIGKILL, as in a crash; no cleanup runs"
        self.signal(signal.SIGKILL); self.p.wait(10)
    def kill_group(self):
        "SIGKILL the process and every process it started (Dramatiq's workers are its children)"
        try: os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError: pass
        self.p.wait(10)
    def stop(self, timeout:float=15) -> int:
        "SIGTERM, then SIGKILL (of the whole group) after `timeout`; the exit code"
        self.signal(signal.SIGTERM)
        try: self.p.wait(timeout)
        except subprocess.TimeoutExpired: self.kill_group()
        try: os.killpg(self.pid, signal.SIGKILL)   # children left behind, if any
        except (ProcessLookupError, PermissionError): pass
        self._f.close()
        with _LIVE_LOCK: _LIVE.pop(self.pid, None)
        return self.p.returncode
    def __enter__(self): return self
    def __exit__(self, *exc): self.stop()

@atexit.register
def stop_all(timeout:float=5):
    "Stop every `Proc` still running (a notebook whose cell failed before its own stop): none outlives its test"
    with _LIVE_LOCK: left = list(_LIVE.values())
    for p in left:
        try: p.stop(timeout)
        except Exception as e: print(f'stopping {p.cmd[0]} (pid {p.pid}) failed: {e}', file=sys.stderr)

def children(pid:int) -> list:
    "PIDs of the processes `pid` started (a worker runner's worker, a process pool's processes)"
    try: return [int(c) for t in Path(f'/proc/{pid}/task').iterdir() for c in (t/'children').read_text().split()]
    except FileNotFoundError: return []

def slow_api_proc(port:int=None, **kw) -> Proc:
    "`bg_slow_api` in its own process on a free port; `kw` become its flags"
    port = port or free_port()
    return Proc([script('bg_slow_api'), '--port', port, *flags(kw)], port=port)

OPERATOR_TOKEN = 'test-operator-token'   # the tests are the examples' operator: they see every task and problem
OPERATOR = {'authorization': f'Bearer {OPERATOR_TOKEN}'}

def dashboard_proc(db, slow_url:str, port:int=None, cwd=None, env=None, **kw) -> Proc:
    "`bg_dashboard` in its own process on a free port, on SQLite file `db`, the tests its operator; `kw` become its flags"
    port = port or free_port()
    kw.setdefault('token', OPERATOR_TOKEN)
    return Proc([script('bg_dashboard'), '--port', port, '--db', db, '--slow_url', slow_url, *flags(kw)], port=port, cwd=cwd, env=env)

def redis_proc(port:int=None, dir=None, persist:bool=False) -> Proc:
    "A throwaway `redis-server` on 127.0.0.1 and a free port; with `persist`, its data survives a restart on the same `dir`"
    port = port or free_port()
    dir = dir or tempfile.mkdtemp()
    keep = ['--appendonly', 'yes', '--appendfsync', 'always'] if persist else ['--appendonly', 'no']
    return Proc(['redis-server', '--port', port, '--bind', '127.0.0.1', '--save', '', *keep, '--dir', dir], port=port)

def pg_bin(name:str) -> str:
    "Debian's PostgreSQL program `name` (`initdb`, `postgres`): they live outside the PATH, under a version's folder"
    found = sorted(glob.glob(f'/usr/lib/postgresql/*/bin/{name}'), key=lambda p: int(p.split('/')[4]))
    if found: return found[-1]
    if (w := shutil.which(name)): return w
    raise FileNotFoundError(f'PostgreSQL\'s {name} is not installed: make setup installs Debian\'s postgresql')

class PgProc(Proc):
    "A throwaway PostgreSQL server: a new cluster in temp dir `dir` (`initdb`, trust auth on loopback only), on 127.0.0.1 and a free port, as the `postgres` user when run as root; `url` is its `postgres` database"
    def __init__(self, port:int=None, dir=None, settings:dict=None):
        self.user = 'postgres' if os.geteuid() == 0 else None
        fresh = dir is None
        self.dir = Path(dir or tempfile.mkdtemp(prefix='bgpg-'))
        if self.user: shutil.chown(self.dir, self.user)
        if fresh or not (self.dir/'PG_VERSION').exists():
            subprocess.run([pg_bin('initdb'), '-D', self.dir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'],
                           check=True, capture_output=True, user=self.user)
        port = port or free_port()
        opts = {'listen_addresses': '127.0.0.1', 'unix_socket_directories': self.dir, 'max_connections': 200,
                **(settings or {})}
        super().__init__([pg_bin('postgres'), '-D', self.dir, '-p', port, *[o for k, v in opts.items() for o in ('-c', f'{k}={v}')]],
                         port=port, user=self.user, timeout=60)
        wait_until(lambda: self._ready(), timeout=30)
    def _ready(self) -> bool:
        return subprocess.run([pg_bin('pg_isready'), '-h', '127.0.0.1', '-p', str(self.port)], capture_output=True).returncode == 0
    @property
    def url(self): return f'postgresql://postgres@127.0.0.1:{self.port}/postgres'
    def createdb(self, name:str) -> str:
        "A new database `name` on this server; its URL"
        import psycopg
        with psycopg.connect(self.url, autocommit=True) as c: c.execute(f'create database "{name}"')
        return self.url.rpartition('/')[0] + '/' + name
    def stop(self, timeout:float=15) -> int:
        "Fast shutdown (SIGINT: PostgreSQL's own for 'end the sessions, then stop'), then SIGKILL after `timeout`"
        self.signal(signal.SIGINT)
        return super().stop(timeout)

def worker_proc(app:str, broker_url:str, cwd=None, env=None, **kw) -> Proc:
    "`bg_worker --app app` in its own process group, from directory `cwd`"
    return Proc([script('bg_worker'), '--app', app, '--broker_url', broker_url, *flags(kw)], cwd=cwd or tempfile.mkdtemp(), env=env)

def submit_many(url:str, n:int, workers:int=50, path:str='/submit') -> list:
    "POST `n` submits to `url`, `workers` at a time; the status codes"
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=workers)) as c, ThreadPoolExecutor(workers) as ex:
        return list(ex.map(lambda _: c.post(url + path).status_code, range(n)))

def submit_until_accepted(url:str, n:int, workers:int=50, path:str='/submit', tries:int=40) -> tuple:
    """POST `n` submits, `workers` at a time, each sent again after a 503 once its `Retry-After` (at most 1 s) has passed,
    as a client told the journal is busy does; the final status codes, and how many 503s were answered on the way"""
    busy = []
    def one(_):
        for _ in range(tries):
            r = c.post(url + path)
            if r.status_code != 503: return r.status_code
            busy.append(1); time.sleep(min(float(r.headers.get('retry-after') or 1), 1))
        return r.status_code
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=workers)) as c, ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, range(n))), len(busy)

def stats(url:str) -> dict:
    "A dashboard's `/api/stats`, as its operator reads them (the runner's problem included)"
    return httpx.get(f'{url}/api/stats', headers=OPERATOR, timeout=30).json()

def wait_until(f, timeout:float=60, every:float=0.1):
    "Poll `f()` until it is truthy, for at most `timeout` seconds; its last value"
    end = time.monotonic() + timeout
    while not (v := f()) and time.monotonic() < end: time.sleep(every)
    return v

def db_report(db) -> dict:
    "Journal stats read straight from the SQLite file, plus the results table and its duplicates"
    from bg_tasks_demo.journal import Journal
    from bg_tasks_demo.guide.store import Store
    j, s = Journal(db), Store(db)
    r = {**j.stats(), 'results': s.n_results(), 'distinct_result_tasks': s.q('select count(distinct task_id) n from result')[0]['n'],
         'tasks': j.q('select count(*) n from bg_task')[0]['n']}
    j.close(); s.close()
    return r

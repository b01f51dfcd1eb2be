"""Benchmark plumbing for `nbs/53_bench.ipynb`: app factories for `uvicorn --factory`, Apache Bench, an SSE
watcher, page timing and percentiles. Not part of the package. Notebooks import it next to `bgtest`, with
`sys.path.insert(0, '../tools')`; `uvicorn_proc` serves its factories with `--app-dir` pointing here."""
import os, re, subprocess, sys, threading, time
from pathlib import Path
import httpx
from fasthtml.common import fast_app, P
from bg_tasks_demo.testing import free_port
from bg_tasks_demo.guide.dashboard import guide_dashboard
from bgtest import Proc, children

TOOLS = Path(__file__).resolve().parent

# The targets

def bare_app():
    "A FastHTML app whose `/submit` does nothing but answer: the ceiling for any handler"
    app, rt = fast_app()
    @rt('/submit')
    def submit(): return P('Request submitted')
    return app

def bare_async_app():
    "The same, with an `async` handler: no hop to a thread, the ceiling for an async handler"
    app, rt = fast_app()
    @rt('/submit')
    async def submit(): return P('Request submitted')
    return app

def guide_app():
    "The guide's dashboard, configured from `BG_DB` and `BG_SLOW_URL` (for `uvicorn --factory`)"
    return guide_dashboard(os.environ.get('BG_DB', ':memory:'), os.environ['BG_SLOW_URL'])

def uvicorn_proc(factory:str, port:int=None, env=None) -> Proc:
    "`uvicorn --factory` for `factory` (`module:function`, importable from this folder) on a free port, in its own process"
    port = port or free_port()
    return Proc([sys.executable, '-m', 'uvicorn', '--app-dir', TOOLS, '--factory', factory, '--host', '127.0.0.1',
                 '--port', port, '--log-level', 'warning'], port=port, env=env)

# Measuring

def ab(url:str, n:int=1000, c:int=50) -> dict:
    "POST `n` requests to `url`, `c` at a time, as htmx does (`HX-Request: true`); req/s, p50 and p99 in ms, failures"
    r = subprocess.run(['ab', '-q', '-n', str(n), '-c', str(c), '-s', '60', '-p', '/dev/null', '-H', 'HX-Request: true',
                        '-T', 'application/x-www-form-urlencoded', url], capture_output=True, text=True, timeout=600)
    if r.returncode: raise RuntimeError(f'ab failed: {r.stderr[-500:]}')
    out = r.stdout
    pct = lambda p: float(re.search(rf'^\s*{p}%\s+(\d+)', out, re.M).group(1))
    return dict(rps=float(re.search(r'Requests per second:\s+([\d.]+)', out).group(1)), p50=pct(50), p99=pct(99),
                failed=sum(int(m) for m in re.findall(r'(?:Connect|Receive|Exceptions): (\d+)', out)),  # not `Length`: bodies differ
                non2xx=int(m.group(1)) if (m := re.search(r'Non-2xx responses:\s+(\d+)', out)) else 0)

def peak_rss_mb(pid:int) -> float:
    "Peak resident memory of process `pid` (VmHWM), in MB"
    txt = Path(f'/proc/{pid}/status').read_text()
    return int(re.search(r'VmHWM:\s+(\d+) kB', txt).group(1)) / 1024

def tree_rss_mb(pid:int) -> float:
    "Peak resident memory of `pid` plus that of its children, in MB"
    return peak_rss_mb(pid) + sum(peak_rss_mb(c) for c in children(pid))

def tree_cpu(pid:int) -> float:
    "CPU seconds (user and system) that process `pid` and every process under it have used so far, from `/proc`"
    tick, total, todo = os.sysconf('SC_CLK_TCK'), 0.0, [pid]
    while todo:
        p = todo.pop()
        try: f, kids = Path(f'/proc/{p}/stat').read_text().rpartition(')')[2].split(), children(p)
        except OSError: continue   # it ended meanwhile (a thread of it, while its children were listed)
        total += (int(f[11]) + int(f[12])) / tick   # utime and stime: fields 14 and 15 of proc(5)
        todo += kids
    return total

class Cpu:
    "CPU used from here to `stop()` by this process and by the process tree of `pid` (a worker): µs per task of `n`"
    def __init__(self, pid:int=None): self.pid, self.a, self.w = pid, time.process_time(), tree_cpu(pid) if pid else 0.0
    def stop(self, n:int) -> dict:
        w = tree_cpu(self.pid) - self.w if self.pid else 0.0
        return dict(app_cpu_us=(time.process_time() - self.a) / n * 1e6, worker_cpu_us=w / n * 1e6)

def count_items(html:str) -> int:
    "How many `<li>` elements `html` holds"
    return len(re.findall(r'<li[\s>]', html))

class SSEWatch:
    "Note when each `result` event (an `<li id=\"r-TASK\">`) arrives from the SSE endpoint `url`, in a thread"
    def __init__(self, url:str, timeout:float=10):
        self.url, self.got, self.stopping = url, {}, False
        self.client, self.ready = httpx.Client(timeout=None), threading.Event()
        self.th = threading.Thread(target=self._run, daemon=True); self.th.start()
        if not self.ready.wait(timeout): raise TimeoutError(f'no answer from {url}')
    def _run(self):
        try:
            with self.client.stream('GET', self.url) as r:
                self.ready.set()   # the server subscribed before it sent the headers
                ev = None
                for line in r.iter_lines():
                    if self.stopping: return
                    if line.startswith('event: '): ev = line[7:]
                    elif not line: ev = None
                    elif ev == 'result':
                        for m in re.finditer(r'id="r-(\d+)"', line): self.got.setdefault(int(m.group(1)), time.time())
        except Exception:
            if not self.stopping: raise
        finally: self.ready.set()
    def latencies(self, stored:dict) -> list:
        "Seconds from each result's `stored[task_id]` (a `time.time()`) to its arrival here"
        return [t - stored[k] for k, t in self.got.items() if k in stored]
    def stop(self):
        self.stopping = True
        self.client.close()
        self.th.join(5)

def pctl(xs, p:float) -> float:
    "The `p`th percentile of `xs` (nearest rank); NaN if empty"
    xs = sorted(xs)
    return xs[min(len(xs)-1, int(round(p/100*(len(xs)-1))))] if xs else float('nan')

def wait_stable(count, target:int, timeout:float, quiet:float):
    "Poll `count()` until it reaches `target`, or stops changing for `quiet` s, or `timeout`; (count, time of last change)"
    t0 = last_t = time.time(); last = count()
    while time.time() - t0 < timeout:
        time.sleep(0.2)
        n = count()
        if n != last: last, last_t = n, time.time()
        if n >= target or time.time() - last_t > quiet: break
    return last, last_t

def page_time(url:str, n:int=100) -> float:
    "Median ms of `n` sequential GETs of `url`, as htmx's polling makes them"
    ts = []
    with httpx.Client(timeout=60, headers={'HX-Request': 'true'}) as c:
        c.get(url)
        for _ in range(n):
            t = time.perf_counter(); c.get(url).raise_for_status(); ts.append((time.perf_counter() - t) * 1000)
    return pctl(ts, 50)

# The bare engines, for the no-op table: each measured as `huey_noops` in 53_bench measures Huey (its consumer up,
# then: t0, `n` enqueues one after another from this process, t1, every message done, t2)

def _module(d:Path, prefix:str, src:str):
    "`src` as a module of its own in `d`, imported here (a fresh name: a broker or app of its own per run)"
    import importlib, textwrap, uuid
    name = f'{prefix}_{uuid.uuid4().hex[:8]}'
    (d/f'{name}.py').write_text(textwrap.dedent(src))
    if str(d) not in sys.path: sys.path.insert(0, str(d))
    return importlib.import_module(name)

def _drained(empty, timeout:float=600, every:float=0.02, settle:float=0.1) -> float:
    """When `empty()` first held and still held `settle` s later (a Celery message is briefly in neither kombu's list nor
    its `unacked` hash, between the pop and the ack bookkeeping): the `perf_counter` then"""
    from bgtest import wait_until
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if empty():
            t = time.perf_counter()
            if not wait_until(lambda: not empty(), settle, every=every): return t
        time.sleep(every)
    raise TimeoutError(f'not drained after {timeout} s')

def bare_dramatiq(n:int, url:str, threads:int=10) -> dict:
    """`n` no-op `send()`s to bare Dramatiq on Redis `url`, one worker process of `threads` threads; done when the hash
    `dramatiq:default.msgs` and the list `dramatiq:default` are empty: an entry is written with the enqueue and deleted
    only by the ack (a nack moves it to `.XQ`, checked after)"""
    import redis, tempfile
    from bgtest import wait_until
    d = Path(tempfile.mkdtemp())
    m = _module(d, 'bare_dq', f'''
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker
        dramatiq.set_broker(RedisBroker(url={url!r}))
        @dramatiq.actor(max_retries=0)
        def noop(): return None
    ''')
    r, q = redis.Redis.from_url(url), 'dramatiq:default'
    empty = lambda: r.hlen(f'{q}.msgs') + r.llen(q) == 0
    with Proc([sys.executable, '-m', 'dramatiq', m.__name__, '--processes', 1, '--threads', threads, '--path', d],
              cwd=d, env=dict(PYTHONPATH=str(d))) as w:
        m.noop.send()   # a probe: the worker is up and consuming before the clock starts
        assert wait_until(empty, 60) and w.alive(), w.output()
        t0, cpu = time.perf_counter(), Cpu(w.pid)
        for _ in range(n): m.noop.send()
        t1 = time.perf_counter()
        t2 = _drained(empty); used = cpu.stop(n)
    assert r.hlen(f'{q}.XQ.msgs') + r.hlen(f'{q}.DQ.msgs') == 0, 'bare Dramatiq: messages failed or were retried'
    return dict(enqueue_us=(t1 - t0) / n * 1e6, drain_s=t2 - t0, **used)

def bare_celery(n:int, url:str, threads:int=10) -> dict:
    """`n` no-op `delay()`s to bare Celery on Redis `url`, with our rules (JSON, acknowledged after the task ran, one
    message prefetched per thread: `make_celery`), `threads` threads; done when kombu's queue lists and `unacked` hash
    are empty, and the worker's own count (`inspect().stats()`) says it ran them all"""
    import redis, tempfile
    from bgtest import wait_until
    d = Path(tempfile.mkdtemp())
    m = _module(d, 'bare_cel', f'''
        from celery import Celery
        app = Celery('bare', broker={url!r})
        app.conf.update(task_serializer='json', accept_content=['json'], task_ignore_result=True, task_acks_late=True,
                        worker_prefetch_multiplier=1, broker_connection_retry_on_startup=True)
        @app.task(name='noop')
        def noop(): return None
    ''')
    with m.app.connection_for_write() as conn:   # kombu's own names for its keys
        ch, qn = conn.default_channel, m.app.conf.task_default_queue
        keys, unacked = [ch._q_for_pri(qn, p) for p in ch.priority_steps], ch.unacked_key
    r = redis.Redis.from_url(url)
    empty = lambda: sum(r.llen(k) for k in keys) + r.hlen(unacked) == 0
    with Proc([sys.executable, '-m', 'celery', '-A', m.__name__, 'worker', '--pool', 'threads', '--concurrency', threads,
               '--without-gossip', '--without-mingle', '--loglevel', 'WARNING'], cwd=d, env=dict(PYTHONPATH=str(d))) as w:
        m.noop.delay()
        assert wait_until(lambda: empty() or not w.alive(), 60) and w.alive(), w.output()
        _drained(empty, 60)
        t0, cpu = time.perf_counter(), Cpu(w.pid)
        for _ in range(n): m.noop.delay()
        t1 = time.perf_counter()
        t2 = _drained(empty); used = cpu.stop(n)
        st = wait_until(lambda: m.app.control.inspect(timeout=2).stats(), 30)
    ran = sum(s.get('total', {}).get('noop', 0) for s in (st or {}).values())
    assert ran == n + 1, f'bare Celery ran {ran} tasks of {n + 1}'
    return dict(enqueue_us=(t1 - t0) / n * 1e6, drain_s=t2 - t0, **used)

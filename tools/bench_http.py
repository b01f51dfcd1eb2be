"""CPU per call of the runner's HTTP client (`bg_tasks_demo.httpclient.shared_client`, "ours") against maintained
alternatives, on the work our async tasks do: POST `/slow?ts=N` to the slow API and read its JSON. The figures in
nbs/bench/http.md were taken when "ours" was a hand-written httpcore transport (commit c27b08e); they are why
`shared_client` is now httpx on httpx-aiohttp's transport, so today "ours" and "httpx-aiohttp" are nearly the same.

Needs: the project (for `shared_client` and `bg_slow_api`), httpx, httpx-aiohttp, aiohttp, httpx2, uvloop. Run it
from the project root in a throwaway venv, not the project's venvs:

    python3 -m venv /tmp/httpbench
    /tmp/httpbench/bin/pip install -e . httpx-aiohttp aiohttp httpx2 uvloop
    /tmp/httpbench/bin/python tools/bench_http.py                   # about 3 minutes on 2 cores
    /tmp/httpbench/bin/python tools/bench_http.py --loops asyncio   # bg_dashboard's loop instead of uvloop
    /tmp/httpbench/bin/python tools/bench_http.py --reps 1 --clients ours,httpx-aiohttp --shapes steady   # a quick look

It starts two slow APIs (`bg_slow_api`, next to this Python or on PATH; delays 3 s and 0.05 s) on free ports of
127.0.0.1 and stops them by PID when done, failed or interrupted. Each measurement runs in a fresh subprocess:
build the client, warm it up with 20 calls, then count that process's CPU (user+sys, `getrusage`) and wall time
around the calls only. Shapes: `burst`, 1000 calls all at once (delay 3 s); `steady`, 5000 calls 200 at a time
(delay 0.05 s). A run starts no new call after `--budget` seconds (only plain httpx needs that: its full steady run
takes ~50 s). Runs are sequential and interleaved across clients; the table shows medians of `--reps` runs. The
slow API's own CPU is not counted, but it shares the machine: keep the machine otherwise idle.
"""
import argparse, asyncio, json, os, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

CLIENTS = ['ours', 'httpx', 'httpx-aiohttp', 'aiohttp', 'httpx2']
SHAPES = {'burst': dict(n=1000, conc=1000, delay=3), 'steady': dict(n=5000, conc=200, delay=0.05)}
TIMEOUT, WARMUP = 10, 20

# The worker: one client, one shape, one loop, in a fresh process

def make_client(kind:str, conc:int):
    "A client of `kind` allowing `conc` connections, with a 10 s timeout (call inside the running loop)"
    if kind == 'ours':
        from bg_tasks_demo.httpclient import shared_client
        return shared_client(conc, TIMEOUT)
    if kind in ('httpx', 'httpx-aiohttp'):
        import httpx
        limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)
        if kind == 'httpx': return httpx.AsyncClient(limits=limits, timeout=TIMEOUT)
        from httpx_aiohttp import AiohttpTransport   # the transport takes the limits itself; the client's would be ignored
        return httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=TIMEOUT)
    if kind == 'httpx2':
        import httpx2
        return httpx2.AsyncClient(limits=httpx2.Limits(max_connections=conc, max_keepalive_connections=conc), timeout=TIMEOUT)
    if kind == 'aiohttp':
        import aiohttp   # the same timeouts httpx-aiohttp passes for httpx's `timeout=10`
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc),
                                     timeout=aiohttp.ClientTimeout(connect=TIMEOUT, sock_connect=TIMEOUT, sock_read=TIMEOUT))
    raise ValueError(f'unknown client {kind!r}')

async def call(kind, c, url:str, ts:int):
    "POST `url/slow?ts=ts`, check the status and that the JSON echoes `ts`"
    if kind == 'aiohttp':
        async with c.post(f'{url}/slow?ts={ts}') as r:
            r.raise_for_status()
            d = await r.json()
    else:
        r = await c.post(f'{url}/slow?ts={ts}')
        r.raise_for_status()
        d = r.json()
    if d['request_time'] != ts: raise ValueError(f'answer for {d["request_time"]}, not {ts}')

async def calls(kind, c, url, n, conc, budget=None) -> tuple:
    "`n` calls, `conc` at a time, starting none after `budget` seconds; how many were made, and the errors"
    todo, errors, done = iter(range(n)), [], 0
    stop = time.perf_counter() + budget if budget else float('inf')
    async def worker():
        nonlocal done
        for ts in todo:
            try: await call(kind, c, url, ts)
            except Exception as e: errors.append(f'{type(e).__name__}: {e}')
            done += 1
            if time.perf_counter() > stop: break
    await asyncio.gather(*[worker() for _ in range(conc)])
    return done, errors

def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

async def measure(kind, url, warm_url, n, conc, budget) -> dict:
    c = make_client(kind, conc)
    try:
        if (errs := (await calls(kind, c, warm_url, WARMUP, WARMUP))[1]): raise RuntimeError(f'warm-up failed: {errs[0]}')
        c0, t0 = cpu(), time.perf_counter()
        done, errors = await calls(kind, c, url, n, conc, budget)
        c1, t1 = cpu(), time.perf_counter()
    finally:
        await (c.close() if kind == 'aiohttp' else c.aclose())
    return dict(cpu=c1 - c0, wall=t1 - t0, n=done, errors=len(errors), first_error=errors[0] if errors else None)

def worker_main(spec:dict):
    coro = measure(spec['client'], spec['url'], spec['warm_url'], spec['n'], spec['conc'], spec['budget'])
    if spec['loop'] == 'uvloop':
        import uvloop
        res = uvloop.run(coro)
    else: res = asyncio.run(coro)
    print(json.dumps(res))

# The driver: slow APIs, interleaved runs, the table

def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

def slow_api_cmd() -> str:
    here = os.path.join(os.path.dirname(sys.executable), 'bg_slow_api')
    cmd = here if os.path.exists(here) else shutil.which('bg_slow_api')
    if not cmd: sys.exit('bench_http: no `bg_slow_api` next to this Python or on PATH: pip install -e . first')
    return cmd

def start_api(delay:float, procs:list) -> str:
    "Start a slow API with `delay` on a free port (appended to `procs` at once, so it is always stopped); its URL"
    port, log = free_port(), tempfile.TemporaryFile()
    p = subprocess.Popen([slow_api_cmd(), '--host', '127.0.0.1', '--port', str(port), '--delay', str(delay)],
                         stdout=log, stderr=subprocess.STDOUT)
    procs.append(p)
    deadline = time.time() + 20
    while time.time() < deadline:
        if p.poll() is not None:
            log.seek(0)
            raise RuntimeError(f'slow API exited with {p.returncode}: {log.read().decode()[-500:]}')
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=0.5): return f'http://127.0.0.1:{port}'
        except OSError: time.sleep(0.1)
    raise RuntimeError(f'slow API on port {port} did not start within 20 s')

def stop(p:subprocess.Popen):
    if p.poll() is not None: return
    p.terminate()
    try: p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill(); p.wait(5)

def run_one(spec:dict) -> dict:
    r = subprocess.run([sys.executable, __file__, '--worker', json.dumps(spec)], capture_output=True, text=True, timeout=120)
    if r.returncode: raise RuntimeError(f'{spec["client"]} on {spec["loop"]} failed: {r.stderr[-1500:]}')
    return json.loads(r.stdout.strip().splitlines()[-1])

def versions() -> dict:
    from importlib.metadata import version, PackageNotFoundError
    out = {'python': sys.version.split()[0]}
    for p in ['httpx', 'httpcore', 'anyio', 'httpx-aiohttp', 'aiohttp', 'httpx2', 'httpcore2', 'uvloop']:
        try: out[p] = version(p)
        except PackageNotFoundError: out[p] = 'missing'
    return out

def table(results:dict, clients:list, loops:list) -> str:
    "Markdown: median CPU µs per call, its ratio to ours and to plain httpx, median wall, errors over all runs"
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    us = lambda rs: statistics.median(r['cpu'] / r['n'] * 1e6 for r in rs)
    lines = []
    for shape, s in SHAPES.items():
        for loop in loops:
            got = {c: results[shape, loop, c] for c in clients if results.get((shape, loop, c))}
            if not got: continue
            lines += ['', f'**{shape}**: {s["n"]} calls, {s["conc"]} at a time, delay {s["delay"]} s; loop: {loop}', '',
                      '| client | CPU µs/call | vs ours | vs httpx | runs (µs/call) | calls made | wall s | errors |',
                      '|---|---:|---:|---:|---|---:|---:|---:|']
            ratio = lambda rs, k: f'{us(rs) / us(got[k]):.2f}' if k in got else '–'
            for c, rs in got.items():
                cut = any(r['n'] < s['n'] for r in rs)   # stopped by --budget
                spread = ', '.join(f'{r["cpu"] / r["n"] * 1e6:.0f}' for r in rs)
                lines.append(f'| {c} | {"≥ " * cut}{us(rs):.0f} | {ratio(rs, "ours")} | {ratio(rs, "httpx")} | {spread} '
                             f'| {"/".join(str(r["n"]) for r in rs) if cut else s["n"]} | {med(rs, "wall"):.2f} | {sum(r["errors"] for r in rs)} |')
    if any(r['n'] < SHAPES[k[0]]['n'] for k, rs in results.items() for r in rs):
        lines += ['', '≥: `--budget` stopped these runs after `calls made`; µs/call is over those calls only (`--budget 0` makes them all).']
    return '\n'.join(lines)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--loops', default='uvloop', help='comma-separated: uvloop (bg_worker, uvicorn), asyncio (bg_dashboard)')
    ap.add_argument('--clients', default=','.join(CLIENTS), help=f'comma-separated, of: {", ".join(CLIENTS)}')
    ap.add_argument('--shapes', default=','.join(SHAPES), help='comma-separated: burst, steady')
    ap.add_argument('--budget', type=float, default=10, help='seconds after which a run starts no more calls (0: none)')
    ap.add_argument('--json', help='also write the raw runs here')
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker: return worker_main(json.loads(a.worker))
    clients, loops, shapes = a.clients.split(','), a.loops.split(','), a.shapes.split(',')
    for got, known in ((clients, CLIENTS), (loops, ['asyncio', 'uvloop']), (shapes, list(SHAPES))):
        if bad := set(got) - set(known): ap.error(f'unknown: {", ".join(sorted(bad))} (known: {", ".join(known)})')
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so `finally` stops the slow APIs on `kill` too
    procs, results, t_start = [], {}, time.time()
    try:
        urls = {d: start_api(d, procs) for d in sorted({SHAPES[s]['delay'] for s in shapes} | {0.05})}
        for rep in range(a.reps):
            order = clients[rep % len(clients):] + clients[:rep % len(clients)]   # no client always goes first
            for shape in shapes:
                s = SHAPES[shape]
                for loop in loops:
                    for c in order:
                        r = run_one(dict(client=c, loop=loop, url=urls[s['delay']], warm_url=urls[0.05], n=s['n'], conc=s['conc'], budget=a.budget))
                        results.setdefault((shape, loop, c), []).append(r)
                        print(f'rep {rep + 1} {shape:6} {loop:7} {c:13} {r["cpu"] / r["n"] * 1e6:6.0f} µs/call  '
                              f'wall {r["wall"]:5.2f} s  errors {r["errors"]}' + (f' ({r["first_error"]})' if r['errors'] else ''),
                              file=sys.stderr, flush=True)
    finally:
        for p in procs: stop(p)
    print(f'{a.reps} runs each, medians; {time.time() - t_start:.0f} s in all')
    print('versions: ' + ', '.join(f'{k} {v}' for k, v in versions().items()))
    print(table(results, clients, loops))
    if a.json:
        with open(a.json, 'w') as f: json.dump([dict(shape=k[0], loop=k[1], client=k[2], runs=v) for k, v in results.items()], f, indent=1)

if __name__ == '__main__': main()

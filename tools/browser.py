"""Browser-test plumbing for this repository's notebooks: Debian's Chromium driven by Playwright (its own
browser download is never used), and where screenshots go. Not part of the package.
Notebooks import it with `sys.path.insert(0, '../tools')`."""
import os, shutil, tempfile
from pathlib import Path
from contextlib import contextmanager

CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync']

def chromium_path() -> str:
    "Debian's Chromium, or `FileNotFoundError` saying how to get it"
    for p in (os.environ.get('BG_CHROMIUM'), '/usr/bin/chromium', shutil.which('chromium')):
        if p and Path(p).exists(): return p
    raise FileNotFoundError('Chromium not found: `apt-get install chromium` (make test does this)')

@contextmanager
def browser_page(width:int=1100, height:int=800, headers:dict=None):
    """A fresh Playwright page in headless Debian Chromium (sending `headers` with every request, an operator's
    `Authorization` say); the browser is closed afterwards. Playwright's sync API: not on a thread running an event
    loop, as a notebook's cells do; there, use it in a function run by `await asyncio.to_thread(f)`"""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            page = b.new_page(viewport=dict(width=width, height=height))
            page.set_default_timeout(15_000)
            if headers: page.set_extra_http_headers(headers)
            yield page
        finally: b.close()

def shots_dir() -> Path:
    "Where screenshots go: the folder named by `BG_SCREENSHOTS` (`make screenshots`: `nbs/images`), else a temporary one"
    d = Path(os.environ['BG_SCREENSHOTS']) if os.environ.get('BG_SCREENSHOTS') else Path(tempfile.mkdtemp())
    d.mkdir(parents=True, exist_ok=True)
    return d

"""Build the docs site. With Quarto installed: `nbdev_docs`. Without it (as on this project's machines): a
browsable preview in `_docs/` made from nbdev's own processed notebooks (`nbdev_proc_nbs` writes `_proc/`,
with the API docs of every exported symbol already rendered), with the sidebar of `nbs/sidebar.yml`.

`--check` also verifies that every notebook has a page and every internal link (and #anchor) resolves."""
import argparse, html, json, os, re, shutil, subprocess, sys, base64
from pathlib import Path
import mistune, yaml
from html.parser import HTMLParser
from pygments import highlight
from pygments.lexers import PythonLexer
from pygments.formatters import HtmlFormatter

root = Path(__file__).resolve().parent.parent
bin_ = Path(sys.executable).parent

def cfg():
    import configparser
    c = configparser.ConfigParser(); c.read(root/'settings.ini')
    return c['DEFAULT']

def page_name(nb: str) -> str:
    "nbdev's output name, in the notebook's folder: `08_runner.ipynb` -> `runner.html`, `guide/01_a.ipynb` -> `guide/a.html`"
    p = Path(nb)
    return os.path.normpath(p.parent/(re.sub(r'^\d+[a-z]?_', '', p.stem) + '.html'))

def anchor(text: str) -> str:
    "A pandoc-style id for a heading"
    t = re.sub(r'<[^>]+>', '', html.unescape(text)).strip().lower()
    t = re.sub(r'[^\w\s.\-]', '', t)
    return re.sub(r'\s+', '-', t)

class Renderer(mistune.HTMLRenderer):
    def heading(self, text, level, **attrs):
        return f'<h{level} id="{anchor(text)}">{text}</h{level}>\n'
    def block_code(self, code, info=None):
        if (info or '').startswith('python') or not info: return highlight(code, PythonLexer(), HtmlFormatter())
        return f'<pre><code>{html.escape(code)}</code></pre>\n'

md = mistune.create_markdown(renderer=Renderer(escape=False), plugins=['table', 'strikethrough', 'url'])

def clean_md(s: str, host: str, up: str = '') -> str:
    "Markdown for our renderer; `up` leads from the page's folder to the site's root (`../` for guide/)"
    s = re.sub(r'\]\(([^)]*)\)\{[^}]*\}', r'](\1)', s)                # quarto link attributes
    s = s.replace(host.rstrip('/') + '/', up)                          # doclinks to the doc host -> relative
    s = re.sub(r'\]\(([\w./-]+?)\.ipynb(#[^)]*)?\)', lambda m: f'](./{page_name(m.group(1))}{m.group(2) or ""})', s)
    s = re.sub(r'^(:::.*)$', '', s, flags=re.M)                        # quarto callout fences
    return s

def directives(src: str):
    d = {}
    for l in src.splitlines():
        if m := re.match(r'^#\|\s*([\w-]+):?\s*(.*)$', l): d[m.group(1)] = m.group(2).strip()
    body = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
    return d, body

def render_output(o, host, up=''):
    data = o.get('data', {})
    if o.get('output_type') == 'stream': return f'<pre class="output">{html.escape("".join(o["text"]))}</pre>'
    if 'image/png' in data: return f'<img src="data:image/png;base64,{"".join(data["image/png"]).strip()}">'
    if 'text/markdown' in data: return md(clean_md(''.join(data['text/markdown']), host, up))
    if 'text/html' in data: return ''.join(data['text/html'])
    if 'text/plain' in data: return f'<pre class="output">{html.escape("".join(data["text/plain"]))}</pre>'
    return ''

def render_nb(path: Path, host: str, up: str = ''):
    nb = json.loads(path.read_text())
    title, desc, body = None, '', []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'raw' and src.startswith('---'):
            fm = yaml.safe_load(src.strip().strip('-')) or {}
            title, desc = fm.get('title', title), fm.get('description', '')
            continue
        if c['cell_type'] == 'markdown':
            body.append(md(clean_md(src, host, up)))
        elif c['cell_type'] == 'code':
            d, code = directives(src)
            if 'hide' in d or d.get('include') == 'false' or 'default_exp' in d: continue
            if d.get('echo') != 'false' and code:
                body.append(f'<div class="cell">{highlight(code, PythonLexer(), HtmlFormatter())}</div>')
            body.extend(render_output(o, host, up) for o in c.get('outputs', []))
    return title, desc, '\n'.join(body)

STYLE = """body{font-family:system-ui,sans-serif;margin:0;display:flex;color:#222}
nav{width:15rem;min-height:100vh;background:#f4f6f8;padding:1rem;box-sizing:border-box;flex-shrink:0}
nav a{display:block;padding:.25rem 0;color:#1a5fb4;text-decoration:none}nav a.here{font-weight:bold}
main{max-width:60rem;padding:1rem 2rem;overflow-x:auto}.description{font-size:1.15rem;color:#555}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}pre.output{background:none;border-left:2px solid #f4a261}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25rem .5rem}img{max-width:100%}
h3{border-top:1px solid #eee;padding-top:.6rem}nav p.section{margin:.8rem 0 .2rem;font-size:.8rem;text-transform:uppercase;color:#666}"""

def flat(contents) -> list:
    "The notebooks of a Quarto sidebar, in order, sections flattened"
    return [n for c in contents for n in (flat(c['contents']) if isinstance(c, dict) else [c])]

def build(out: Path) -> list:
    c = cfg()
    host = c.get('doc_host', '')
    r = subprocess.run([str(bin_/'nbdev_proc_nbs')], cwd=root, capture_output=True, text=True)
    if r.returncode: sys.exit(f'nbdev_proc_nbs failed:\n{r.stderr[:4000]}\n[…]\n{r.stderr[-2000:]}')
    proc = root/'_proc'
    order = flat(yaml.safe_load((root/'nbs'/'sidebar.yml').read_text())['website']['sidebar']['contents'])
    pages = [(nb, page_name(nb), *render_nb(proc/nb, host, '../' * nb.count('/'))) for nb in order]
    sections = {n: s['section'] for s in yaml.safe_load((root/'nbs'/'sidebar.yml').read_text())['website']['sidebar']['contents']
                if isinstance(s, dict) for n in flat(s['contents'])}
    if out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True)
    css = HtmlFormatter().get_style_defs('.highlight')
    for nb, name, title, desc, body in pages:
        rel = lambda n: os.path.relpath(n, os.path.dirname(name) or '.')
        nav, sec = [], None
        for o, n, t, _, _ in pages:
            if sections.get(o) != sec: sec = sections.get(o); nav.append(f'<p class="section">{html.escape(sec or "")}</p>')
            nav.append(f'<a href="{rel(n)}"{" class=here" if n == name else ""}>{html.escape(t or o)}</a>')
        nav = '\n'.join(nav)
        (out/name).parent.mkdir(parents=True, exist_ok=True)
        doc = (f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)} – {c["title"]}</title>'
               f'<style>{STYLE}\n{css}</style></head><body><nav><strong>{c["title"]}</strong>{nav}</nav>'
               f'<main><h1 id="title">{html.escape(title or nb)}</h1><div class="description">{md(clean_md(desc, host, "../" * nb.count("/")))}</div>{body}</main></body></html>')
        (out/name).write_text(doc)
    for d in ('bench', 'images'):
        if (root/'nbs'/d).exists(): shutil.copytree(root/'nbs'/d, out/d)
    return pages

class Links(HTMLParser):
    "The ids and the link targets (href, src) of an HTML page's real tags"
    def __init__(self, text):
        super().__init__(); self.ids, self.links = set(), []
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k == 'id' and v: self.ids.add(v)
            if k in ('href', 'src') and v: self.links.append(v)

def check(out: Path, pages) -> list:
    "Problems: a notebook without a page or a title, two notebooks on one page, a link or anchor that does not resolve"
    errs = []
    nbs = sorted(str(p.relative_to(root/'nbs')) for p in (root/'nbs').rglob('*.ipynb') if not p.name.startswith('.'))
    listed = {nb for nb, *_ in pages}
    errs += [f'{nb} is not in nbs/sidebar.yml' for nb in nbs if nb not in listed]
    errs += [f'{nb} has no page' for nb in listed if not (out/page_name(nb)).exists()]
    errs += [f'{nb} has no title (a `# Title` cell)' for nb, _, title, *_ in pages if not title]
    by_page = {}
    for nb in nbs: by_page.setdefault(page_name(nb), []).append(nb)
    errs += [f'{" and ".join(v)} all become {k}: one page would be lost' for k, v in by_page.items() if len(v) > 1]
    files = {str(f.relative_to(out)): f for f in out.rglob('*.html')}
    parsed = {n: Links(f.read_text()) for n, f in files.items()}
    for name, f in files.items():
        for href in parsed[name].links:
            if re.match(r'^(https?:|mailto:|data:)', href): continue
            target, _, frag = href.partition('#')
            target = os.path.normpath(os.path.join(os.path.dirname(name), target)) if target else name
            if not (out/target).exists(): errs.append(f'{name}: broken link {href}')
            elif frag and target.endswith('.html') and frag not in parsed[target].ids:
                errs.append(f'{name}: no anchor #{frag} in {target}')
    return errs

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument('--check', action='store_true', help='verify pages and internal links after building')
    p.add_argument('--out', default=str(root/'_docs'))
    p.add_argument('--preview', action='store_true', help='build the preview even if Quarto is installed')
    a = p.parse_args()
    if shutil.which('quarto') and not a.preview:
        sys.exit(subprocess.run([str(bin_/'nbdev_docs')], cwd=root).returncode)
    out = Path(a.out)
    pages = build(out)
    print(f'docs preview: {len(pages)} pages in {out} (open {out/"index.html"})')
    if a.check:
        errs = check(out, pages)
        for e in errs: print('docs:', e, file=sys.stderr)
        print(f'docs check: {len(pages)} pages, {len(errs)} problem(s)')
        sys.exit(1 if errs else 0)

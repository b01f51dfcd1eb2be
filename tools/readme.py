"""Write README.md from nbs/index.ipynb without Quarto: markdown cells as they are, code cells as python
blocks with their text outputs. `--check` exits 1 when README.md is not what this would write."""
import json, re, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def render(nb_path=root/'nbs'/'index.ipynb') -> str:
    nb = json.loads(Path(nb_path).read_text())
    out = ['<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->']
    for c in nb['cells']:
        src = ''.join(c['source']).strip()
        if not src or src.startswith('#| hide'): continue
        if c['cell_type'] == 'markdown': out.append(re.sub(r'\]\((?!https?:|#|/)', '](nbs/', src))   # links from the notebook's folder
        elif c['cell_type'] == 'code':
            out.append('```python\n' + src + '\n```')
            for o in c.get('outputs', []):
                text = ''.join(o.get('text', '') or o.get('data', {}).get('text/plain', ''))
                if text.strip(): out.append('```\n' + text.rstrip() + '\n```')
    return '\n\n'.join(out) + '\n'

if __name__ == '__main__':
    want, readme = render(), root/'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text() == want
        if not ok: print('README.md is out of date: run python tools/readme.py', file=sys.stderr)
        sys.exit(0 if ok else 1)
    readme.write_text(want)

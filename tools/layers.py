"""The package's shape, checked, and the figures the layering issues track.

Checks (exit 1 on any problem):
- no import circle among the package's modules, counting imports at any depth (relative or absolute) *and* every
  string literal that names a module of the package (`'bg_tasks_demo.x'`, `'bg_tasks_demo.x:Attr'`, `-m
  bg_tasks_demo.x`, `-c 'from bg_tasks_demo.x import y'`): a module handed to a loader or a process is an arrow too;
- no module outside `bg_tasks_demo.guide` imports the guide; `import bg_tasks_demo` imports no engine;
- `core` names no runner and no view module (import or string); no runner imports `core`; the view imports no `core`;
- every `__init__.py` only re-exports (imports, `__all__`, `__version__`, a docstring);
- no module over 400 lines;
- each notebook of the inside (20-47) is named after the module it exports (`34_runners_inline` exports
  `runners.inline`) and imports, in its exported code and in its cells, only modules exported by notebooks sorted
  before it (import order). The reader's pages (index, guide/, 10-19) use the finished package, as a reader does.
Figures printed: lines by folder, the longest modules, long lines, the export cells' median length and the share
directly followed by an example or test (a code cell that exports nothing)."""
import ast, json, re, statistics, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
pkg, nbs = root/'bg_tasks_demo', root/'nbs'
MAX_LINES, INSIDE = 400, (20, 48)
NAMED = re.compile(r'\bbg_tasks_demo(?:\.\w+)+')

def modname(f:Path) -> str:
    parts = f.relative_to(root).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)

def _known(name:str, mods) -> str|None:
    "The longest module of the package that `name` (a dotted path, maybe ending in an attribute) is or is in"
    while name and name not in mods: name = name.rpartition('.')[0]
    return name or None

def imports(tree, me:str, is_init:bool) -> set:
    "The package's module paths a module imports, at any depth"
    base, out = (me if is_init else me.rpartition('.')[0]), set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Import): names = [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom):
            mod = n.module or ''
            if n.level:
                b = base.split('.'); b = b[:len(b) - n.level + 1]
                mod = '.'.join(b + ([mod] if mod else []))
            names = [mod] + [f'{mod}.{a.name}' for a in n.names]
        else: continue
        out |= {m for m in names if m.startswith('bg_tasks_demo')}
    return out

def named(tree) -> set:
    "The package's module paths named in string literals (loaders, `-m`, `-c` commands), docstrings excepted"
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return {m for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
            for m in NAMED.findall(n.value.replace(':', '.'))}

def only_reexports(tree) -> bool:
    ok = lambda n: (isinstance(n, (ast.Import, ast.ImportFrom)) or
                    (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) or
                    (isinstance(n, ast.Assign) and all(isinstance(t, ast.Name) and t.id in ('__all__', '_all_', '__version__')
                                                       for t in n.targets)))
    return all(ok(n) for n in tree.body)

def circles(graph:dict) -> list:
    found, seen, stack = [], set(), []
    def visit(m):
        if m in stack: found.append(stack[stack.index(m):] + [m]); return
        if m in seen: return
        seen.add(m); stack.append(m)
        for i in sorted(graph[m]): visit(i)
        stack.pop()
    for m in sorted(graph): visit(m)
    return found

def notebook_facts(mods:dict) -> tuple:
    "Per notebook: the modules it exports, the package modules its cells import, its export cells' (lines, followed)"
    facts = {}
    for nb in sorted(nbs.glob('*.ipynb')) + sorted(nbs.glob('guide/*.ipynb')):
        cells = json.loads(nb.read_text())['cells']
        srcs = [(c['cell_type'], ''.join(c['source'])) for c in cells]
        exp = re.search(r'^#\|\s*default_exp\s+(\S+)', '\n'.join(s for _, s in srcs), re.M)
        uses, ex = set(), []
        for i, (kind, s) in enumerate(srcs):
            if kind != 'code': continue
            body = '\n'.join(l for l in s.splitlines() if not l.lstrip().startswith(('#|', '%', '!')))
            try: tree = ast.parse(body)
            except SyntaxError: continue
            uses |= {k for m in imports(tree, 'bg_tasks_demo.x', False) if (k := _known(m, mods))}
            if re.match(r'#\|\s*export', s):
                nxt = next(((k, t) for k, t in srcs[i + 1:] if k == 'code'), None)
                follows = i + 1 < len(srcs) and srcs[i + 1][0] == 'code' and not re.match(r'#\|\s*(export|hide)', srcs[i + 1][1])
                ex.append((len([l for l in s.splitlines()[1:] if l.strip()]), follows))
        facts[nb] = dict(exp=exp.group(1) if exp else None, uses=uses, export_cells=ex)
    return facts

def main():
    files = sorted(f for f in pkg.rglob('*.py') if f.name != '_modidx.py')
    mods = {modname(f): f for f in files}
    trees = {m: ast.parse(f.read_text()) for m, f in mods.items()}
    static = {m: {k for i in imports(trees[m], m, mods[m].name == '__init__.py') if (k := _known(i, mods)) and k != m}
              for m in mods}
    # a module's own package is imported with it: `a.b` imports `a` first; the package itself is no arrow to count
    strs = {m: {k for i in named(trees[m]) if (k := _known(i, mods)) and k != m and k != 'bg_tasks_demo'} for m in mods}
    graph = {m: static[m] | strs[m] for m in mods}
    problems = ['import circle' + (' (strings counted)' if any(b in strs[a] for a, b in zip(c, c[1:])) else '') + ': '
                + ' -> '.join(x.removeprefix('bg_tasks_demo.') for x in c) for c in circles(graph)]
    guide, core = 'bg_tasks_demo.guide', 'bg_tasks_demo.core'
    is_runner = lambda m: m.startswith('bg_tasks_demo.runners')
    is_view = lambda m: m.startswith('bg_tasks_demo.views')
    problems += [f'{m} imports {i}' for m, deps in static.items() if not m.startswith(guide) for i in deps if i.startswith(guide)]
    problems += [f'core names {i}' for i in graph.get(core, ()) if is_runner(i) or is_view(i)]
    problems += [f'{m} imports core' for m, deps in graph.items() if (is_runner(m) or is_view(m)) and core in deps]
    problems += [f'{m} does more than re-export' for m, f in mods.items() if f.name == '__init__.py' and not only_reexports(trees[m])]
    lines = {m: f.read_text().splitlines() for m, f in mods.items()}
    problems += [f'{m} has {len(ls)} lines (most: {MAX_LINES})' for m, ls in lines.items() if len(ls) > MAX_LINES]
    # notebooks: named after their module, in import order
    facts = notebook_facts(mods)
    made_by = {}   # module -> the notebook whose cells it comes from (the generated file's `# %% ../nbs/X.ipynb` marks)
    for m, f in mods.items():
        for nb in re.findall(r'^# %% [./]*nbs/(\S+?\.ipynb)', f.read_text(), re.M): made_by.setdefault(m, nbs/nb)
    num = lambda nb: int(re.match(r'\d+', nb.name).group()) if re.match(r'\d+', nb.name) and nb.parent == nbs else None
    inside = [nb for nb in facts if num(nb) is not None and INSIDE[0] <= num(nb) < INSIDE[1]]
    for nb in inside:
        exp = facts[nb]['exp']
        if exp and re.sub(r'^\d+[a-z]?_', '', nb.stem) != exp.removesuffix('.__init__').replace('.', '_'):
            problems.append(f'{nb.name} exports {exp}: name it after its module')
        mine = {m for m, src in made_by.items() if src == nb}
        used = facts[nb]['uses'] | {d for m in mine for d in static[m]}
        for d in sorted(used - mine - {'bg_tasks_demo'}):
            src = made_by.get(d)
            if src is not None and src.parent == nbs and src.name > nb.name and num(src) is not None and num(src) >= INSIDE[0]:
                problems.append(f'{nb.name} uses {d.removeprefix("bg_tasks_demo.")}, which the later {src.name} makes')
    probe = "import sys, bg_tasks_demo; print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'dramatiq', 'celery', 'kombu'})))"
    engines = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, cwd=root).stdout.split()
    problems += [f'import bg_tasks_demo imports {e}' for e in engines]
    # figures
    total = sum(map(len, lines.values())); long = sum(len(l) > 120 for ls in lines.values() for l in ls)
    by_dir = {}
    for m, ls in lines.items():
        d = str(mods[m].parent.relative_to(root)); by_dir[d] = by_dir.get(d, 0) + len(ls)
    framework = [nb for nb in facts if num(nb) is not None and 10 <= num(nb) < INSIDE[1]]
    ex = [e for nb in framework for e in facts[nb]['export_cells']]
    print('lines by folder:', ', '.join(f'{d} {n}' for d, n in sorted(by_dir.items())))
    print('longest modules:', ', '.join(f'{m.removeprefix("bg_tasks_demo.")} {len(ls)}'
                                        for m, ls in sorted(lines.items(), key=lambda kv: -len(kv[1]))[:5]))
    print(f'lines over 120 characters: {long} of {total} ({long / total:.1%})')
    print(f'arrows: {sum(map(len, static.values()))} imports, {sum(len(strs[m] - static[m]) for m in mods)} by string only; '
          f'circles: {len(circles(graph))}')
    if ex: print(f'export cells (notebooks 10-47): {len(ex)}, median {statistics.median(n for n, _ in ex):g} lines, '
                 f'{sum(f for _, f in ex) / len(ex):.0%} directly followed by an example or test')
    for p in problems: print('layers:', p, file=sys.stderr)
    print(f'layers: {len(mods)} modules, {len(problems)} problem(s)')
    sys.exit(1 if problems else 0)

if __name__ == '__main__': main()

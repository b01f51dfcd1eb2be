"""The package's shape, checked: no import circle among its modules (imports at any depth, relative or absolute),
no module outside `bg_tasks_demo.guide` importing from it, and `import bg_tasks_demo` importing no engine. Prints
the figures the layering issue tracks (lines by folder, the longest modules, lines over 120 characters).
Exit 1 on a circle, a guide import or an engine imported."""
import ast, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
pkg = root/'bg_tasks_demo'

def modname(f:Path) -> str:
    parts = f.relative_to(root).with_suffix('').parts
    return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)

def imports(f:Path) -> set:
    "The package's modules that `f` imports, at any depth"
    me, out = modname(f), set()
    base = me if f.name == '__init__.py' else me.rpartition('.')[0]
    for n in ast.walk(ast.parse(f.read_text())):
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

def main():
    files = sorted(f for f in pkg.rglob('*.py') if f.name != '_modidx.py')
    mods = {modname(f): f for f in files}
    graph = {m: {i for i in imports(f) if i in mods and i != m} for m, f in mods.items()}
    problems, seen, stack = [], set(), []
    def visit(m):
        if m in stack: problems.append('import circle: ' + ' -> '.join(stack[stack.index(m):] + [m])); return
        if m in seen: return
        seen.add(m); stack.append(m)
        for i in sorted(graph[m]): visit(i)
        stack.pop()
    for m in sorted(graph): visit(m)
    guide = 'bg_tasks_demo.guide'
    problems += [f'{m} imports {i}' for m, deps in graph.items() if not m.startswith(guide)
                 for i in deps if i.startswith(guide)]
    probe = "import sys, bg_tasks_demo; print(' '.join(sorted({m.split('.')[0] for m in sys.modules} & {'dramatiq', 'celery', 'kombu'})))"
    engines = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True, cwd=root).stdout.split()
    problems += [f'import bg_tasks_demo imports {e}' for e in engines]
    lines = {m: f.read_text().splitlines() for m, f in mods.items()}
    total = sum(map(len, lines.values())); long = sum(len(l) > 120 for ls in lines.values() for l in ls)
    by_dir = {}
    for m, ls in lines.items(): by_dir[str(mods[m].parent.relative_to(root))] = by_dir.get(str(mods[m].parent.relative_to(root)), 0) + len(ls)
    print('lines by folder:', ', '.join(f'{d} {n}' for d, n in sorted(by_dir.items())))
    print('longest modules:', ', '.join(f'{m} {len(ls)}' for m, ls in sorted(lines.items(), key=lambda kv: -len(kv[1]))[:5]))
    print(f'lines over 120 characters: {long} of {total} ({long / total:.1%})')
    for p in problems: print('layers:', p, file=sys.stderr)
    print(f'layers: {len(mods)} modules, {len(problems)} problem(s)')
    sys.exit(1 if problems else 0)

if __name__ == '__main__': main()

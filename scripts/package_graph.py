"""The import graph of bot/'s packages, read from the source with `ast`, and a picture of it.

A package is a folder directly under bot/ (`bot.catalog`, `bot.ordering`, ...); the modules directly in
bot/ (the command-line tools) form the package `bot`. An edge A -> B means some module of A imports some
module of B, at any depth of the file (imports inside functions count: they still tie A to B).

    python -m scripts.package_graph            # prints the edges and any cycle
    python -m scripts.package_graph --svg docs/packages.svg      # the picture in docs/architecture.md
    python -m scripts.package_graph --svg /tmp/p.svg --dot       # drawn by Graphviz, when installed

The checked-in picture is laid out here in layers and written as SVG directly, so it is the same on
every machine and tests/bot/test_architecture.py can check it still matches the code.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
SKIPPED = ("migrations",)  # Alembic scripts, run by Alembic, not imported by the code


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or (len(parts) == 2 and _is_package(parts)) else parts[0]


def _is_package(parts: list[str]) -> bool:
    return (ROOT.joinpath(*parts) / "__init__.py").exists()


def bot_modules(root: Path = ROOT) -> dict[str, Path]:
    return {
        module_name(path, root): path
        for path in sorted((root / "bot").rglob("*.py"))
        if not any(part in SKIPPED for part in path.relative_to(root).parts)
    }


def imported_modules(module: str, path: Path) -> set[str]:
    """Every module name this file imports (absolute, resolved for relative imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from bot.x import module`
    return found


def package_graph(root: Path = ROOT) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """package -> imported package -> [(importing module, imported module)], bot's packages only."""
    modules = {name: path for name, path in bot_modules(root).items() if name != "bot"}  # bot/__init__.py is empty
    graph: dict[str, dict[str, list[tuple[str, str]]]] = {package_of(m): {} for m in modules}
    for module, path in modules.items():
        source = package_of(module)
        for target in imported_modules(module, path):
            if target not in modules:
                continue
            destination = package_of(target)
            if destination != source:
                graph[source].setdefault(destination, []).append((module, target))
    return graph


def find_cycle(graph: dict[str, dict[str, list[tuple[str, str]]]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None when the graph is acyclic."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def describe_cycle(graph: dict[str, dict[str, list[tuple[str, str]]]], cycle: list[str]) -> str:
    hops = []
    for a, b in zip(cycle, cycle[1:]):
        module, target = graph[a][b][0]
        hops.append(f"{a} -> {b} ({module} imports {target})")
    return "import cycle between packages: " + "; ".join(hops)


def layers(graph: dict[str, dict[str, list[tuple[str, str]]]]) -> list[list[str]]:
    """Packages by height: layer 0 imports no other package, each layer imports only lower ones."""
    height: dict[str, int] = {}

    def depth(node: str, seen: frozenset[str] = frozenset()) -> int:
        if node in height:
            return height[node]
        if node in seen:  # a cycle: draw it anyway, flat
            return 0
        height[node] = value = 1 + max((depth(n, seen | {node}) for n in graph.get(node, {})), default=-1)
        return value

    rows: dict[int, list[str]] = defaultdict(list)
    for node in sorted(graph):
        rows[depth(node)].append(node)
    return [rows[i] for i in sorted(rows)]


def dot_source(graph: dict[str, dict[str, list[tuple[str, str]]]]) -> str:
    lines = ["digraph packages {", '  rankdir=BT; node [shape=box, fontname="Helvetica", fontsize=11];']
    for node in sorted(graph):
        lines.append(f'  "{node}";')
    for node, targets in sorted(graph.items()):
        for target in sorted(targets):
            lines.append(f'  "{node}" -> "{target}" [penwidth={min(1 + len(targets[target]) / 10, 3):.1f}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _ordered_rows(graph: dict[str, dict[str, list[tuple[str, str]]]]) -> list[list[str]]:
    """Layers with each row sorted by the mean position of what it imports, so arrows cross less."""
    rows = layers(graph)
    placed: dict[str, float] = {node: float(i) for i, node in enumerate(rows[0])}
    for row in rows[1:]:
        def mean_target(node: str) -> float:
            targets = [placed[t] for t in graph.get(node, {}) if t in placed]
            return sum(targets) / len(targets) if targets else 0.0
        row.sort(key=mean_target)
        for i, node in enumerate(row):
            placed[node] = i + (max(len(r) for r in rows) - len(row)) / 2
    return rows


def plain_svg(graph: dict[str, dict[str, list[tuple[str, str]]]]) -> str:
    """A layered drawing without Graphviz: lowest layer at the bottom, arrows point at what is imported."""
    rows = _ordered_rows(graph)
    box_w, box_h, gap_x, gap_y = 150, 30, 30, 80
    widest = max(len(r) for r in rows)
    width = widest * (box_w + gap_x) + gap_x
    height = len(rows) * (box_h + gap_y) + gap_y
    where: dict[str, tuple[float, float]] = {}
    for level, row in enumerate(rows):
        y = height - gap_y - level * (box_h + gap_y) - box_h
        x0 = (width - len(row) * (box_w + gap_x) + gap_x) / 2 + (level % 2) * 25  # stagger: fewer lines through boxes
        for i, node in enumerate(row):
            where[node] = (x0 + i * (box_w + gap_x), y)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width + 30}" height="{height}" font-family="Helvetica" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        '<defs><marker id="a" markerWidth="8" markerHeight="8" refX="7" refY="4" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" fill="#557"/></marker></defs>',
    ]
    for node, targets in sorted(graph.items()):
        x1, y1 = where[node]
        for target in sorted(targets):
            x2, y2 = where[target]
            sx, sy, ex, ey = x1 + box_w / 2, y1 + box_h, x2 + box_w / 2, y2
            bend = (ey - sy) / 2
            out.append(
                f'<path d="M{sx:.0f},{sy:.0f} C{sx:.0f},{sy + bend:.0f} {ex:.0f},{ey - bend:.0f} {ex:.0f},{ey:.0f}" '
                'fill="none" stroke="#557" stroke-opacity="0.45" stroke-width="1" marker-end="url(#a)"/>'
            )
    for node, (x, y) in sorted(where.items()):
        out.append(f'<rect x="{x:.0f}" y="{y:.0f}" width="{box_w}" height="{box_h}" rx="4" fill="#eef3fb" stroke="#335"/>')
        out.append(f'<text x="{x + box_w / 2:.0f}" y="{y + 19:.0f}" text-anchor="middle">{escape(node)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def render_svg(graph: dict[str, dict[str, list[tuple[str, str]]]], use_dot: bool = False) -> str:
    dot = shutil.which("dot") if use_dot else None
    if dot:
        return subprocess.run([dot, "-Tsvg"], input=dot_source(graph), capture_output=True, text=True, check=True).stdout
    return plain_svg(graph)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, help="write the picture here")
    parser.add_argument("--dot", action="store_true", help="draw with Graphviz `dot` when installed (not the checked-in picture)")
    args = parser.parse_args(argv)
    graph = package_graph()
    for level, row in enumerate(layers(graph)):
        for node in row:
            print(f"[{level}] {node} -> {', '.join(sorted(graph[node])) or '(nothing)'}")
    if args.svg:
        args.svg.write_text(render_svg(graph, use_dot=args.dot), encoding="utf-8")
    cycle = find_cycle(graph)
    if cycle:
        print(describe_cycle(graph, cycle), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

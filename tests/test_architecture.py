"""The layout is the pipeline: lower layers never import higher ones, no cycles, small
functions, and the command line is the only place that parses arguments or prints.

Read from the source with :mod:`ast` (nothing is imported), so the rules hold for code
paths no other test reaches.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from impact.core.settings import project_root

ROOT = project_root()
PACKAGE = ROOT / "impact"

#: Layer of each top-level part of :mod:`impact`: a module may import its own layer and
#: the layers below it.  ``synthetic`` (the demo's generator) sits beside the analysis:
#: it reads nothing above ingest and nothing but the front imports it.
LAYERS: dict[str, int] = {
    "core": 0,
    "ingest": 1,
    "places": 2,
    "analysis": 3,
    "synthetic": 3,
    "outputs": 4,
    "sources": 5,
    "workspace": 5,
    "store": 5,
    "reports": 5,
    "cli": 6,
}
#: Same-layer parts that must not import each other.
APART = {frozenset({"analysis", "synthetic"})}
#: Functions allowed past the length limit: the demo's data tables are long by nature.
LONG_OK = {("synthetic/borough.py", "_readme")}
MAX_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _part(module: str) -> str | None:
    bits = module.split(".")
    return bits[1] if len(bits) > 1 else None


def _imports(path: Path) -> list[tuple[str, int]]:
    """Every ``impact`` module imported by ``path`` (top level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("impact.")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "impact":
                found += [(f"impact.{a.name}", node.lineno) for a in node.names]
            elif node.module.startswith("impact."):
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    found.append((sub if sub in MODULES else node.module, node.lineno))
    return found


def test_every_part_has_a_layer() -> None:
    parts = {_part(m) for m in MODULES} - {None}
    assert parts <= set(LAYERS), f"give these a layer: {sorted(parts - set(LAYERS))}"


def test_lower_layers_never_import_higher_ones() -> None:
    wrong = []
    for module, path in MODULES.items():
        mine = _part(module)
        if mine is None:
            continue
        for target, line in _imports(path):
            theirs = _part(target)
            if theirs is None or theirs == mine:
                continue
            if LAYERS[theirs] > LAYERS[mine] or frozenset({mine, theirs}) in APART:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_no_import_cycles() -> None:
    graph = {
        m: {t for t, _ in _imports(p) if t in MODULES and t != m} for m, p in MODULES.items()
    }
    seen: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                cycles.append(" → ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in seen:
                visit(nxt, [*path, nxt])
        seen[node] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m, [m])
    assert not cycles, "\n".join(cycles)


def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node


@pytest.mark.parametrize("folder", ["impact", "views"])
def test_functions_are_short(folder: str) -> None:
    long = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(PACKAGE if folder == "impact" else ROOT).as_posix()
        for fn in _functions(path):
            n = fn.end_lineno - fn.lineno + 1
            if n > MAX_LINES and (rel, fn.name) not in LONG_OK:
                long.append(f"{rel}:{fn.lineno} {fn.name} ({n} lines)")
    assert not long, "split into named steps:\n" + "\n".join(long)


#: What each top-level part of the checkout may import besides itself: the library is
#: the bottom, pages and the frame sit on it, benchmarks measure it, tests may reach all.
OUTER: dict[str, set[str]] = {
    "impact": set(),
    "views": {"impact"},
    "app": {"impact", "views"},
    "bench": {"impact"},
    "tests": {"impact", "views", "bench"},
}


def _parts_imported(path: Path) -> list[tuple[str, int]]:
    """The top-level checkout parts (``impact``, ``views`` …) ``path`` imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name.split(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module.split(".")[0], node.lineno))
    return [(top, line) for top, line in found if top in OUTER]


def test_outer_parts_import_only_what_sits_below_them() -> None:
    """The library never reaches up into pages, benchmarks or tests; benchmarks never lean
    on tests (a benchmark that imports a test helper breaks when the test changes)."""
    files = [ROOT / "app.py", *(p for part in ("impact", "views", "bench", "tests")
                                for p in (ROOT / part).rglob("*.py"))]
    wrong = []
    for path in files:
        mine = path.relative_to(ROOT).parts[0].removesuffix(".py")
        for top, line in _parts_imported(path):
            if top != mine and top not in OUTER[mine]:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {top}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_only_the_command_line_parses_arguments_or_prints() -> None:
    wrong = []
    for module, path in MODULES.items():
        if module == "impact.cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print":
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} print()")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if any(n.split(".")[0] in {"argparse", "click", "typer"} for n in names):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} argument parsing")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_library_never_imports_streamlit_or_reads_the_environment() -> None:
    wrong = []
    for module, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        if "import streamlit" in text or "from streamlit" in text:
            wrong.append(f"{module} imports streamlit")
        if module != "impact.core.settings" and ("os.environ" in text or "getenv(" in text):
            wrong.append(f"{module} reads the environment (use impact.core.settings)")
    assert not wrong, "\n".join(wrong)


def test_test_modules_have_unique_names() -> None:
    """pytest imports test files by basename (tests have no packages): two files
    with one name collide on a clean clone, and the whole run stops at collection."""
    names = [p.name for p in (ROOT / "tests").rglob("test_*.py")]
    assert sorted({n for n in names if names.count(n) > 1}) == []


#: A dotted name of the project in text: ``impact.analysis.measures.Figure``.
_DOTTED = re.compile(r"\bimpact(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _defined(path: Path) -> set[str]:
    """The names a module defines or imports at its top level."""
    out: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign):
            out |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            out |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return out


def _dangling(dotted: str) -> bool:
    """Whether ``dotted`` names no module of the project, or a name its module lacks."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        module = ".".join(parts[:i])
        if module in MODULES:
            return i < len(parts) and parts[i] not in _defined(MODULES[module])
    return True


def test_text_names_only_modules_and_names_that_exist() -> None:
    """Docstrings, comments and the docs name ``impact.…`` modules and functions that are
    there: a moved module left dozens of pointers to nowhere once."""
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "views").glob("*.py"), ROOT / "app.py",
             *(ROOT / "bench").glob("*.py"), *(ROOT / "tests").rglob("*.py"),
             ROOT / "docs" / "architecture.md", ROOT / "README.md"]
    wrong = sorted({f"{p.relative_to(ROOT)}: {m}" for p in files
                    for m in _DOTTED.findall(p.read_text(encoding="utf-8")) if _dangling(m)})
    assert not wrong, "\n".join(wrong)


def _top_imports(path: Path, prefix: str) -> set[str]:
    """Modules under ``prefix`` (``bench``, ``tests``) that ``path`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                 else [])
        found |= {n for n in names if n == prefix or n.startswith(prefix + ".")}
    return found


def test_benchmarks_never_import_the_tests_nor_each_other_in_a_cycle() -> None:
    """``bench/`` runs where the tests are not installed, and a cycle between the runner and
    its report once made the import order matter: benchmarks import ``impact`` and ``bench``
    only, and the bench modules import each other without a cycle."""
    files = {f"bench.{p.stem}": p for p in sorted((ROOT / "bench").glob("*.py"))}
    wrong = [f"{m} imports {t}" for m, p in files.items() for t in _top_imports(p, "tests")]
    assert not wrong, "\n".join(wrong)
    graph = {m: _top_imports(p, "bench") & set(files) - {m} for m, p in files.items()}
    cycles = [f"{a} ↔ {b}" for a in graph for b in graph[a] if a in graph.get(b, ())]
    assert not cycles, "\n".join(cycles)

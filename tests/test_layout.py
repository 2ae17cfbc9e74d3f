"""The shape of the code, as DESIGN.md's layout table and README's layout section state it.

- Packages import only the packages below them: weights/ at the bottom, render/ and dialogue/ beside each other
  on it, realtime/ on top.
- No import circles between modules, counting the imports inside functions.
- What `ohlora serve` runs never imports an offline tool (training, evaluation, data building, benchmarks, vector
  finding, atlas building), not even lazily; the CLI's command modules stay light to import.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("weights", "render", "dialogue", "realtime", "web")
MAY_IMPORT = {
    "weights": set(),
    "web": set(),
    "render": {"weights"},
    "dialogue": {"weights"},
    "realtime": {"weights", "render", "dialogue", "web"},
}
OFFLINE = ("dialogue.training", "dialogue.evaluation", "dialogue.benchmarks", "dialogue.data",
           "render.vectors", "render.atlas_building", "render.benchmarks", "realtime.bench")
# A serving module may reach an offline one only here, and only inside the branch that needs it.
OFFLINE_ALLOWED = {
    ("render.atlas_cache", "render.atlas_building"): "a fresh machine's first serve builds the atlas it then serves",
    ("dialogue.answer_bank", "dialogue.data"): "the answer bank is read from the written conversations at start",
    ("dialogue.tastes", "dialogue.data"): "her taste questions are read from the written data at start",
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    lazy: bool  # inside a function: runs only when that function does


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "cache" not in path.relative_to(ROOT).parts:
                found[module_name(path)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an import refers to (the longest existing prefix), or None for third-party code."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue  # for type checkers only: never runs
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                # `from pkg import sub` names a submodule when one exists
                targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                           for alias in child.names]
            for target in targets:
                resolved = _resolve(target, modules)
                if resolved and resolved != name:
                    found.append(Import(name, resolved, child.lineno, lazy))
            visit(child, inner)

    visit(tree, False)
    return found


def import_graph() -> list[Import]:
    modules = project_modules()
    return [imp for name, path in sorted(modules.items()) for imp in imports_of(name, path, modules)]


def _top(name: str) -> str:
    return name.split(".", 1)[0]


def _within(name: str, prefixes) -> str | None:
    return next((p for p in prefixes if name == p or name.startswith(p + ".")), None)


def is_offline(name: str) -> bool:
    return _within(name, OFFLINE) is not None


def is_command_glue(name: str) -> bool:
    """`*commands` modules only parse arguments and call into the package; the CLI imports every one of them."""
    return name.rpartition(".")[2].endswith("commands") or name == "realtime.cli"


def test_packages_import_only_the_packages_below_them():
    wrong = [f"{imp.importer}:{imp.line} imports {imp.imported}" for imp in import_graph()
             if _top(imp.imported) != _top(imp.importer)
             and _top(imp.imported) not in MAY_IMPORT[_top(imp.importer)]]
    assert not wrong, "imports against the layering (DESIGN.md's layout table):\n" + "\n".join(wrong)


def test_no_import_circles_between_modules():
    edges: dict[str, set[str]] = {}
    for imp in import_graph():
        # importing `pkg.mod` runs `pkg/__init__` first; that parent edge is not a dependency of the code
        if not imp.importer.startswith(imp.imported + "."):
            edges.setdefault(imp.importer, set()).add(imp.imported)
    circles = _strongly_connected(edges)
    assert not circles, "import circles (lazy imports count too):\n" + "\n".join(" ↔ ".join(sorted(c)) for c in circles)


def _strongly_connected(edges: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm; the components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in list(edges):
        if node not in index:
            connect(node)
    return found


def test_serving_modules_never_import_offline_tools():
    wrong = []
    for imp in import_graph():
        if is_offline(imp.importer) or is_command_glue(imp.importer) or not is_offline(imp.imported):
            continue
        allowed = OFFLINE_ALLOWED.get((imp.importer, _within(imp.imported, OFFLINE)))
        if allowed and imp.lazy:
            continue
        wrong.append(f"{imp.importer}:{imp.line} imports {imp.imported}" + ("" if imp.lazy else " at module level"))
    assert not wrong, "serving code reaching offline tools:\n" + "\n".join(wrong)


def test_command_modules_import_offline_tools_only_inside_their_handlers():
    wrong = [f"{imp.importer}:{imp.line} imports {imp.imported} at module level" for imp in import_graph()
             if is_command_glue(imp.importer) and not imp.lazy and is_offline(imp.imported)
             and not is_offline(imp.importer)]
    assert not wrong, "\n".join(wrong)


def test_the_cli_parser_loads_no_offline_tool_and_no_model_code():
    """`ohlora --help` (and the start of every command) imports every command module: they must stay light."""
    code = ("import sys, realtime.cli as cli; cli.build_parser(); "
            "print('\\n'.join(sorted(m for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    loaded = set(out)
    # an offline subpackage's own command module (and that package's light __init__) is glue, not the tool
    glue = {m for m in loaded if is_command_glue(m)}
    offline = sorted(m for m in loaded if is_offline(m) and m not in glue
                     and not any(g.startswith(m + ".") for g in glue))
    assert not offline, f"building the CLI parser imported offline tools: {offline}"
    heavy = sorted(m for m in ("torch", "transformers", "peft", "sklearn", "sentence_transformers") if m in loaded)
    assert not heavy, f"building the CLI parser imported {heavy}"


def _packages() -> list[str]:
    return sorted(name for name, path in project_modules().items() if path.name == "__init__.py")


@pytest.mark.parametrize("package", _packages())
def test_every_package_states_its_public_names(package):
    import importlib

    module = importlib.import_module(package)
    assert module.__doc__, f"{package}/__init__.py: a docstring saying what the package is for"
    names = getattr(module, "__all__", None)
    assert names is not None, f"{package}/__init__.py: `__all__` listing the public names"
    for name in names:  # a public name, or one of the package's modules
        found = hasattr(module, name) or importlib.util.find_spec(f"{package}.{name}") is not None
        assert found, f"{package}.{name} is listed in __all__ but does not resolve"

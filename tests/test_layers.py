"""The package's layering, checked on the source: data flows one way, and tools sit on top.

Each module belongs to a layer; it may import its own layer and those below, never above
(a lazy import inside a function counts too). No module imports another stage's private
module (``linkage.normalize._vector`` is for ``linkage.normalize`` alone).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import linkage

ROOT = Path(linkage.__file__).parent

# Lowest first. A module not named here is in the layer of its package (first dotted part).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("_version", "_vector", "config", "errors", "schema", "logs", "privacy", "folding"),
    ("load",),
    ("normalize",),
    ("link",),
    ("eligibility",),
    ("write",),
    ("pipeline",),
    ("tools",),
    ("analysis",),
    ("cli", "__main__", "__init__"),
)
RANK = {part: rank for rank, parts in enumerate(LAYERS) for part in parts}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("linkage", *parts))


def layer(module: str) -> int:
    """The layer of ``linkage.<first>...``; the package itself is its ``__init__``."""
    parts = module.split(".")
    return RANK[parts[1] if len(parts) > 1 else "__init__"]


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every linkage module ``path`` imports, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("linkage")]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("linkage"):
            module = str(node.module)
            # ``from linkage.x import y``: y may be a module of x; it is in x's layer anyway,
            # except directly under the package, where y names the layer.
            if module == "linkage":
                found += [(node.lineno, f"linkage.{a.name}") for a in node.names]
            else:
                found += [(node.lineno, module)]
    return found


def violations(root: Path = ROOT) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        importer = module_name(path, root)
        for line, imported in imports(path):
            if imported in ("linkage", "linkage.__version__"):
                continue
            where = f"{path.relative_to(root.parent)}:{line}: {importer} imports {imported}"
            if layer(imported) > layer(importer):
                problems.append(f"{where}, a higher layer")
            private = [p for p in imported.split(".")[2:] if p.startswith("_")]
            package = ".".join(imported.split(".")[:2])
            if private and not importer.startswith(package):
                problems.append(f"{where}, another stage's private module")
    return problems


def test_every_module_has_a_layer() -> None:
    tops = {module_name(p).split(".")[1] for p in ROOT.rglob("*.py") if p.parent != ROOT}
    tops |= {p.stem for p in ROOT.glob("*.py")}
    assert tops <= set(RANK), sorted(tops - set(RANK))


def test_imports_go_down_the_layers_only() -> None:
    assert violations() == []


@pytest.mark.parametrize(
    ("module", "source", "problem"),
    [
        ("normalize/planted.py", "from linkage.analysis.sweep import sweep\n", "higher layer"),
        ("load/planted.py", "def f():\n    import linkage.pipeline\n", "higher layer"),
        ("link/planted.py", "from linkage import write\n", "higher layer"),
        ("write/planted.py", "from linkage.normalize._text import x\n", "private module"),
        ("normalize/planted.py", "from linkage.normalize._text import x\n", None),
        ("analysis/planted.py", "from linkage.pipeline import run_pipeline\n", None),
    ],
)
def test_a_planted_violation_is_found(
    tmp_path: Path, module: str, source: str, problem: str | None
) -> None:
    planted = tmp_path / "linkage" / module
    planted.parent.mkdir(parents=True)
    planted.write_text(source, encoding="utf-8")
    found = violations(tmp_path / "linkage")
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1
        assert problem in found[0]

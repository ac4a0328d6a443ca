"""The package's layers: content <- grading <- tools, and the README's layout table names every module."""
import ast
from pathlib import Path

import pytest

from helpers.course import ROOT

PACKAGE = ROOT / "helpers"
LAYERS = ("content", "grading", "tools")


def layer(module_path: Path) -> str:
    part = module_path.relative_to(PACKAGE).parts[0]
    return part if part in ("grading", "tools") else "content"


def imported_layers(path: Path):
    """The layers of the helpers modules that the file at path imports."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "helpers" and len(parts) > 1:
                yield parts[1] if parts[1] in ("grading", "tools") else "content"


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts and p.name != "__main__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_imports_no_later_layer(path):
    """Does content import neither grading nor tools, and grading not tools?"""
    own = LAYERS.index(layer(path))
    later = {name for name in imported_layers(path) if LAYERS.index(name) > own}
    assert not later, f"{path.relative_to(ROOT)} ({layer(path)}) imports {sorted(later)}"


def test_readme_layout_names_every_module():
    """Does the README's row for helpers/ name every module and sub-package of the tree?"""
    row = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
               if line.startswith("| `helpers/` |"))
    names = {p.name for p in PACKAGE.iterdir() if p.suffix == ".py" and not p.name.startswith("__")}
    names |= {p.name for sub in ("grading", "tools") for p in (PACKAGE / sub).iterdir()
              if (p.suffix == ".py" and not p.name.startswith("__")) or (p.is_dir() and p.name != "__pycache__")}
    names |= {"lesson", "grading", "tools"}
    missing = sorted(name for name in names if f"`{name}" not in row)
    assert not missing, f"README's layout table does not name {missing}"


def test_the_shipped_checks_know_the_helpers_of_the_course():
    """Does the numpy-only checks module shipped to students keep the same helpers as helpers/course.py?"""
    from helpers.checks import cnn_checks
    from helpers.course import HELPERS
    assert cnn_checks.HELPERS == HELPERS

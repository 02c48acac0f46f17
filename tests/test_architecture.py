"""The house's import rules, read from the source with ast (every import, also inside functions).

core/ is the domain and imports no door and not the composition root; doors never import each other;
the worker imports no door. A module may import the composition root (vistaflow) only from a door.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# package -> top-level packages it must never import
FORBIDDEN = {
    "core": {"console", "bot", "worker", "vistaflow"},
    "bot": {"console", "worker"},
    "console": {"bot", "worker"},
    "worker": {"console", "bot"},
}


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in a file, relative imports resolved to absolute names."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return sorted(found)


def violations(package: str, root: Path = ROOT) -> list[str]:
    forbidden = FORBIDDEN[package]
    out = []
    for path in sorted((root / package).rglob("*.py")):
        for line, module in imported_modules(path, root):
            if module.split(".")[0] in forbidden:
                out.append(f"{path.relative_to(root)}:{line} imports {module}")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_imports(package):
    assert violations(package) == []


def test_the_check_sees_imports_inside_functions_and_relative_ones(tmp_path):
    # It must catch the lazy import a module would use to dodge it, and `from ...console import x`.
    sneaky = tmp_path / "core" / "services" / "sneaky.py"
    sneaky.parent.mkdir(parents=True)
    sneaky.write_text(
        "def f():\n    from bot.slack import app\n\n\nfrom ...console import errors\nimport worker.jobs\n"
    )
    assert violations("core", tmp_path) == [
        "core/services/sneaky.py:2 imports bot.slack",
        "core/services/sneaky.py:5 imports console",
        "core/services/sneaky.py:6 imports worker.jobs",
    ]

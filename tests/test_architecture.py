"""The domain core knows nothing of the web, the database or the command line."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "temoin"
CORE = ["contract", "evaluation", "settlement", "governance", "money.py", "errors.py"]
FORBIDDEN = {"sqlalchemy", "alembic", "fastapi", "starlette", "typer", "jinja2", "uvicorn", "psycopg", "weasyprint"}
ADAPTERS = {"store", "web", "cli", "services", "reports", "opendata"}


def _core_files() -> list[Path]:
    out: list[Path] = []
    for part in CORE:
        p = SRC / part
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return out


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):  # every import, including those inside functions
        if isinstance(node, ast.Import):
            names += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.module, node.lineno))
    return names


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(SRC)))
def test_core_module_imports_no_framework_or_adapter(path: Path) -> None:
    for name, line in _imports(path):
        top = name.split(".")[0]
        assert top not in FORBIDDEN, f"{path.relative_to(SRC)}:{line} imports {name}"
        if top == "temoin":
            second = name.split(".")[1] if "." in name else ""
            assert second not in ADAPTERS, f"{path.relative_to(SRC)}:{line} imports adapter {name}"


def test_walk_would_catch_a_leak(tmp_path: Path) -> None:
    leaky = tmp_path / "leak.py"
    leaky.write_text("def f():\n    from sqlalchemy import select\n")
    assert ("sqlalchemy", 2) in _imports(leaky)

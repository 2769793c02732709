"""What the web asks the catalogue for: every literal message of its templates and its code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import temoin.web

WEB = Path(temoin.web.__file__).parent
_TEMPLATE_CALL = re.compile(r"""\b_\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]""")
_CALLERS = {"Msg", "_", "t", "words"}


def _python_messages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        first = node.args[0]
        if name in _CALLERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.add(first.value)
    return found


def used_messages(root: Path = WEB) -> set[str]:
    """Every literal message the templates and the web code ask the catalogue for (``_("…")`` in a
    template; ``Msg("…")``, ``t("…")``, ``ctx.t("…")`` in Python)."""
    found: set[str] = set()
    for path in root.rglob("*.html"):
        found.update(m.group(1) for m in _TEMPLATE_CALL.finditer(path.read_text(encoding="utf-8")))
    for path in root.rglob("*.py"):
        found |= _python_messages(path)
    return found

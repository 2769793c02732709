"""Contract pages that need another area's service (evaluation, settlement, reports): a page is
listed only when its service is importable; an absent service means an absent page, not a fake."""

from __future__ import annotations

import importlib.util

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

# (slug, English label, module that must exist)
PAGES: list[tuple[str, str, str]] = []


def available_tabs() -> list[tuple[str, str]]:
    return [(slug, label) for slug, label, module in PAGES if importlib.util.find_spec(module) is not None]

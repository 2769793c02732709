"""Contracts written, compared and signed in the browser (issue 16, item 2): the YAML pages, the
guided form, the versions with their comparison, signature and exports."""

from __future__ import annotations

from fastapi import APIRouter

from temoin.web.routes.contract_edit import form_pages, versions, yaml_pages

router = APIRouter(include_in_schema=False)
router.include_router(yaml_pages.router)
router.include_router(form_pages.router)
router.include_router(versions.router)

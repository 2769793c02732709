"""The role × route matrix of docs/access-matrix.md, checked entry by entry against the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from test_web_support import Site, csrf_of, make_site

MATRIX = Path(__file__).resolve().parents[1] / "docs" / "access-matrix.md"


def read_matrix() -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    roles: list[str] = []
    rows: list[tuple[str, str, list[str]]] = []
    for line in MATRIX.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| "):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "Route":
            roles = cells[1:]
        elif cells[0].split(" ")[0] in ("GET", "POST"):
            method, path = cells[0].split(" ", 1)
            rows.append((method, path, cells[1:]))
    return roles, rows


def test_the_matrix_is_complete() -> None:
    roles, rows = read_matrix()
    assert roles == ["anonymous", "admin", "payer", "operator", "investor", "evaluator", "observer", "other investor"]
    assert len(rows) >= 25 and all(len(r[2]) == len(roles) for r in rows)
    # every page and API route of the app appears in the matrix (paths with the demo identifiers)
    from temoin.web import create_app
    from temoin.web.routes import (
        api,
        auth,
        calls,
        diagnosis,
        extra,
        invitations,
        open_data,
        pages,
        public,
        rgpd,
        uploads,
    )
    from temoin.web.routes.contract_edit import form_pages, versions, yaml_pages

    app_routes = {(m, r.path) for mod in (api, auth, calls, diagnosis, extra, invitations, open_data, pages, public, rgpd, uploads,  # type: ignore[attr-defined]
                                          form_pages, versions, yaml_pages)
                  for r in mod.router.routes for m in r.methods if m in ("GET", "POST")}
    documented = {(m, p) for m, p, _ in rows}
    assert create_app is not None
    concrete = {(m, p.replace("{contract_id}", "aemo-renforcee")) for m, p in app_routes}
    simple = {x for x in concrete if "{" not in x[1] and x[1] not in ("/login", "/logout", "/account/tokens", "/api/v1/tokens")}
    assert simple <= documented, sorted(simple - documented)


@pytest.fixture(scope="module")
def matrix_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    from temoin.store import make_engine, migrate

    engine: Engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'm.db'}")
    migrate(engine)
    return make_site(engine)


def test_every_entry_of_the_matrix(matrix_site: Site) -> None:
    roles, rows = read_matrix()
    clients = {role: (matrix_site.client() if role == "anonymous" else matrix_site.signed_in(role)) for role in roles}
    tokens = {role: csrf_of(c, "/login") for role, c in clients.items()}
    wrong: list[str] = []
    for method, path, expected in rows:
        for role, want in zip(roles, expected, strict=True):
            c = clients[role]
            if method == "GET":
                r = c.get(path, follow_redirects=False)
            else:
                r = c.post(path, data={"csrf_token": tokens[role]}, headers={"X-CSRF-Token": tokens[role]},
                           follow_redirects=False)
            if want == "login":
                ok = (r.status_code == 401) if (path.startswith("/api/") or method == "POST") else (
                    r.status_code == 303 and r.headers["location"].startswith("/login"))
            else:
                ok = r.status_code == int(want)
            if not ok:
                wrong.append(f"{method} {path} as {role}: expected {want}, got {r.status_code}")
            assert r.status_code != 500, f"{method} {path} as {role}: server error"
    assert not wrong, "\n".join(wrong)

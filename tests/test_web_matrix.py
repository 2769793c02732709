"""The role × route matrix of docs/access-matrix.md, checked entry by entry against the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.routing import Mount

from test_web_support import Site, csrf_of, make_site

MATRIX = Path(__file__).resolve().parents[1] / "docs" / "access-matrix.md"


METHODS = ("GET", "POST", "DELETE")
ON_ITS_OWN_CLIENT = {("POST", "/login"), ("POST", "/logout")}
"""Tried on a client of their own: signing out ends the session the other lines use, and failed
sign-ins are counted per address."""


def read_matrix() -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    roles: list[str] = []
    rows: list[tuple[str, str, list[str]]] = []
    for line in MATRIX.read_text(encoding="utf-8").splitlines():
        if not line.startswith("| "):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] == "Route":
            roles = cells[1:]
        elif cells[0].split(" ")[0] in METHODS:
            method, path = cells[0].split(" ", 1)
            rows.append((method, path, cells[1:]))
    return roles, rows


def served_routes(app: Any) -> list[tuple[str, Any]]:
    """(method, route) of every route the application serves, in the order it matches them (the
    static files' mount aside); routers included in routers are looked into."""

    def walk(routes: Any) -> Iterator[tuple[str, Any]]:
        for r in routes:
            if isinstance(r, Mount):
                continue
            if hasattr(r, "methods") and hasattr(r, "path_regex"):
                yield from ((m, r) for m in sorted(r.methods or ()) if m != "HEAD")
            else:  # a router included as a whole (FastAPI ≥ 0.16x keeps it so): its own routes
                inner = getattr(r, "original_router", None)
                yield from walk(inner.routes if inner is not None else getattr(r, "routes", ()))

    return list(walk(app.routes))


def test_the_matrix_names_every_route_the_app_serves_and_no_other(tmp_path: Path) -> None:
    """The set of the app's routes equals the set of the routes the matrix's lines reach: a new route
    without its line fails here, and so does a line that no route serves."""
    from temoin.settings import Settings
    from temoin.store import make_engine, migrate
    from temoin.web import create_app

    roles, rows = read_matrix()
    assert roles == ["anonymous", "admin", "payer", "operator", "investor", "evaluator", "observer", "other investor"]
    assert all(len(r[2]) == len(roles) for r in rows)
    engine = make_engine(f"sqlite:///{tmp_path / 'routes.db'}")
    migrate(engine)
    served = served_routes(create_app(Settings(), engine=engine))
    assert len(served) >= 100
    reached: set[tuple[str, str]] = set()
    nowhere = []
    for method, path, _ in rows:
        bare = path.split("?", 1)[0]
        # the route that answers it: the first that matches, as the application routes a request
        route = next((r for m, r in served if m == method and r.path_regex.match(bare)), None)
        if route is None:
            nowhere.append(f"{method} {path}")
        else:
            reached.add((method, route.path))
    app_routes = {(m, r.path) for m, r in served}
    assert not nowhere, f"lines that no route serves: {nowhere}"
    assert app_routes == reached, f"routes without a line in docs/access-matrix.md: {sorted(app_routes - reached)}"


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
            if (method, path) in ON_ITS_OWN_CLIENT:
                c = matrix_site.client(peer=f"own-{role}") if role == "anonymous" else \
                    matrix_site.signed_in(role, peer=f"own-{role}")
                tokens[role + path] = csrf_of(c, "/login")
            token = tokens.get(role + path, tokens[role])
            if method == "GET":
                r = c.get(path, follow_redirects=False)
            elif method == "DELETE":
                r = c.delete(path, headers={"X-CSRF-Token": token}, follow_redirects=False)
            else:
                r = c.post(path, data={"csrf_token": token}, headers={"X-CSRF-Token": token}, follow_redirects=False)
            if want == "login":
                ok = (r.status_code == 401) if (path.startswith("/api/") or method == "POST") else (
                    r.status_code == 303 and r.headers["location"].startswith("/login"))
            else:
                ok = r.status_code == int(want)
            if not ok:
                wrong.append(f"{method} {path} as {role}: expected {want}, got {r.status_code}")
            assert r.status_code != 500, f"{method} {path} as {role}: server error"
    assert not wrong, "\n".join(wrong)

"""Shared helpers for the web tests (no tests here): an app on a fresh database with the demo
accounts, and a client that signs in through the real form, CSRF token included."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from temoin.demo.accounts import DemoAccount, demo_accounts
from temoin.examples import EXAMPLE_BUDGET
from temoin.services.accounts import set_hash_cost
from temoin.services.governance import import_budget
from temoin.settings import Settings
from temoin.web import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROLE_USERS = {"admin": "admin", "payer": "payeur", "operator": "operateur", "investor": "investisseur",
              "evaluator": "evaluateur", "observer": "observateur", "other investor": "investisseur-autre"}


@dataclass
class Site:
    engine: Engine
    app: object
    accounts: dict[str, DemoAccount]

    def client(self, *, base_url: str = "http://testserver", peer: str = "testclient") -> TestClient:
        return TestClient(self.app, base_url=base_url, raise_server_exceptions=False, client=(peer, 50000))  # type: ignore[arg-type]

    def signed_in(self, role: str, *, lang: str | None = None, peer: str = "testclient") -> TestClient:
        c = self.client(peer=peer)
        if lang:
            c.cookies.set("temoin_lang", lang)
        username = ROLE_USERS.get(role, role)
        r = login(c, username, self.accounts[username].password)
        assert r.status_code == 303, r.text
        return c


def csrf_of(client: TestClient, path: str = "/login") -> str:
    m = CSRF.search(client.get(path).text)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client: TestClient, username: str, password: str, *, next_path: str = "/contracts"):  # type: ignore[no-untyped-def]
    token = csrf_of(client)
    return client.post("/login", data={"csrf_token": token, "username": username, "password": password,
                                       "next": next_path}, follow_redirects=False)


def make_site(engine: Engine, **settings: object) -> Site:
    set_hash_cost(time_cost=1, memory_cost_kib=8192)  # still argon2id, cheaper for tests
    accounts = {a.username: a for a in demo_accounts(engine)}
    import_budget(engine, EXAMPLE_BUDGET, actor="test")  # the payer's budget, as in `make demo`
    # a page waits for its figures gathered anew after a change (temoin.web.kept), so that a test reads
    # them on the next view whatever the machine's load; test_web_kept.py tests the pages that do not wait
    settings.setdefault("figures_wait_seconds", 60)
    app = create_app(Settings(**settings), engine=engine)  # type: ignore[arg-type]
    return Site(engine, app, accounts)

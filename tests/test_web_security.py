"""Issue 14 through the web application (in process): body limits before any sign-in check, upload
limits (columns, rows, zip bombs, formulas, ranges, listed errors), the administrator and parties'
roles, API tokens (scopes, expiry, revocation, disabled accounts, no token minting), sign-in
(per client and user, trusted proxies, stale cookies), the API's documentation page, 404s."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, text

from _workbooks import bomb_workbook
from temoin.i18n import Translator
from temoin.services.accounts import MAX_FAILURES_PER_USER, create_api_token, list_accounts
from temoin.services.evaluations import generate_synthetic
from temoin.settings import Settings
from test_web_support import Site, csrf_of, login, make_site

C = "aemo-renforcee"
MiB = 1024 * 1024


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine, max_upload_mb=2, max_upload_rows=5_000, max_upload_columns=50, max_listed_errors=5,
                     trusted_proxies="10.0.0.0/8")


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def _upload(client, kind: str, name: str, content: bytes, token: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(f"/contracts/{C}/data/{kind}", data={"csrf_token": token, **extra},
                       files={"file": (name, content, "application/octet-stream")})


def _participants(tmp: Path) -> bytes:
    path = tmp / "participants.csv"
    generate_synthetic(None, C, path, settings=Settings())
    return path.read_bytes()


def _account_id(site: Site, username: str) -> int:
    return next(a.id for a in list_accounts(site.engine) if a.username == username)


# --- bodies -----------------------------------------------------------------------------------------


def test_a_chunked_body_past_the_limit_is_refused_as_it_arrives_before_sign_in(site: Site,
                                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Driven at the ASGI level (the test client reads a whole body before calling the app): the
    body arrives in 64 KiB pieces, with no Content-Length, as a chunked upload would."""
    import anyio

    import temoin.web.context as context

    looked_up: list[object] = []
    real = context.signed_in
    monkeypatch.setattr(context, "signed_in", lambda *a, **k: looked_up.append(k) or real(*a, **k))
    chunk, total = b"x" * 65536, 100 * MiB
    pulled = 0
    sent: list[dict[str, object]] = []

    head = (b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            b"Content-Type: text/csv\r\n\r\n")

    async def receive() -> dict[str, object]:
        nonlocal pulled
        piece = head + chunk[len(head):] if pulled == 0 else chunk  # a well-formed part, then a file without end
        pulled += len(piece)
        return {"type": "http.request", "body": piece, "more_body": pulled < total}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": f"/api/v1/contracts/{C}/participants", "raw_path": b"", "query_string": b"", "root_path": "",
             "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=zz"),
                         (b"transfer-encoding", b"chunked")], "client": ("198.51.100.1", 4000), "server": ("testserver", 80)}
    anyio.run(site.app, scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    assert b"upload.too_large" in body
    assert pulled <= 2 * MiB + 65536 + 2 * len(chunk), pulled  # read no further than the limit
    assert looked_up == [], "refused before any sign-in look-up"


def test_a_declared_length_past_the_limit_and_a_large_form_are_refused(site: Site) -> None:
    c = site.client()
    r = c.post("/login", content=b"", headers={"Content-Length": str(300 * MiB), "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and "Requête trop volumineuse" in r.text
    r = c.post("/api/v1/tokens", content=b"{" + b" " * (300 * 1024) + b"}", headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request.too_large"


# --- uploads ----------------------------------------------------------------------------------------


def test_a_file_with_a_million_columns_is_refused_at_once(site: Site) -> None:
    op = site.signed_in("operator")
    header = ",".join(f"c{i}" for i in range(1_000_000)).encode()[: 2 * MiB - 4096]
    t0 = time.perf_counter()
    r = _upload(op, "participants", "wide.csv", header + b"\n1\n", csrf_of(op, f"/contracts/{C}/data"))
    elapsed = time.perf_counter() - t0
    assert r.status_code == 413 and "Trop de colonnes" in r.text
    assert elapsed < 5, elapsed


def test_a_decompression_bomb_and_too_many_rows_are_refused_without_parsing(site: Site) -> None:
    op = site.signed_in("operator")
    token = csrf_of(op, f"/contracts/{C}/data")
    bomb = bomb_workbook(2_000_000)
    assert len(bomb) < 400_000  # a few hundred KB for 2 million rows
    t0 = time.perf_counter()
    r = _upload(op, "participants", "bomb.xlsx", bomb, token)
    assert r.status_code == 413 and "se décompresse" in r.text
    assert time.perf_counter() - t0 < 5
    # rows counted on the sheet's XML (an ordinary workbook, past the 5,000-row limit of this site)
    wb = Workbook()
    ws = wb.active
    for i in range(6_000):
        ws.append([f"P{i}", "oui", "oui"])
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(op, "participants", "long.xlsx", buf.getvalue(), token)
    assert r.status_code == 413 and "Trop de lignes" in r.text
    r = _upload(op, "participants", "long.csv", b"participant_id\n" + b"P\n" * 6_000, token)
    assert r.status_code == 413 and "Trop de lignes" in r.text
    assert _count(site.engine, "cohort_participants") == 0


def test_formulas_are_refused_with_every_starting_sign_but_numbers_pass(site: Site, tmp_path: Path) -> None:
    op = site.signed_in("operator")
    token = csrf_of(op, f"/contracts/{C}/data")
    lines = _participants(tmp_path).decode("utf-8").splitlines()
    head = lines[0].split(",")
    where = head.index("referral_source")
    for bad in ("-2+3+cmd|' /C calc'!A0", "+33 6 12", "@SUM(A1)"):
        row = lines[1].split(",")
        row[where] = bad
        r = _upload(op, "participants", "f.csv", "\n".join([lines[0], ",".join(row)]).encode(), token)
        assert r.status_code == 422 and "formule refusée" in r.text, bad
    wb = Workbook()
    ws = wb.active
    ws.append(head)
    row = lines[2].split(",")
    ws.append(row)
    for bad in ("-1+cmd", "+cmd", "@cmd"):
        ws.cell(row=2, column=where + 1, value=bad)
        buf = io.BytesIO()
        wb.save(buf)
        r = _upload(op, "participants", "f.xlsx", buf.getvalue(), token)
        assert r.status_code == 422 and "formule refusée" in r.text, bad
    assert _count(site.engine, "cohort_participants") == 0


def test_a_refused_file_lists_the_first_problems_and_counts_the_rest(site: Site, tmp_path: Path) -> None:
    op = site.signed_in("operator")
    token = csrf_of(op, f"/contracts/{C}/data")
    lines = _participants(tmp_path).decode("utf-8").splitlines()
    head = lines[0].split(",")
    bad = []
    for line in lines[1:21]:  # 20 rows with an unreadable consent
        row = line.split(",")
        row[head.index("consent")] = "peut-être"
        bad.append(",".join(row))
    r = _upload(op, "participants", "bad.csv", "\n".join([lines[0], *bad]).encode(), token)
    assert r.status_code == 422
    listed = re.findall(r'<tr><td class="num">\d+</td>', r.text)
    assert len(listed) == 5 and "… et 15 autre(s) problème(s), non listé(s)." in r.text
    api = site.client()
    tok = create_api_token(site.engine, _account_id(site, "operateur"), "t", actor="test", scopes=["data.participants"])
    r = api.post(f"/api/v1/contracts/{C}/participants", headers={"Authorization": f"Bearer {tok}"},
                 files={"file": ("bad.csv", "\n".join([lines[0], *bad]).encode(), "text/csv")})
    assert r.status_code == 422 and len(r.json()["error"]["rows"]) == 5 and r.json()["error"]["more"] == 15


def test_a_negative_count_of_days_is_refused(engine: Engine, tmp_path: Path) -> None:
    from tests.conftest import EXAMPLES

    from temoin.errors import InvalidInputError
    from temoin.evaluation.cohort_file import CohortFileError
    from temoin.services import evaluations as ev
    from temoin.services.contracts import import_contract

    settings = Settings()
    import_contract(engine, EXAMPLES / f"{C}.yaml", actor="test")
    people = tmp_path / "p.csv"
    generate_synthetic(None, C, people, settings=settings)
    ev.import_participants(engine, C, people, settings=settings)
    ev.randomise_cohort(engine, C, seed=1)
    wave = tmp_path / "m12.csv"
    generate_synthetic(engine, C, wave, settings=settings, wave="m12")
    rows = wave.read_text().splitlines()
    head = rows[0].split(",")
    first = rows[1].split(",")
    first[head.index("placement_days")] = "-40"
    wave.write_text("\n".join([rows[0], ",".join(first), *rows[2:]]) + "\n")
    with pytest.raises(CohortFileError) as info:
        ev.import_outcomes(engine, C, "m12", wave, settings=settings)
    assert isinstance(info.value, InvalidInputError)
    assert any(e.column == "placement_days" and e.value == "-40" and "minimum" in Translator("en").render(e.message) for e in info.value.errors)
    assert _count(engine, "cohort_outcomes") == 0


# --- the administrator and the parties ----------------------------------------------------------------


def test_the_administrator_cannot_obtain_a_partys_role(site: Site) -> None:
    admin = site.signed_in("admin")
    token = csrf_of(admin, "/admin/accounts")
    r = admin.post("/admin/accounts", data={"csrf_token": token, "username": "mallory", "person_id": "demo-payeur",
                                            "password": "correct horse battery staple"})
    assert r.status_code == 403 and "ne relie pas un compte à une personne" in r.text
    assert "mallory" not in {a.username for a in list_accounts(site.engine)}
    # an account made by the administrator holds no role anywhere
    r = admin.post("/admin/accounts", data={"csrf_token": token, "username": "mallory",
                                            "password": "correct horse battery staple"})
    assert r.status_code == 200
    m = site.client()
    assert login(m, "mallory", "correct horse battery staple").status_code == 303
    assert m.get("/api/v1/me").json()["roles"] == {}
    assert m.get(f"/contracts/{C}/settlement").status_code == 403


def test_an_unknown_person_is_refused_on_the_server_too(site: Site) -> None:
    from temoin.errors import NotFoundError
    from temoin.services.accounts import create_account

    with pytest.raises(NotFoundError, match="Unknown person"):
        create_account(site.engine, "ghost", "correct horse battery staple", actor="test", person_id="nobody-here")


def test_an_unknown_contracts_committee_is_a_404_for_the_administrator(site: Site) -> None:
    admin = site.signed_in("admin")
    assert admin.get("/contracts/no-such-contract/committee").status_code == 404
    assert admin.get("/api/v1/contracts/no-such-contract/committee").status_code == 404


# --- API tokens -------------------------------------------------------------------------------------


def test_tokens_are_scoped_expire_and_are_revoked(site: Site) -> None:
    ev_id = _account_id(site, "evaluateur")
    read_only = create_api_token(site.engine, ev_id, "lecture", actor="test")
    writer = create_api_token(site.engine, ev_id, "vagues", actor="test", scopes=["data.waves"])
    program = site.client()
    wave = {"file": ("m12.csv", b"participant_id,placement_days\nNOBODY,3\n", "text/csv")}
    r = program.post(f"/api/v1/contracts/{C}/waves/m12", headers={"Authorization": f"Bearer {read_only}"}, files=wave)
    assert r.status_code == 403 and r.json()["error"]["code"] == "access.role"
    r = program.post(f"/api/v1/contracts/{C}/waves/m12", headers={"Authorization": f"Bearer {writer}"}, files=wave)
    assert r.status_code == 422 and "participant inconnu" in r.text  # past access control: the row is refused
    assert program.get("/api/v1/me", headers={"Authorization": f"Bearer {read_only}"}).status_code == 200
    # expiry: the token opens nothing once its time has passed
    with site.engine.begin() as c:
        c.execute(text("UPDATE web_api_tokens SET expires_at = '2020-01-01 00:00:00' WHERE name = 'lecture'"))
    assert program.get("/api/v1/me", headers={"Authorization": f"Bearer {read_only}"}).status_code == 401
    # revocation, by its owner through the browser
    browser = site.signed_in("evaluator")
    listed = browser.get("/api/v1/tokens").json()
    mine = next(t for t in listed if t["name"] == "vagues")
    assert mine["scopes"] == ["contract.read", "data.waves"] and mine["active"] and "token" not in mine
    r = browser.delete(f"/api/v1/tokens/{mine['id']}", headers={"X-CSRF-Token": csrf_of(browser, "/account")})
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert program.get("/api/v1/me", headers={"Authorization": f"Bearer {writer}"}).status_code == 401
    # a token manages no token: neither lists, mints nor revokes
    other = create_api_token(site.engine, ev_id, "autre", actor="test", scopes=["data.waves"])
    h = {"Authorization": f"Bearer {other}"}
    assert program.get("/api/v1/tokens", headers=h).status_code == 403
    assert program.post("/api/v1/tokens", json={"name": "x"}, headers=h).status_code == 403
    assert program.delete(f"/api/v1/tokens/{mine['id']}", headers=h).status_code == 403


def test_a_disabled_account_loses_its_sessions_and_tokens(site: Site) -> None:
    op_id = _account_id(site, "operateur")
    token = create_api_token(site.engine, op_id, "script", actor="test", scopes=["data.participants"])
    browser = site.signed_in("operator")
    program = site.client()
    assert program.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    admin = site.signed_in("admin")
    r = admin.post("/admin/accounts/operateur/disable", data={"csrf_token": csrf_of(admin, "/admin/accounts")},
                   follow_redirects=False)
    assert r.status_code == 303
    assert program.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert browser.get("/api/v1/me").status_code == 401
    assert login(site.client(), "operateur", site.accounts["operateur"].password).status_code == 401
    with site.engine.connect() as c:
        assert c.execute(text("SELECT COUNT(*) FROM web_api_tokens WHERE revoked_at IS NULL AND account_id = :a"),
                         {"a": op_id}).scalar_one() == 0


def test_tokens_made_on_the_account_page_carry_the_scopes_and_lifetime_chosen(site: Site) -> None:
    browser = site.signed_in("payer")
    token = csrf_of(browser, "/account")
    r = browser.post("/account/tokens", data={"csrf_token": token, "name": "paiements", "scopes": ["payment.approve"],
                                              "days": "7"})
    assert r.status_code == 200 and re.search(r'id="new-token">tmn_', r.text)
    listed = browser.get("/api/v1/tokens").json()
    assert listed[0]["scopes"] == ["contract.read", "payment.approve"]
    r = browser.post("/account/tokens", data={"csrf_token": token, "name": "x", "scopes": ["everything"]})
    assert r.status_code == 422 and "Portée inconnue" in r.text


# --- sign-in ----------------------------------------------------------------------------------------


def test_someone_guessing_elsewhere_does_not_lock_the_real_user_out(site: Site) -> None:
    attacker = site.client(peer="203.0.113.9")
    for _ in range(MAX_FAILURES_PER_USER):
        assert login(attacker, "payeur", "wrong-password-123").status_code == 401
    good = site.accounts["payeur"].password
    assert login(attacker, "payeur", good).status_code == 429  # that client waits
    # a forged X-Forwarded-For from an untrusted peer changes nothing
    attacker.headers["X-Forwarded-For"] = "198.51.100.77"
    assert login(attacker, "payeur", good).status_code == 429
    # the real user, from their own address, signs in
    assert login(site.client(peer="192.0.2.44"), "payeur", good).status_code == 303


def test_behind_a_trusted_proxy_each_client_is_told_apart(site: Site) -> None:
    good = site.accounts["payeur"].password
    proxy = site.client(peer="10.1.2.3")
    proxy.headers["X-Forwarded-For"] = "203.0.113.9"
    for _ in range(MAX_FAILURES_PER_USER):
        assert login(proxy, "payeur", "wrong-password-123").status_code == 401
    assert login(proxy, "payeur", good).status_code == 429
    proxy.headers["X-Forwarded-For"] = "192.0.2.44"  # another client through the same proxy
    assert login(proxy, "payeur", good).status_code == 303
    # the proxy's scheme is believed too: the session cookie is Secure behind TLS termination
    tls = site.client(peer="10.1.2.3")
    tls.headers["X-Forwarded-Proto"] = "https"
    assert "Secure" in login(tls, "observateur", site.accounts["observateur"].password).headers["set-cookie"]


@pytest.mark.parametrize(("password", "code"), [(" " * 10, "account.password_common"), ("aaaaaaaaaa", "account.password_pattern"),
                                               ("password12", "account.password_common"), ("x" * 200, "account.password_long"),
                                               ("Azertyuiop1", "account.password_common"), ("1q2w3e4r5t", "account.password_pattern")])
def test_weak_passwords_are_refused(site: Site, password: str, code: str) -> None:
    from temoin.errors import InvalidInputError
    from temoin.services.accounts import create_account

    with pytest.raises(InvalidInputError) as info:
        create_account(site.engine, "newcomer", password, actor="test")
    assert info.value.code == code
    assert create_account(site.engine, "newcomer", "velo rouge sous la pluie", actor="test").username == "newcomer"


def test_a_stale_session_cookie_still_gets_a_sign_in_form_that_works(site: Site) -> None:
    c = site.client()
    c.cookies.set("temoin_session", "expired-or-forged")
    r = c.get("/login")
    assert r.status_code == 200 and re.search(r'name="csrf_token" value="[0-9a-f]{64}"', r.text)
    assert login(c, "observateur", site.accounts["observateur"].password).status_code == 303


# --- pages ------------------------------------------------------------------------------------------


def test_the_api_documentation_is_a_page_under_the_site_s_own_policy(site: Site) -> None:
    """The API's documentation is a page of the site (no script from elsewhere): the site's one policy."""
    r = site.client().get("/api/docs")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == site.client().get("/").headers["content-security-policy"]
    assert "cdn.jsdelivr.net" not in r.headers["content-security-policy"] and "cdn.jsdelivr.net" not in r.text


def test_the_public_page_publishes_the_ledger_head(site: Site) -> None:
    from temoin.services.governance import verify_ledger

    head = verify_ledger(site.engine).head
    page = site.client().get(f"/public/contracts/{C}")
    assert page.status_code == 200 and head in page.text
    assert site.client().get(f"/api/v1/public/contracts/{C}/observatory").json()["ledger"]["head"] == head

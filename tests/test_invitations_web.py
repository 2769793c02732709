"""People and roles in the browser (through the application, CSRF included): the payer's page, an
invitation made, its link opened and accepted by a new or a signed-in account, roles revoked, and
every refusal answered on the page where the action was, in the reader's language. The e-mail
goes through a real SMTP server (aiosmtpd on 127.0.0.1), and the link it carries works."""

from __future__ import annotations

import email
import email.policy
import html
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from temoin.services.accounts import create_account
from test_web_support import Site, csrf_of, login, make_site

C = "aemo-renforcee"
PASSWORD = "quatre mots bien choisis ici"
LINK = re.compile(r'id="invitation-link" readonly value="([^"]+)"')
ERROR = re.compile(r'role="alert" id="(?:people|invitation)-error"><strong>([^<]+)</strong>')


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def _invite(c: TestClient, **form: str) -> Any:
    data = {"csrf_token": csrf_of(c, f"/contracts/{C}/people"), "email": "nadia@example.org", "name": "Nadia",
            "role": "evaluator", "language": "fr"} | form
    return c.post(f"/contracts/{C}/invitations", data=data, follow_redirects=False)


def _link(r: Any) -> str:
    m = LINK.search(r.text)
    assert m, r.text
    return m.group(1).replace("&amp;", "&")


def _path(link: str) -> str:
    return link.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _accept_new(c: TestClient, path: str, username: str = "nadia", password: str = PASSWORD) -> Any:
    token = csrf_of(c, path)
    return c.post(path.split("?")[0] + "/accept", data={"csrf_token": token, "username": username,
                                                         "display_name": "Nadia E.", "password": password},
                  follow_redirects=False)


def _text(r: Any) -> str:
    """The page as a reader sees its characters (entities decoded)."""
    return html.unescape(r.text)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_only_the_payer_manages_the_people_of_the_contract(site: Site) -> None:
    payer = site.signed_in("payer")
    page = payer.get(f"/contracts/{C}/people")
    assert page.status_code == 200
    assert "Personnes et rôles" in page.text and "Ève Évaluatrice" in page.text and 'id="invite-form"' in page.text
    assert f'href="/contracts/{C}/people"' in payer.get(f"/contracts/{C}").text  # a tab of the contract, for the payer
    for role in ("admin", "operator", "evaluator", "observer", "other investor"):
        c = site.signed_in(role)
        assert c.get(f"/contracts/{C}/people").status_code == 403, role
        assert f'href="/contracts/{C}/people"' not in c.get(f"/contracts/{C}").text, role
        assert _invite(c).status_code == 403, role
    assert site.client().get(f"/contracts/{C}/people", follow_redirects=False).status_code == 303  # to sign in


def test_invite_then_accept_with_a_new_account_then_see_the_contract(site: Site) -> None:
    payer = site.signed_in("payer")
    r = _invite(payer)
    assert r.status_code == 200
    assert "Aucun serveur de courriel n'est configuré : envoyez le lien vous-même." in _text(r)
    link = _link(r)
    assert link.startswith("http://testserver/invitations/") and link.endswith("?lang=fr")
    assert "nadia@example.org" in r.text and "en attente, jusqu'au" in _text(r)

    newcomer = site.client()
    page = newcomer.get(_path(link))
    assert page.status_code == 200
    assert "Vous êtes invité·e au contrat « Prévenir les placements par l'AEMO renforcée (Nord) » comme évaluateur" \
        in _text(page)
    assert newcomer.get(f"/contracts/{C}", follow_redirects=False).status_code == 303  # not signed in yet
    done = _accept_new(newcomer, _path(link))
    assert done.status_code == 303 and done.headers["location"] == f"/contracts/{C}"
    assert newcomer.get(f"/contracts/{C}").status_code == 200  # signed in, with the role
    assert newcomer.get(f"/contracts/{C}/evaluation").status_code == 200
    assert "accepted" not in payer.get(f"/contracts/{C}/people").text
    assert "acceptée par nadia" in payer.get(f"/contracts/{C}/people").text
    # used once: a second visit says so, on the acceptance page
    again = site.client().get(_path(link))
    assert again.status_code == 409 and "Ce lien d'invitation a déjà servi" in _text(again)


def test_refusals_answer_on_the_page_in_the_readers_language(site: Site) -> None:
    payer = site.signed_in("payer")
    r = _invite(payer, email="nadia.example.org")
    assert r.status_code == 422
    assert html.unescape(ERROR.search(r.text).group(1)) == \
        "Ce n'est pas une adresse électronique : « nadia.example.org »."  # type: ignore[union-attr]
    assert 'value="nadia.example.org"' in r.text  # what was typed is kept
    english = site.signed_in("payer", lang="en")
    r = _invite(english, role="investor")
    assert r.status_code == 422 and "Several parties hold the role investor" in r.text
    r = _invite(english, role="king")
    assert r.status_code == 422 and "Unknown role: 'king'." in _text(r)
    assert _count(site.engine, "SELECT COUNT(*) FROM gov_invitations") == 0
    # links that open nothing
    anonymous = site.client()
    r = anonymous.get("/invitations/not-a-token")
    assert r.status_code == 404 and "Ce lien d'invitation est inconnu." in _text(r)
    r = anonymous.get("/invitations/not-a-token?lang=en")
    assert r.status_code == 404 and "This invitation link is not known." in r.text


def test_a_form_without_its_csrf_token_changes_nothing(site: Site) -> None:
    payer = site.signed_in("payer")
    r = payer.post(f"/contracts/{C}/invitations", data={"email": "x@example.org", "role": "evaluator"})
    assert r.status_code == 403
    link = _link(_invite(payer))
    r = site.client().post(_path(link).split("?")[0] + "/accept",
                           data={"username": "nadia", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403
    people = payer.get(f"/contracts/{C}/people").text
    number = re.search(r'/roles/(\d+)/revoke', people).group(1)  # type: ignore[union-attr]
    assert payer.post(f"/contracts/{C}/roles/{number}/revoke", data={}).status_code == 403
    assert _count(site.engine, "SELECT COUNT(*) FROM gov_invitations") == 1
    assert _count(site.engine, "SELECT COUNT(*) FROM web_accounts WHERE username = 'nadia'") == 0
    assert _count(site.engine, "SELECT COUNT(*) FROM gov_role_assignments WHERE revoked_at IS NOT NULL") == 0


def test_the_payer_withdraws_a_pending_invitation(site: Site) -> None:
    payer = site.signed_in("payer")
    link = _link(_invite(payer, email="wrong@example.org"))
    page = payer.get(f"/contracts/{C}/people").text
    action = re.search(r'action="(/contracts/aemo-renforcee/invitations/\d+/withdraw)"', page).group(1)  # type: ignore[union-attr]
    r = payer.post(action, data={"csrf_token": csrf_of(payer, f"/contracts/{C}/people")}, follow_redirects=False)
    assert r.status_code == 303
    assert "annulée le" in _text(payer.get(f"/contracts/{C}/people"))
    r = site.client().get(_path(link))
    assert r.status_code == 409 and "Ce lien d'invitation a été annulé par le payeur du contrat." in _text(r)


def test_a_signed_in_account_accepts_with_itself(site: Site) -> None:
    create_account(site.engine, "yann", PASSWORD, actor="admin")
    link = _link(_invite(site.signed_in("payer"), role="civil_society_observer", email="yann@example.org"))
    yann = site.client()
    assert login(yann, "yann", PASSWORD, next_path=_path(link).split("?")[0]).headers["location"] == _path(link).split("?")[0]
    page = yann.get(_path(link))
    assert "Accepter en tant que yann" in page.text and "Créez votre compte" not in page.text
    r = yann.post(_path(link).split("?")[0] + "/accept", data={"csrf_token": csrf_of(yann, _path(link))},
                  follow_redirects=False)
    assert r.status_code == 303 and yann.get(f"/contracts/{C}").status_code == 200
    # an administrator is refused on the same page, with what to do
    link = _link(_invite(site.signed_in("payer"), role="structurer", email="a@example.org"))
    admin = site.signed_in("admin")
    r = admin.post(_path(link).split("?")[0] + "/accept", data={"csrf_token": csrf_of(admin, _path(link))})
    assert r.status_code == 409 and "Un compte d'administration ne peut pas prendre le rôle d'une partie." in _text(r)


def test_a_weak_password_is_refused_on_the_acceptance_page(site: Site) -> None:
    link = _link(_invite(site.signed_in("payer")))
    c = site.client()
    r = _accept_new(c, _path(link), password="password12")
    assert r.status_code == 422 and "Mot de passe trop courant" in r.text and 'value="nadia"' in r.text
    assert _accept_new(c, _path(link)).status_code == 303  # the link still works


def _assignment(site: Site, person: str) -> int:
    with site.engine.connect() as conn:
        return int(conn.execute(text("SELECT id FROM gov_role_assignments WHERE person_id = :p"), {"p": person}).scalar_one())


def test_the_payer_revokes_a_role_and_the_last_payer_stays(site: Site) -> None:
    payer = site.signed_in("payer")
    evaluator = site.signed_in("evaluator")
    assert evaluator.get(f"/contracts/{C}").status_code == 200
    number = _assignment(site, "demo-evaluateur")
    assert f"/contracts/{C}/roles/{number}/revoke" in payer.get(f"/contracts/{C}/people").text
    r = payer.post(f"/contracts/{C}/roles/{number}/revoke", data={"csrf_token": csrf_of(payer, f"/contracts/{C}/people")},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/contracts/{C}/people"
    assert evaluator.get(f"/contracts/{C}").status_code == 403  # at once: roles are read at every request
    # the last payer: the button is disabled with the reason, and a forced request is refused on the page
    page = payer.get(f"/contracts/{C}/people").text
    assert '<button type="button" disabled' in page and "Le dernier payeur aux résultats ne peut pas être retiré" in page
    payer_row = _assignment(site, "demo-payeur")
    r = payer.post(f"/contracts/{C}/roles/{payer_row}/revoke", data={"csrf_token": csrf_of(payer, f"/contracts/{C}/people")})
    assert r.status_code == 409
    assert "est le dernier payeur aux résultats du contrat aemo-renforcee" in ERROR.search(r.text).group(1)  # type: ignore[union-attr]
    assert payer.get(f"/contracts/{C}/people").status_code == 200


# --- e-mail through a real SMTP server ------------------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def test_the_invitation_is_sent_by_email_and_its_link_works(sqlite_engine: Engine, smtp: tuple[int, _Inbox]) -> None:
    port, inbox = smtp
    site = make_site(sqlite_engine, smtp_host="127.0.0.1", smtp_port=port, smtp_from="temoin@example.org",
                     smtp_starttls=False, public_url="http://testserver")
    r = _invite(site.signed_in("payer"), email="nadia@example.org", name="Nadia", language="en")
    assert r.status_code == 200 and "Elle a été envoyée par courriel à nadia@example.org." in r.text
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["nadia@example.org"] and message["From"] == "temoin@example.org"
    assert message["Subject"] == "Invitation to the contract 'Preventing child placements through intensified home support (Nord)'"
    body = message.get_content()
    assert body.startswith("Hello Nadia,") and "as evaluator for Laboratoire indépendant" in body
    found = [line.strip() for line in body.splitlines() if line.startswith("http://testserver/invitations/")]
    assert found == [_link(r)]  # the same link as the one shown to copy
    c = site.client()
    page = c.get(_path(found[0]))
    assert page.status_code == 200 and "Make your account" in page.text  # the invitation's language
    assert _accept_new(c, _path(found[0])).status_code == 303 and c.get(f"/contracts/{C}").status_code == 200


def test_an_unreachable_smtp_server_still_shows_the_link(sqlite_engine: Engine) -> None:
    site = make_site(sqlite_engine, smtp_host="127.0.0.1", smtp_port=_free_port(), smtp_from="temoin@example.org",
                     smtp_starttls=False)
    r = _invite(site.signed_in("payer"))
    assert r.status_code == 200 and 'id="invitation-mail-error"' in r.text
    assert "Le courriel n'a pas pu être envoyé à nadia@example.org" in _text(r)
    c = site.client()
    assert _accept_new(c, _path(_link(r))).status_code == 303  # the invitation was made all the same

"""The whole-chain journey's second part in Debian's Chromium (Playwright), against the app served
by uvicorn on 127.0.0.1, from an EMPTY database: the install command makes one administrator; in
the browser the administrator makes the parties' accounts, one of them pastes a contract's YAML,
saves and signs it (becoming its payer) and invites the other roles, each of whom signs in and
accepts. Then :func:`journey.running.running_to_public_report` runs the contract to its public
report. Every step is a person clicking; nothing is done behind the browser's back. A screenshot of
each page per role is kept in the test's folder (``screenshots/``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from journey.browser import shot, sign_in, sign_out
from journey.running import running_to_public_report
from journey.state import JourneyState
from temoin.examples import example_path
from test_browser_web import page, serving  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
CONTRACT = "aemo-sud"
YAML = example_path("aemo-renforcee").read_text(encoding="utf-8").replace("id: aemo-renforcee", f"id: {CONTRACT}", 1)
ACCOUNTS = {"admin": ("admin", "la clef de la plateforme"), "payer": ("claire", "quatre mots pour claire"),
            "operator": ("luc", "quatre mots pour luc"), "evaluator": ("jean", "quatre mots pour jean"),
            "investor": ("anne", "quatre mots pour anne"), "observer": ("karim", "quatre mots pour karim")}
NAMES = {"payer": "Claire Martin", "operator": "Luc Moreau", "evaluator": "Jean Dubois", "investor": "Anne Petit",
         "observer": "Karim Benali"}
INVITED = {"operator": ("operator", ""), "evaluator": ("evaluator", ""), "investor": ("investor", "banque-solidaire"),
           "observer": ("civil_society_observer", "")}


@pytest.fixture
def empty_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty, migrated database with one administrator made by the install command, served."""
    from temoin.cli import app as cli
    from temoin.services.accounts import set_hash_cost
    from temoin.settings import Settings
    from temoin.store import make_engine, migrate
    from temoin.web import create_app

    url = f"sqlite:///{tmp_path / 'journey.db'}"
    monkeypatch.setenv("TEMOIN_DATABASE_URL", url)
    set_hash_cost(time_cost=1, memory_cost_kib=8192)  # still argon2id, cheaper for tests
    engine = make_engine(url)
    migrate(engine)
    admin = ACCOUNTS["admin"]
    done = CliRunner().invoke(cli, ["user", "add", admin[0], "--admin", "--name", "Administratrice",
                                    "--password", admin[1]])
    assert done.exit_code == 0, done.output
    with serving(create_app(Settings(), engine=engine)) as base:
        yield base
    engine.dispose()


def _accounts_made_by_the_administrator(tab: Any, base: str, shots: Path) -> None:
    sign_in(tab, base, ACCOUNTS["admin"])
    tab.goto(f"{base}/admin/accounts")
    for role, name in NAMES.items():
        username, password = ACCOUNTS[role]
        tab.get_by_label("Identifiant", exact=True).fill(username)
        tab.get_by_label("Nom", exact=True).fill(name)
        tab.get_by_label("Mot de passe (au moins 10 caractères)").fill(password)
        tab.get_by_role("button", name="Créer le compte").click()
        tab.wait_for_selector(f"text=Compte créé : {username}")
    shot(tab, shots, "admin", "comptes")
    sign_out(tab)


def _contract_pasted_and_signed(tab: Any, base: str, shots: Path) -> None:
    sign_in(tab, base, ACCOUNTS["payer"])
    tab.get_by_role("link", name="Nouveau contrat").click()
    tab.wait_for_url(f"{base}/contracts/new")
    tab.get_by_label("Texte du contrat (YAML)").fill(YAML)
    tab.locator("#safeguards").wait_for()
    assert "Tous les garde-fous bloquants sont respectés." in tab.locator("#safeguard-summary").inner_text()
    shot(tab, shots, "payer", "nouveau-contrat")
    tab.get_by_role("button", name="Enregistrer la version 1").click()
    tab.wait_for_url(f"{base}/contracts/{CONTRACT}/versions?saved=1")
    tab.get_by_role("button", name="Signer la version 1").click()
    tab.wait_for_url(f"{base}/contracts/{CONTRACT}/versions")
    assert "La version 1 a été signée le" in tab.locator("#signature").inner_text()
    shot(tab, shots, "payer", "contrat-signe")


def _roles_invited_and_accepted(tab: Any, base: str, shots: Path) -> None:
    links = {}
    for role, (value, party) in INVITED.items():
        tab.goto(f"{base}/contracts/{CONTRACT}/people")
        tab.get_by_label("Adresse électronique").fill(f"{ACCOUNTS[role][0]}@example.org")
        tab.get_by_label("Nom de la personne").fill(NAMES[role])
        tab.get_by_label("Rôle", exact=True).select_option(value)
        if party:
            tab.get_by_label("Pour la partie").select_option(party)
        tab.get_by_role("button", name="Inviter", exact=True).click()
        tab.wait_for_selector("#invitation-made")
        links[role] = tab.locator("#invitation-link").input_value()
    shot(tab, shots, "payer", "invitations")
    sign_out(tab)
    for role, link in links.items():
        sign_in(tab, base, ACCOUNTS[role])
        tab.goto(link)
        tab.get_by_role("button", name=f"Accepter en tant que {ACCOUNTS[role][0]}").click()
        tab.wait_for_url(f"{base}/contracts/{CONTRACT}")
        shot(tab, shots, role, "invitation-acceptee")
        sign_out(tab)


def test_from_an_empty_database_to_the_public_report(empty_site: str, page: Any,  # noqa: F811 (fixture)
                                                     tmp_path: Path) -> None:
    base = empty_site
    shots = tmp_path / "screenshots"
    _accounts_made_by_the_administrator(page, base, shots)
    _contract_pasted_and_signed(page, base, shots)
    _roles_invited_and_accepted(page, base, shots)
    state = JourneyState(contract_id=CONTRACT, accounts=dict(ACCOUNTS))
    running_to_public_report(page, base, shots, state)

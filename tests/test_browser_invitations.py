"""In Debian's Chromium (Playwright), against the app served by uvicorn on 127.0.0.1: the payer
invites an evaluator from the contract's "Personnes et rôles" tab, copies the link, signs out; the
evaluator opens the link, makes an account and lands on the contract, which is now among theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from test_browser_web import C, page, served, sign_in, sign_out  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser
TITLE = "Prévenir les placements par l'AEMO renforcée (Nord)"


def test_the_payer_invites_an_evaluator_who_accepts_and_sees_the_contract(
        served: tuple[str, Site], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    base, site = served
    sign_in(page, base, site, "payeur")
    page.goto(f"{base}/contracts/{C}")
    page.get_by_role("link", name="Personnes et rôles").click()
    page.wait_for_url(f"{base}/contracts/{C}/people")
    page.get_by_label("Adresse électronique").fill("pas-une-adresse")
    page.get_by_label("Rôle", exact=True).select_option("evaluator")
    page.evaluate("document.getElementById('invite-email').type = 'text'")  # past the browser's own check
    page.get_by_role("button", name="Inviter", exact=True).click()
    assert "Ce n'est pas une adresse électronique" in page.locator("#people-error").inner_text()

    page.get_by_label("Adresse électronique").fill("nadia@example.org")
    page.get_by_label("Nom de la personne").fill("Nadia Évaluatrice")
    page.get_by_label("Rôle", exact=True).select_option("evaluator")
    page.get_by_role("button", name="Inviter", exact=True).click()
    page.wait_for_selector("#invitation-made")
    link = page.locator("#invitation-link").input_value()
    assert link.startswith(f"{base}/invitations/")
    assert "nadia@example.org" in page.locator("#invitations").inner_text()
    page.screenshot(path=str(tmp_path / "payer-invites.png"), full_page=True)
    sign_out(page)

    page.goto(link)
    assert f"« {TITLE} » comme évaluateur" in page.locator("#invitation-summary").inner_text()
    page.get_by_label("Identifiant").fill("nadia")
    page.get_by_label("Votre nom").fill("Nadia Évaluatrice")
    page.get_by_label("Mot de passe").fill("quatre mots bien choisis ici")
    page.screenshot(path=str(tmp_path / "evaluator-accepts.png"), full_page=True)
    page.get_by_role("button", name="Accepter et créer mon compte").click()
    page.wait_for_url(f"{base}/contracts/{C}")
    assert page.locator("h1").inner_text() == TITLE
    page.get_by_role("link", name="Mes contrats").first.click()
    assert TITLE in " ".join(page.locator("table a").all_inner_texts())
    # the evaluator does not manage people; the link, used, opens nothing any more
    assert page.get_by_role("link", name="Personnes et rôles").count() == 0
    sign_out(page)
    page.goto(link)
    assert "déjà servi" in page.locator("#invitation-error").inner_text()

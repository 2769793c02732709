"""In Debian's Chromium (Playwright), against the app served by uvicorn on 127.0.0.1, each person
signed in as themself: the payer drafts a call and publishes it; a member of the public comments;
the payer answers and, the consultation over, opens the call; an operator applies with a PDF;
three committee members declare their interests, one is recused automatically and sees no score
form; the others score; the payer decides; the public record shows the recusal and the decision.
Screenshots of each step are kept in the test's folder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import temoin.services.calls as calls_service
from temoin.services.accounts import create_account
from temoin.store import session_scope
from temoin.store.governance import RoleRepository
from test_browser_web import page, served, sign_out  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser
PASSWORD = "quatre mots bien choisis ici"


def _sign_in(page: Any, base: str, username: str, password: str) -> None:  # noqa: F811 (fixture name)
    page.goto(f"{base}/login")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{base}/contracts")


def test_a_call_from_its_draft_to_its_public_record(served: tuple[str, Site], page: Any, tmp_path: Path,  # noqa: F811
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    base, site = served
    day = {"today": dt.date(2027, 1, 10)}
    monkeypatch.setattr(calls_service, "today", lambda: day["today"])
    for username, person in (("benevole", "demo-benevole"), ("expert", "demo-expert")):
        with session_scope(site.engine) as s:
            RoleRepository(s).ensure_person(person, username.title())
        create_account(site.engine, username, PASSWORD, actor="test", display_name=username.title(), person_id=person)
    password = {u: a.password for u, a in site.accounts.items()} | {"benevole": PASSWORD, "expert": PASSWORD}
    shot = iter(range(1, 100))

    def snap(name: str) -> None:
        page.screenshot(path=str(tmp_path / f"{next(shot):02d}-{name}.png"), full_page=True)

    # the payer drafts and publishes
    _sign_in(page, base, "payeur", password["payeur"])
    page.get_by_role("link", name="Appels à projets").first.click()
    page.get_by_role("link", name="Rédiger un appel à projets").click()
    page.get_by_label("Identifiant de l'appel").fill("aap-2027")
    page.get_by_label("Titre en français").fill("Appel 2027 : prévenir les placements")
    page.get_by_label("Objectifs").fill("Réduire les placements d'enfants dans le Nord.")
    page.get_by_label("Budget total").fill("1 500 000")
    page.get_by_label("Consultation : premier jour").fill("2027-01-10")
    page.get_by_label("Consultation : dernier jour").fill("2027-01-30")
    page.get_by_label("Candidatures : date de clôture").fill("2027-03-01")
    page.get_by_label("Date de décision").fill("2027-03-20")
    page.get_by_label("Critères de sélection").fill("impact | Impact attendu | Expected impact | 3\n"
                                                    "faisabilite | Faisabilité | Feasibility | 2")
    page.get_by_label("Comité de sélection").fill("demo-observateur | union-assos | civil_society\n"
                                                  "demo-benevole | reseau-familles | beneficiary | horizon-familles\n"
                                                  "demo-expert | universite | expert")
    snap("payer-drafts")
    page.get_by_role("button", name="Enregistrer le projet d'appel").click()
    page.wait_for_url(f"{base}/calls/aap-2027")
    assert "projet (non publié)" in page.locator("#call-stage").inner_text()
    page.get_by_role("button", name="Publier pour la consultation").click()
    page.wait_for_selector("#call-done")
    assert "en consultation publique" in page.locator("#call-stage").inner_text()
    snap("payer-publishes")
    sign_out(page)

    # a member of the public comments
    page.goto(f"{base}/calls/aap-2027")
    page.get_by_label("Votre nom ou votre organisation").fill("Jeanne Martin")
    page.get_by_label("Votre commentaire").fill("Les familles rurales seront-elles concernées ?")
    page.get_by_role("button", name="Envoyer le commentaire").click()
    page.wait_for_selector("#call-done")
    assert "Un particulier" in page.locator("#comments ~ article").first.inner_text()
    assert "Jeanne Martin" not in page.content()
    snap("public-comments")

    # the payer answers, cannot open before the consultation's end, then opens
    _sign_in(page, base, "payeur", password["payeur"])
    page.goto(f"{base}/calls/aap-2027")
    page.get_by_label("Votre réponse (publiée)").fill("Oui : tout le département.")
    page.get_by_role("button", name="Publier la réponse").click()
    page.wait_for_selector("#call-done")
    page.get_by_role("button", name="Ouvrir l'appel aux candidatures").click()
    assert "ne peut pas s'ouvrir aux candidatures avant sa fin" in page.locator("#call-error").inner_text()
    snap("payer-open-refused")
    day["today"] = dt.date(2027, 1, 31)
    page.goto(f"{base}/calls/aap-2027")
    page.get_by_role("button", name="Ouvrir l'appel aux candidatures").click()
    page.wait_for_selector("#call-done")
    assert "ouvert aux candidatures" in page.locator("#call-stage").inner_text()
    snap("payer-opens")
    sign_out(page)

    # an operator applies with a PDF
    _sign_in(page, base, "operateur", password["operateur"])
    page.goto(f"{base}/calls/aap-2027")
    page.get_by_role("link", name="Candidater").click()
    page.get_by_label("Identifiant court").fill("horizon")
    page.get_by_label("Votre organisation").fill("horizon-familles")
    page.get_by_label("Titre du projet").fill("AEMO renforcée, Horizon Familles")
    page.get_by_label("Résumé du projet").fill("Un accompagnement intensif des familles.")
    page.locator("#apply-documents").set_input_files(
        [{"name": "dossier.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% dossier\n"}])
    snap("operator-applies")
    page.get_by_role("button", name="Envoyer la candidature").click()
    page.wait_for_selector("#call-done")
    assert "AEMO renforcée, Horizon Familles" in page.locator("#call-applications").inner_text()
    sign_out(page)

    # the committee: declarations (one member recused automatically), then scores
    for username in ("observateur", "benevole", "expert"):
        _sign_in(page, base, username, password[username])
        page.goto(f"{base}/calls/aap-2027/committee")
        page.get_by_label("Je n'ai aucun intérêt dans cette candidature").check()
        page.get_by_role("button", name="Déposer la déclaration").click()
        page.wait_for_selector("text=Déclaration déposée")
        if username == "benevole":
            assert "Vous êtes récusé" in page.locator("#recused-horizon").inner_text()
            assert page.locator("#score-horizon").count() == 0  # no form; a forged score is refused (web tests)
            snap("member-recused")
        else:
            page.get_by_label("Impact attendu").fill("8")
            page.get_by_label("Faisabilité").fill("6")
            page.get_by_role("button", name="Enregistrer mes notes").click()
            page.wait_for_selector("text=Vos notes sont enregistrées.")
            snap(f"member-scores-{username}")
        sign_out(page)

    # the payer decides; the record is public
    _sign_in(page, base, "payeur", password["payeur"])
    page.goto(f"{base}/calls/aap-2027")
    page.get_by_label("AEMO renforcée, Horizon Familles").check()
    page.get_by_label("Motifs (publiés)").fill("Projet le mieux noté, conforme aux objectifs.")
    page.get_by_role("button", name="Enregistrer la décision").click()
    page.wait_for_url(f"{base}/calls/aap-2027/record")
    sign_out(page)
    page.goto(f"{base}/calls/aap-2027/record")
    recusals = page.locator("#record-recusals").inner_text()
    assert "Benevole" in recusals and "demo-benevole" not in recusals  # a member by their name, not their id
    assert "inscrit dans la composition du comité" in recusals  # where the interest was recorded
    assert "Projet le mieux noté" in page.locator("#record-decision").inner_text()
    assert "7,20" in page.locator("#record-results").inner_text()
    assert "Jeanne Martin" not in page.content()
    snap("public-record")

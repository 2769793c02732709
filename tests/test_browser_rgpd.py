"""In Debian's Chromium (Playwright): the operator opens the contract's "Données personnelles" tab,
records a consent withdrawal (an unknown case number is refused with what to do), logs an access
request and downloads the export, logs an erasure request and grants it: the person's rows are gone
and the audit still holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from temoin.services import evaluations as ev
from temoin.services.governance import verify_audit
from temoin.services.requests import list_requests
from temoin.settings import Settings
from test_browser_web import C, page, served, sign_in  # noqa: F401 (fixtures)
from test_web_support import Site

pytestmark = pytest.mark.browser


def _cohort(site: Site, tmp: Path) -> list[str]:
    path = tmp / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=11, settings=Settings())
    frame = pd.read_csv(path, dtype=str, keep_default_na=False).head(60)
    frame.to_csv(path, index=False)
    ev.import_participants(site.engine, C, path, actor="test", settings=Settings())
    return [str(i) for i in frame.loc[frame["consent"] == "True", "participant_id"]]


def test_the_operator_records_a_withdrawal_answers_an_access_and_an_erasure_request(
        served: tuple[str, Site], page: Any, tmp_path: Path) -> None:  # noqa: F811 (fixtures)
    base, site = served
    people = _cohort(site, tmp_path)
    sign_in(page, base, site, "operateur")
    page.goto(f"{base}/contracts/{C}")
    page.get_by_role("link", name="Données personnelles").click()
    page.wait_for_url(f"{base}/contracts/{C}/rgpd")

    form = page.locator("#withdrawal-form")
    form.get_by_label("Numéro de dossier de la personne").fill("ASE-inconnu")
    form.get_by_label("Date du retrait").fill("2026-02-03")
    form.get_by_role("button", name="Enregistrer le retrait").click()
    error = page.locator("#rgpd-error").inner_text()
    assert "Aucun participant de aemo-renforcee n'a cet identifiant." in error and "numéro de dossier" in error

    form = page.locator("#withdrawal-form")
    form.get_by_label("Numéro de dossier de la personne").fill(people[0])
    form.get_by_label("Date du retrait").fill("2026-02-03")
    form.get_by_role("button", name="Enregistrer le retrait").click()
    assert page.locator("#rgpd-done").inner_text().startswith("Retrait enregistré au 3 février 2026")
    page.screenshot(path=str(tmp_path / "operator-withdrawal.png"), full_page=True)

    form = page.locator("#request-form")
    form.get_by_label("Numéro de dossier de la personne").fill(people[1])
    form.get_by_label("Demande").select_option("access")
    form.get_by_role("button", name="Enregistrer la demande").click()
    assert "réponse due au plus tard le" in page.locator("#rgpd-done").inner_text()
    assert "accès" in page.locator("#requests").inner_text()

    form = page.locator("#access-form")
    form.get_by_label("Numéro de dossier de la personne").fill(people[1])
    with page.expect_download() as download:
        form.get_by_role("button", name="Télécharger l'export").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("Données détenues par Témoin à votre sujet") and "Votre dossier" in text
    assert people[1] not in text and "accès : reçue le" in text

    # a request received two months ago, not answered: on the operator's to-do list, first and marked
    form = page.locator("#request-form")
    form.get_by_label("Numéro de dossier de la personne").fill(people[3])
    form.get_by_label("Demande").select_option("rectification")
    form.get_by_label("Reçue le").fill((dt.date.today() - dt.timedelta(days=62)).isoformat())
    form.get_by_role("button", name="Enregistrer la demande").click()
    late = next(r for r in list_requests(site.engine, C) if r.kind.value == "rectification")
    page.goto(f"{base}/")
    items = page.locator("#todo li.todo-item")
    first = items.first
    assert first.get_attribute("data-kind") == "rights_request" and "overdue" in (first.get_attribute("class") or "")
    assert " ".join(first.inner_text().split()).startswith(f"En retard Répondre à la demande n° {late.id} (rectification, reçue le")
    access = page.locator("#todo li.todo-item", has_text="(accès, reçue le")
    assert "En retard" not in access.inner_text() and "d'ici le" in access.inner_text()
    page.screenshot(path=str(tmp_path / "operator-todo-requests.png"), full_page=True)
    first.get_by_role("link", name="Aller à la page").click()
    page.wait_for_url(f"{base}/contracts/{C}/rgpd#request-{late.id}")
    row = page.locator(f"#request-{late.id}")
    assert row.is_visible() and "en retard" in row.inner_text()

    form = page.locator("#request-form")
    form.get_by_label("Numéro de dossier de la personne").fill(people[2])
    form.get_by_label("Demande").select_option("erasure")
    form.get_by_role("button", name="Enregistrer la demande").click()
    row = page.locator("#requests tr", has_text="effacement")
    assert "Y faire droit efface" in row.inner_text()
    row.get_by_label("Réponse").select_option("done")
    row.get_by_role("button", name="Enregistrer la réponse").click()
    assert "les données de la personne ont été effacées" in page.locator("#rgpd-done").inner_text()
    assert "données effacées" in page.locator("#requests").inner_text()
    page.screenshot(path=str(tmp_path / "operator-erasure.png"), full_page=True)

    form = page.locator("#access-form")  # the erased person is no longer found
    form.get_by_label("Numéro de dossier de la personne").fill(people[2])
    form.get_by_role("button", name="Télécharger l'export").click()
    assert "n'a cet identifiant" in page.locator("#rgpd-error").inner_text()
    status = verify_audit(site.engine)
    assert status.whole and len(status.erasures) == 1

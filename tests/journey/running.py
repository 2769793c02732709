"""The whole-chain journey, part 2: a signed contract, every role accepted, run to its public report
in the browser, each person signed in as themselves and nothing done behind the browser's back.

The operator fills the downloaded participants template (rows from a seeded generator) and uploads
it; the evaluator randomises the cohort and locks the plan; the operator learns who is in the
programme group (to serve them) from the data page; the evaluator uploads both waves, in which the
programme avoids placement days, and runs the locked plan (the payment decision read in words); the
payer records the settlement (its approval shown disabled, with why, until certification); the
evaluator certifies; the payer approves; the observer acknowledges; the investor reads it; an
anonymous visitor opens the public registry, the contract's public page and its public PDF.
Each person's to-do list is read at each step. A screenshot per page per role:
``<nn>-<role>-<page>.png`` in ``shots``.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from journey.browser import shot, sign_in, sign_out, todo_texts
from journey.state import JourneyState

SEED = 20261203
PEOPLE = 600
EFFECT = {"m12": 70.0, "m24": 110.0}
"""Placement days the programme avoids, per wave (the contract's threshold is 10 days)."""
TERRITORIES = ["lille", "roubaix-tourcoing", "dunkerque", "valenciennes"]


def _page_of(browser: Any) -> Any:
    """A page to drive: ``browser`` is a Playwright Page, or a Browser/BrowserContext to open one in."""
    return browser if hasattr(browser, "goto") else browser.new_page()


def _download(page: Any, click: Any, folder: Path) -> Path:
    try:
        with page.expect_download(timeout=15_000) as info:
            click()
    except Exception as exc:  # the page answered instead of a file: say what it says
        raise AssertionError(f"no file downloaded; the page says: {page.locator('main').inner_text()[:1500]}") from exc
    path = folder / info.value.suggested_filename
    info.value.save_as(str(path))
    return path


def _imported(page: Any) -> str:
    """The import's answer on the data page: its text once saved (fails with the problems listed if refused)."""
    page.locator("#import-ok, #row-errors").first.wait_for()
    answer = page.locator("#data-result").inner_text()
    assert page.locator("#import-ok").count() == 1, answer
    return answer


def _template_header(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    return next(csv.reader(io.StringIO(text), delimiter=";"))


def participants_csv(header: list[str], folder: Path) -> tuple[Path, dict[str, dict[str, str]]]:
    """The operator's referrals, written under the template's own header (its French labels): a
    seeded generator; 5 % decline, everyone else consents and is enrolled. Returns the file and each
    enrolled person's attributes (what the evaluator's extraction will depend on).

    The rows fit a contract adapted from the ``aemo-renforcee`` example (its population's attributes,
    eligibility and the placement-days indicators); another contract's template fails here, naming
    the columns this generator does not fill."""
    rng = np.random.default_rng(SEED)
    rows, enrolled = [], {}
    for i in range(PEOPLE):
        age = int(rng.integers(0, 18))
        band = "0-5" if age <= 5 else "6-11" if age <= 11 else "12-17"
        agrees = rng.random() > 0.05
        person = {
            "identifiant du participant": f"D-2026-{i + 1:04d}", "consentement": "oui" if agrees else "non",
            "inscrit": "oui" if agrees else "non", "Âge": str(age), "Tranche d'âge": band,
            "Sexe": "F" if rng.random() < 0.47 else "M",
            "Niveau de risque": "très élevé" if rng.random() < 0.38 else "élevé",
            "Territoire": str(rng.choice(TERRITORIES)), "Placement antérieur": "oui" if rng.random() < 0.3 else "non",
            "Famille monoparentale": "oui" if rng.random() < 0.4 else "non",
            "Nombre de frères et sœurs": str(int(rng.integers(0, 5))),
            "date d'orientation": f"2025-{1 + i % 6:02d}-{1 + i % 27:02d}", "origine de l'orientation": "CRIP",
            "date d'inscription": f"2025-{1 + i % 6:02d}-{2 + i % 27:02d}" if agrees else "",
            "date du consentement": f"2025-{1 + i % 6:02d}-{2 + i % 27:02d}" if agrees else "",
            "consentement à la recherche": "oui" if agrees else "", "consentement de l'autorité parentale": "oui" if agrees else "",
        }
        missing = set(header) - set(person)
        assert not missing, f"the template asks for columns this generator does not fill: {missing}"
        rows.append([person[h] for h in header])
        if agrees:
            enrolled[person["identifiant du participant"]] = person
    path = folder / "participants.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(header)
        w.writerows(rows)
    return path, enrolled


def wave_csv(header: list[str], wave: str, people: dict[str, dict[str, str]], groups: dict[str, str],
             folder: Path) -> Path:
    """The evaluator's extraction of the case records for ``wave``: placement days depend on the
    risk and a prior placement, and people the programme served spend EFFECT[wave] fewer days
    placed (seeded noise; 3 % of records not found, left out)."""
    rng = np.random.default_rng([SEED, int(wave.removeprefix("m"))])
    limit = 30.4 * int(wave.removeprefix("m"))
    out = []
    for ident, p in people.items():
        if rng.random() < 0.03:
            continue
        base = 120 + 90 * (p["Niveau de risque"] == "très élevé") + 60 * (p["Placement antérieur"] == "oui")
        days = base * int(wave.removeprefix("m")) / 12 + rng.normal(0, 150)
        if groups[ident] == "programme":
            days -= EFFECT[wave]
        days = float(min(max(round(days), 0), limit))
        out.append({"identifiant du participant": ident, "Journées de placement": str(int(days)),
                    "Au moins un placement": "oui" if days > 0 else "non"})
    path = folder / f"vague-{wave}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(header)
        w.writerows([[row[h] for h in header] for row in out])
    return path


def _euros(text: str) -> float:
    """« 123 456,78 € » → 123456.78."""
    found = re.search(r"([\d\u202f\u00a0 ]+(?:,\d+)?)\s*€", text)
    assert found, text
    return float(found.group(1).replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace(",", "."))


def running_to_public_report(browser: Any, base_url: str, shots: Path, state: JourneyState) -> None:
    """From a signed contract with every role accepted (``state``) to its public report."""
    page = _page_of(browser)
    base, c, who = base_url, state.contract_id, state.accounts
    files = shots.parent / "journey-files"
    files.mkdir(parents=True, exist_ok=True)

    # --- the operator: the referred people, on the downloaded template -------------------------------------
    sign_in(page, base, who["operator"])
    todo = todo_texts(page, base)
    assert any("Importer les personnes orientées" in t for t in todo), todo
    shot(page, shots, "operator", "a-faire")
    page.locator(f"#todo .todo-item[data-kind=participants][data-contract='{c}']").get_by_role(
        "link", name="Aller à la page").click()
    page.wait_for_url(f"{base}/contracts/{c}/data")
    template = _download(page, lambda: page.locator("section", has_text="Participants").get_by_role(
        "link", name="CSV").click(), files)
    participants, people = participants_csv(_template_header(template), files)
    page.get_by_label("Fichier").first.set_input_files(str(participants))
    page.get_by_role("button", name="Vérifier et importer").first.click()
    assert f"{PEOPLE} lignes" in _imported(page)
    shot(page, shots, "operator", "participants-importes")
    assert not any("Importer les personnes orientées" in t for t in todo_texts(page, base))
    sign_out(page)

    # --- the evaluator: randomisation, then the plan locked before any outcome -------------------------------
    sign_in(page, base, who["evaluator"])
    todo = todo_texts(page, base)
    assert any(f"Tirer les groupes au sort : {len(people)} personnes inscrites" in t for t in todo), todo
    assert any("Verrouiller le plan d'analyse" in t for t in todo), todo
    shot(page, shots, "evaluator", "a-faire-tirage")
    page.goto(f"{base}/contracts/{c}/evaluation")
    page.get_by_role("button", name="Randomiser la cohorte").click()
    page.get_by_role("button", name="Verrouiller le plan d'analyse").click()
    page.locator("#plan-locked").wait_for()
    shot(page, shots, "evaluator", "plan-verrouille")
    assert not any("Tirer les groupes" in t or "Verrouiller" in t for t in todo_texts(page, base))
    sign_out(page)

    # --- the operator learns whom to serve: the groups of their own case numbers ----------------------------
    sign_in(page, base, who["operator"])
    page.goto(f"{base}/contracts/{c}/data")
    page.locator("#groups-file").set_input_files(str(participants))
    got = _download(page, lambda: page.get_by_role("button", name="Obtenir les groupes").click(), files)
    listed = list(csv.reader(io.StringIO(got.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert listed[0] == ["identifiant du participant", "groupe"], listed[0]
    groups = {row[0]: row[1] for row in listed[1:]}
    assert len(groups) == PEOPLE, "one row per case number sent"
    assert {i for i, g in groups.items() if g in ("programme", "comparaison")} == set(people), "the enrolled are drawn"
    assert {g for i, g in groups.items() if i not in people} == {"non inscrit"}
    shares = sum(g == "programme" for g in groups.values()) / len(people)
    assert 0.4 < shares < 0.6, shares
    shot(page, shots, "operator", "groupes")
    sign_out(page)

    # --- the evaluator: both waves, then the locked plan run ------------------------------------------------
    sign_in(page, base, who["evaluator"])
    page.goto(f"{base}/contracts/{c}/data")
    header = _template_header(_download(page, lambda: page.locator("section", has_text="Vague de suivi").get_by_role(
        "link", name="CSV").click(), files))
    for wave in ("m12", "m24"):
        page.goto(f"{base}/contracts/{c}/data")
        page.get_by_label("Vague").select_option(wave)
        page.locator("#wave-file").set_input_files(str(wave_csv(header, wave, people, groups, files)))
        page.locator("section", has_text="Vague de suivi").get_by_role("button", name="Vérifier et importer").click()
        _imported(page)
    shot(page, shots, "evaluator", "vagues-importees")
    assert any("Exécuter le plan verrouillé" in t and "Pas encore" not in t for t in todo_texts(page, base))
    page.goto(f"{base}/contracts/{c}/evaluation")
    page.get_by_role("button", name="Exécuter le plan verrouillé").click()
    page.locator("#results").wait_for()
    results = page.locator("#results").inner_text()
    assert "Journées de placement" in results
    shot(page, shots, "evaluator", "evaluation")
    assert not any("Exécuter le plan" in t for t in todo_texts(page, base))
    sign_out(page)

    # --- the payer records the settlement; approving waits for the certification ---------------------------
    sign_in(page, base, who["payer"])
    todo = todo_texts(page, base)
    assert any("Enregistrer le règlement" in t for t in todo), todo
    page.locator(f"#todo .todo-item[data-kind=settle][data-contract='{c}']").get_by_role(
        "link", name="Aller à la page").click()
    page.wait_for_url(f"{base}/contracts/{c}/settlement")
    page.get_by_role("button", name="Enregistrer un règlement à partir de la dernière évaluation").click()
    page.locator("#settlements").wait_for()
    blocked = page.get_by_role("button", name="Approuver le paiement")
    assert blocked.is_disabled()
    assert "en attente de la certification par l'évaluateur" in page.locator("#settlements").inner_text()
    explained = page.locator("#explained").inner_text()
    assert "période" in explained.lower(), explained
    shot(page, shots, "payer", "reglement-en-attente")
    todo = todo_texts(page, base)
    assert any("Approuver le paiement du règlement" in t and "Pas encore" in t for t in todo), todo
    assert any("en attente de la certification" in t for t in todo), todo
    assert not any("Enregistrer le règlement" in t for t in todo), todo
    shot(page, shots, "payer", "a-faire-bloque")
    sign_out(page)

    # --- the evaluator certifies ---------------------------------------------------------------------------
    sign_in(page, base, who["evaluator"])
    todo = todo_texts(page, base)
    assert any("Certifier les résultats du règlement" in t for t in todo), todo
    shot(page, shots, "evaluator", "a-faire")
    page.get_by_role("link", name="Aller à la page").first.click()
    page.wait_for_url(f"{base}/contracts/{c}/settlement")
    page.get_by_role("button", name="Certifier les résultats").click()
    page.locator("#settlements").wait_for()
    assert "certification par l'évaluateur" in page.locator("#settlements tbody tr").first.inner_text()
    shot(page, shots, "evaluator", "certification")
    sign_out(page)

    # --- the payer approves ----------------------------------------------------------------------------------
    sign_in(page, base, who["payer"])
    todo = todo_texts(page, base)
    assert any("Approuver le paiement du règlement" in t and "Pas encore" not in t for t in todo), todo
    page.goto(f"{base}/contracts/{c}/settlement")
    page.get_by_role("button", name="Approuver le paiement").click()
    row = page.locator("#settlements tbody tr").first.inner_text()
    assert "approbation du payeur" in row, row
    assert _euros(row) > 0, row
    shot(page, shots, "payer", "approbation")
    sign_out(page)

    # --- the observer acknowledges ---------------------------------------------------------------------------
    sign_in(page, base, who["observer"])
    todo = todo_texts(page, base)
    assert any("Prendre connaissance du règlement" in t for t in todo), todo
    shot(page, shots, "observer", "a-faire")
    page.goto(f"{base}/contracts/{c}/settlement")
    page.get_by_role("button", name=re.compile("J'ai pris connaissance du règlement")).click()
    page.wait_for_selector("text=prise de connaissance enregistrée")
    shot(page, shots, "observer", "prise-de-connaissance")
    assert not any("Prendre connaissance" in t for t in todo_texts(page, base))
    sign_out(page)

    # --- the investor reads where the contract stands ----------------------------------------------------------
    sign_in(page, base, who["investor"])
    assert todo_texts(page, base) == []
    page.goto(f"{base}/contracts/{c}/settlement")
    assert _euros(page.locator("#settlements tbody tr").first.inner_text()) > 0
    shot(page, shots, "investor", "reglement")
    sign_out(page)

    # --- an anonymous visitor: the registry, the contract's public page, its public PDF ---------------------
    page.goto(f"{base}/public")
    shot(page, shots, "public", "registre")
    page.locator(f"#registry a[href='/public/contracts/{c}']").click()
    page.wait_for_url(f"{base}/public/contracts/{c}")
    paid = page.locator("#public-paid").inner_text()
    assert "approuvé par le payeur" in paid and _euros(paid) > 0, paid
    assert "sont dus pour la période" in page.locator("#explained").inner_text()
    shot(page, shots, "public", "contrat")
    page.goto(f"{base}/public")
    pdf = _download(page, lambda: page.locator(f"#pdf-{c}").click(), files)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm") is None:
        from conftest import missing_component

        missing_component("pdftoppm (Debian package poppler-utils) is not installed")
    else:
        subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", "-png", str(pdf), str(files / "pdf")],
                       check=True)
        from PIL import Image

        image = Image.open(next(files.glob("pdf*.png"))).convert("L")
        assert sum(image.histogram()[:128]) > 0.005 * image.width * image.height  # text, not an empty page

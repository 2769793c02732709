"""A running contract's steps in the browser (issue 16, items 4 and 6): the payer's budget lines
uploaded (CSV or XLSX, from a template; every problem listed at once; nothing saved on a refusal),
a locked plan amended with its reason, a settlement corrected by a new one that replaces it (never
two in force for the same periods), and the observer's acknowledgement. Every refusal answers on
the page where the action was, in the reader's language; roles and CSRF are checked."""

from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, text

from temoin.governance.budget import COLUMNS
from temoin.services import evaluations
from temoin.services.contracts import import_contract
from temoin.services.settlements import list_settlements, run_settlement
from temoin.settings import Settings
from temoin.store import make_engine, migrate
from test_web_support import Site, csrf_of, make_site

C = "aemo-renforcee"
EXAMPLE = Path(__file__).resolve().parents[1] / "src" / "temoin" / "examples" / "contracts" / "aemo-renforcee.yaml"
ALERT = re.compile(r'role="alert" id="([a-z-]+)"><strong>([^<]+)</strong>([^<]*)')


def _text(r: Any) -> str:
    return html.unescape(r.text)


def _alert(r: Any, where: str) -> tuple[str, str]:
    """(message, hint) of the refusal shown in box ``where`` on the page."""
    found = {m.group(1): (html.unescape(m.group(2)), html.unescape(m.group(3)).strip()) for m in ALERT.finditer(r.text)}
    assert where in found, r.text[:3000]
    return found[where]


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


# --- budget lines -----------------------------------------------------------------------------------


def _post_budget(c: TestClient, name: str, content: bytes, token: str | None = None) -> Any:
    token = token if token is not None else csrf_of(c, f"/contracts/{C}/budget")
    return c.post(f"/contracts/{C}/budget/upload", data={"csrf_token": token},
                  files={"file": (name, content, "application/octet-stream")})


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def test_only_the_payer_sees_and_uses_the_budget_upload(site: Site) -> None:
    payer = site.signed_in("payer")
    page = payer.get(f"/contracts/{C}/budget")
    assert page.status_code == 200 and 'id="budget-form"' in page.text and "Importer vos lignes budgétaires" in _text(page)
    for role in ("admin", "operator", "investor", "evaluator", "observer"):
        c = site.signed_in(role)
        assert 'id="budget-form"' not in c.get(f"/contracts/{C}/budget").text, role
        assert _post_budget(c, "b.csv", _csv([]), csrf_of(c, "/account")).status_code == 403, role
    assert _post_budget(payer, "b.csv", _csv([]), token="forged").status_code == 403


def test_templates_hold_the_columns_and_the_contracts_payer(site: Site) -> None:
    observer = site.signed_in("observer")  # anyone who reads the contract may look at them
    r = observer.get(f"/contracts/{C}/budget/template.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = [ln for ln in r.text.splitlines() if not ln.startswith("#")]
    assert lines[0] == ",".join(COLUMNS) and all(ln.startswith("dept-nord,") for ln in lines[1:]) and len(lines) == 3
    r = observer.get(f"/contracts/{C}/budget/template.xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == list(COLUMNS) and sheet["A2"].value == "dept-nord"
    assert observer.get(f"/contracts/{C}/budget/template.pdf").status_code == 404


def test_a_wrong_file_lists_every_problem_and_saves_nothing_in_the_readers_language(site: Site) -> None:
    payer = site.signed_in("payer")
    rows_before = _count(site.engine, "SELECT COUNT(*) FROM gov_budget_lines")
    ledger_before = _count(site.engine, "SELECT COUNT(*) FROM audit_ledger")
    bad = _csv([["dept-nord", "ASE", "20x5", "ASE-PLACEMENT", "Placements", "Placements", "true", "1000.00", "100"],
                ["dept-pas-de-calais", "ASE", "2025", "ASE-X", "X", "X", "true", "1000.00", "100"],
                ["dept-nord", "ASE", "2025", "ASE-Y", "Y", "Y", "peut-être", "-5", "100"]])
    r = _post_budget(payer, "budget.csv", bad)
    assert r.status_code == 422
    message, _ = _alert(r, "budget-error")
    assert message == "Le fichier budgétaire budget.csv est refusé (4 problème(s)) ; rien n'a été importé."
    problems = re.findall(r"<tr><td class=\"num\">(\d+)</td><td><code>([a-z_]+)</code></td><td>([^<]+)</td>",
                          r.text.split('id="budget-problems"', 1)[1])
    assert [(int(line), column) for line, column, _ in problems] == [(2, "year"), (3, "payer"), (4, "mandatory"),
                                                                   (4, "amount")]
    assert "« dept-pas-de-calais » n'est pas un payeur de ce contrat." in html.unescape(problems[1][2])
    assert _count(site.engine, "SELECT COUNT(*) FROM gov_budget_lines") == rows_before
    assert _count(site.engine, "SELECT COUNT(*) FROM audit_ledger") == ledger_before
    english = site.signed_in("payer", lang="en")
    r = _post_budget(english, "budget.csv", bad)
    assert r.status_code == 422 and "Payer 'dept-pas-de-calais' is not a payer of this contract." in _text(r)
    r = english.post(f"/contracts/{C}/budget/upload", data={"csrf_token": csrf_of(english, f"/contracts/{C}/budget")})
    assert r.status_code == 422 and _alert(r, "budget-error")[0] == "No file chosen."
    r = _post_budget(english, "budget.pdf", b"%PDF-1.4")
    assert r.status_code == 422 and 'id="budget-error"' in r.text


def test_a_good_workbook_is_imported_whole_with_its_ledger_entry(site: Site) -> None:
    payer = site.signed_in("payer")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    sheet.append(["dept-nord", "ASE", 2031, "ASE-PLACEMENT", "Placements", "Placements", "true", 401000000, 112.5])
    sheet.append(["dept-nord", "ASE", 2031, "ASE-PREV", "Prévention", "Prevention", "false", 12000000.5, 112.5])
    out = io.BytesIO()
    book.save(out)
    before = _count(site.engine, "SELECT COUNT(*) FROM gov_budget_lines")
    r = _post_budget(payer, "budget-2031.xlsx", out.getvalue())
    assert r.status_code == 200, r.text
    assert "2 lignes budgétaires importées (2 nouvelles, 0 remplacées), années 2031 à 2031." in _text(r)
    assert _count(site.engine, "SELECT COUNT(*) FROM gov_budget_lines") == before + 2
    with site.engine.connect() as conn:
        amount = conn.execute(text("SELECT amount FROM gov_budget_lines WHERE year = 2031 AND code = 'ASE-PREV'")).scalar_one()
        entry = conn.execute(text("SELECT contract_id, actor FROM audit_ledger WHERE event = 'budget.imported' ORDER BY seq DESC")).first()
    assert str(amount) in ("12000000.5", "12000000.50") and tuple(entry) == (C, "web:payeur")  # type: ignore[arg-type]


# --- plan amendment ---------------------------------------------------------------------------------


def _amend(c: TestClient, reason: str) -> Any:
    return c.post(f"/contracts/{C}/plan/amend", data={"csrf_token": csrf_of(c, f"/contracts/{C}/evaluation"),
                                                       "reason": reason}, follow_redirects=False)


def test_a_plan_amendment_needs_a_reason_and_a_changed_plan_then_shows_on_the_evaluation_page(
        site: Site, tmp_path: Path) -> None:
    evaluations.lock_plan(site.engine, C, actor="test")
    evaluator = site.signed_in("evaluator")
    page = evaluator.get(f"/contracts/{C}/evaluation")
    assert 'id="plan-amend-form"' in page.text and 'id="plan-amend-nothing"' in page.text
    r = _amend(evaluator, "  ")
    assert r.status_code == 422 and _alert(r, "plan-amend-error") == (
        "Un amendement doit donner sa raison.", "Indiquez la raison de l'amendement.")
    r = _amend(evaluator, "Effet minimal revu")
    assert r.status_code == 409 and "Effet minimal revu" in r.text  # what was typed is kept
    assert "temoin" not in _alert(r, "plan-amend-error")[1]
    assert site.signed_in("investor").post(f"/contracts/{C}/plan/amend", data={
        "csrf_token": csrf_of(site.signed_in("investor"), "/account"), "reason": "x"}).status_code == 403
    changed = tmp_path / "aemo.yaml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace("minimum_effect: 10", "minimum_effect: 12"),
                       encoding="utf-8")
    import_contract(site.engine, changed, actor="test")
    r = _amend(evaluator, "Effet minimal revu après l'étude de coûts")
    assert r.status_code == 303 and r.headers["location"] == f"/contracts/{C}/evaluation#plan"
    page = site.signed_in("observer").get(f"/contracts/{C}/evaluation")
    amendments = _text(page).split('id="amendments"', 1)[1].split("</table>", 1)[0]
    assert "Effet minimal revu après l'étude de coûts" in amendments and "minimum_effect" in amendments
    assert _count(site.engine, "SELECT COUNT(*) FROM audit_ledger WHERE event = 'plan.amended'") == 1
    english = site.signed_in("evaluator", lang="en")
    r = _amend(english, "again")
    assert r.status_code == 409 and "The contract's plan is the same as the plan in force." in _text(r)


# --- settlement: correction and acknowledgement ---------------------------------------------------------


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """A contract with its cohort, waves and evaluation recorded, and one settlement (SQLite)."""
    folder = tmp_path_factory.mktemp("running")
    engine = make_engine(f"sqlite:///{folder / 'r.db'}")
    migrate(engine)
    site = make_site(engine)
    settings = Settings()
    people = folder / "participants.csv"
    evaluations.generate_synthetic(None, C, people, settings=settings)
    evaluations.import_participants(engine, C, people, settings=settings, actor="test")
    evaluations.randomise_cohort(engine, C, actor="test")
    evaluations.lock_plan(engine, C, actor="test")
    for wave in ("m12", "m24"):
        path = folder / f"{wave}.csv"
        evaluations.generate_synthetic(engine, C, path, wave=wave, settings=settings)
        evaluations.import_outcomes(engine, C, wave, path, settings=settings, actor="test")
    evaluations.evaluate_contract(engine, C, actor="test")
    run_settlement(engine, C, actor="test")
    return site


def test_a_second_settlement_is_refused_on_the_page_and_a_correction_replaces_the_first(evaluated: Site) -> None:
    payer = site_payer = evaluated.signed_in("payer")
    token = csrf_of(site_payer, f"/contracts/{C}/settlement")
    (first,) = [r.id for r in list_settlements(evaluated.engine, C)]
    r = payer.post(f"/contracts/{C}/settlement/run", data={"csrf_token": token})
    assert r.status_code == 409
    message, hint = _alert(r, "settlement-error")
    # the same evaluation gives the same settlement: refused as a duplicate (the service's tests cover
    # other results for the same periods, refused as a second settlement in force)
    assert message == f"Ce règlement est déjà enregistré (n° {first}, mêmes entrées et mêmes montants)."
    assert hint == f"Consultez le n° {first} ; pour le corriger, remplacez-le par un nouveau, avec la raison."
    r = payer.post(f"/contracts/{C}/settlement/supersede", data={"csrf_token": token, "settlement_id": str(first),
                                                                 "reason": " "})
    assert r.status_code == 422 and _alert(r, "settlement-error")[0] == "Une correction doit donner sa raison."
    for role in ("investor", "observer", "evaluator"):
        other = evaluated.signed_in(role)
        assert other.post(f"/contracts/{C}/settlement/supersede", data={
            "csrf_token": csrf_of(other, "/account"), "settlement_id": str(first), "reason": "x"}).status_code == 403
    assert payer.post(f"/contracts/{C}/settlement/supersede", data={"settlement_id": str(first),
                                                                    "reason": "x"}).status_code == 403
    r = payer.post(f"/contracts/{C}/settlement/supersede", data={"csrf_token": token, "settlement_id": str(first),
                                                                 "reason": "Extraction ASE corrigée"},
                   follow_redirects=False)
    assert r.status_code == 303
    records = list_settlements(evaluated.engine, C)
    assert [(x.id, x.superseded_by) for x in records] == [(first, records[1].id), (records[1].id, None)]
    page = _text(payer.get(f"/contracts/{C}/settlement"))
    assert f"Le règlement n° {records[1].id} remplace le n° {first} : Extraction ASE corrigée" in page
    r = payer.post(f"/contracts/{C}/settlement/supersede", data={"csrf_token": token, "settlement_id": str(first),
                                                                 "reason": "encore"})
    assert r.status_code == 409 and f"déjà remplacé par le n° {records[1].id}" in _text(r)


def test_the_observer_acknowledges_a_settlement_in_the_browser(evaluated: Site) -> None:
    observer = evaluated.signed_in("observer")
    current = [r.id for r in list_settlements(evaluated.engine, C) if r.superseded_by is None][-1]
    page = observer.get(f"/contracts/{C}/settlement")
    assert f"J'ai pris connaissance du règlement n° {current}" in _text(page) and 'id="correct-form"' not in page.text
    token = csrf_of(observer, f"/contracts/{C}/settlement")
    assert observer.post(f"/contracts/{C}/settlement/acknowledge", data={"settlement_id": str(current)}).status_code == 403
    payer = evaluated.signed_in("payer")
    assert payer.post(f"/contracts/{C}/settlement/acknowledge", data={
        "csrf_token": csrf_of(payer, "/account"), "settlement_id": str(current)}).status_code == 403
    r = observer.post(f"/contracts/{C}/settlement/acknowledge", data={"csrf_token": token, "settlement_id": str(current),
                                                                      "comment": "Lu en comité de suivi."},
                      follow_redirects=False)
    assert r.status_code == 303
    page = _text(observer.get(f"/contracts/{C}/settlement"))
    assert f"Règlement n° {current} : prise de connaissance enregistrée." in page
    with evaluated.engine.connect() as conn:
        payload = conn.execute(text("SELECT payload FROM audit_ledger WHERE event = 'settlement.observer_acknowledgement'")).scalar_one()
    assert "Lu en comité de suivi." in payload and "union-assos" in payload
    english = evaluated.signed_in("observer", lang="en")
    r = english.post(f"/contracts/{C}/settlement/acknowledge", data={"csrf_token": csrf_of(english, f"/contracts/{C}/settlement"),
                                                                      "settlement_id": str(current)})
    assert r.status_code == 409 and _alert(r, "settlement-error")[0].startswith("Already recorded for this settlement")


def test_an_evaluation_step_refused_answers_on_the_evaluation_page(site: Site) -> None:
    """Item 7: locking twice is refused on the page, saying what to do in words, not with a command."""
    evaluator = site.signed_in("evaluator")
    token = csrf_of(evaluator, f"/contracts/{C}/evaluation")
    assert evaluator.post(f"/contracts/{C}/evaluation/lock-plan", data={"csrf_token": token},
                          follow_redirects=False).status_code == 303
    r = evaluator.post(f"/contracts/{C}/evaluation/lock-plan", data={"csrf_token": token})
    assert r.status_code == 409 and 'id="plan-amend-form"' in r.text  # the evaluation page, with the way forward
    message, hint = _alert(r, "evaluation-error")
    assert message.startswith("Le plan est déjà verrouillé")
    assert hint == "Pour le changer, enregistrez un amendement du plan avec sa raison."

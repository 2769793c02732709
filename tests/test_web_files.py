"""The files people fill in: templates in the reader's language (CSV, and XLSX with drop-down
lists, ranges and a notice sheet, read back with openpyxl), headers given by label or by stored
name, values matched without regard to case and accents (and the normalisation reported), ranges
enforced, and every problem of a file — header, rows, unknown participants — in one answer."""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from temoin.contract.model import Attribute
from temoin.evaluation.cohort_file import category_matches, normalise
from temoin.i18n import catalogue
from temoin.services import evaluations as ev
from temoin.services.contracts import get_contract
from temoin.settings import Settings
from temoin.store import session_scope
from temoin.store.cohorts import CohortRepository
from test_web_support import Site, csrf_of, make_site

C = "aemo-renforcee"
SETTINGS = Settings()
SRC = Path(__file__).resolve().parents[1] / "src" / "temoin"


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine)


def _upload(client, kind: str, name: str, content: bytes, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client, f"/contracts/{C}/data")
    return client.post(f"/contracts/{C}/data/{kind}", data={"csrf_token": token, **extra},
                       files={"file": (name, content, "application/octet-stream")})


def _synthetic(tmp: Path, wave: str | None = None, engine: Engine | None = None) -> list[dict[str, str]]:
    path = tmp / f"{wave or 'participants'}.csv"
    ev.generate_synthetic(engine, C, path, settings=SETTINGS, **({"wave": wave} if wave else {}))
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _csv(rows: list[dict[str, str]], header: list[str] | None = None, sep: str = ",") -> bytes:
    buf = io.StringIO()
    names = list(rows[0])
    w = csv.writer(buf, delimiter=sep)
    w.writerow(header or names)
    for r in rows:
        w.writerow([r[n] for n in names])
    return buf.getvalue().encode("utf-8")


def test_the_xlsx_template_has_labels_drop_down_lists_ranges_and_a_notice_sheet(site: Site) -> None:
    op = site.signed_in("operator")
    wb = load_workbook(io.BytesIO(op.get(f"/contracts/{C}/data/template/participants.xlsx").content))
    data, notice = wb.worksheets
    header = [c.value for c in data[1]]
    assert header[:3] == ["identifiant du participant", "consentement", "inscrit"]
    assert "Territoire" in header and "Nombre de frères et sœurs" in header and notice.title == "Mode d'emploi"
    column = {name: data.cell(row=1, column=i + 1).column_letter for i, name in enumerate(header)}
    rules = {str(r.sqref).split(":")[0]: r for r in data.data_validations.dataValidation}
    territory = rules[column["Territoire"] + "2"]
    assert territory.type == "list" and territory.formula1 == '"Lille,Roubaix-Tourcoing,Dunkerque,Valenciennes"'  # by their labels
    assert rules[column["consentement"] + "2"].formula1 == '"oui,non"'
    siblings = rules[column["Nombre de frères et sœurs"] + "2"]
    assert siblings.type == "decimal" and siblings.operator == "greaterThanOrEqual" and float(siblings.formula1) == 0
    assert str(siblings.sqref).endswith("5001")  # the rule covers the rows people fill in
    lines = {row[0].value: [c.value for c in row] for row in notice.iter_rows(min_row=2) if row[0].value}
    assert lines["Territoire"][1:3] == ["territory", "oui"] and "Lille, Roubaix-Tourcoing" in lines["Territoire"][4]
    assert lines["Nombre de frères et sœurs"][3] == "Un nombre, au moins 0."
    assert lines["date d'orientation"][2] == "non" and lines["date d'orientation"][5] == "2026-01-15"
    assert all(line[5] is not None for name, line in lines.items() if name in header[:3])  # an example for each
    en = load_workbook(io.BytesIO(op.get(f"/contracts/{C}/data/template/wave.xlsx", params={"lang": "en"}).content))
    wave, notes = en.worksheets
    assert [c.value for c in wave[1]] == ["participant identifier", "Placement days", "Placed at least once"]
    placed = {str(r.sqref).split(":")[0]: r for r in wave.data_validations.dataValidation}["C2"]
    assert placed.formula1 == '"yes,no,1,0"' and notes.title == "Notice"
    assert [c.value for c in notes[4]][:3] == ["Placed at least once", "placed_any", "no"]


def test_the_csv_template_names_columns_by_their_labels(site: Site) -> None:
    op = site.signed_in("operator")
    fr = op.get(f"/contracts/{C}/data/template/wave.csv").content.decode("utf-8-sig").strip()
    en = op.get(f"/contracts/{C}/data/template/wave.csv", params={"lang": "en"}).content.decode("utf-8-sig").strip()
    assert fr == "identifiant du participant;Journées de placement;Au moins un placement"
    assert en == "participant identifier,Placement days,Placed at least once"


def test_labels_as_headers_and_values_in_any_case_or_accent_are_read_and_reported(site: Site, tmp_path: Path) -> None:
    rows = _synthetic(tmp_path)
    contract = get_contract(site.engine, C).contract
    # French labels in any case, with or without accents, and stored names, mixed in one header
    labels = {a.name: a.label.fr for a in contract.population.attributes} | {
        "participant_id": "Identifiant du participant", "consent": "CONSENTEMENT", "enrolled": "Inscrit",
        "referral_date": "Date d'orientation", "referral_source": "referral_source", "enrolment_date": "date d’inscription",
        "synthetic": "synthetic", "siblings": "nombre de freres et soeurs"}
    for r in rows:
        r["territory"] = {"lille": "Lille", "dunkerque": "DUNKERQUE"}.get(r["territory"], r["territory"])
        r["consent"] = "Oui" if r["consent"] == "True" else "Non"
    op = site.signed_in("operator")
    r = _upload(op, "participants", "p.csv", _csv(rows, [labels[n] for n in rows[0]], sep=";"))
    assert r.status_code == 200, r.text[-1500:]
    # read as the allowed value, said in the reader's words (the category's label); « Lille » is the label itself
    assert "« DUNKERQUE » lu comme « Dunkerque »" in r.text and "« Lille » lu comme" not in r.text
    assert "CONSENTEMENT" not in r.text  # yes/no words are not reported: they mean what they say


def test_a_category_given_by_its_french_or_english_label_is_read_as_its_code(site: Site, tmp_path: Path) -> None:
    """« très élevé », « Very high », « TRES ELEVE » are very_high; « élevé » is high; each reported once
    in the reader's words, and the import stores the codes."""
    rows = _synthetic(tmp_path)
    written = {"very_high": ["très élevé", "Very high", "TRES ELEVE"], "high": ["élevé", "High"]}
    counts: dict[str, int] = {}
    for i, r in enumerate(rows):
        if r["risk_level"] in written:
            choices = written[r["risk_level"]]
            r["risk_level"] = choices[i % len(choices)]
            counts[r["risk_level"]] = counts.get(r["risk_level"], 0) + 1
    assert len(counts) == 5  # every way of writing it is in the file
    r = _upload(site.signed_in("operator"), "participants", "p.csv", _csv(rows))
    assert r.status_code == 200, r.text[-1500:]
    page = r.text.replace("&#39;", "'")
    reported = re.findall(r"<li>Niveau de risque : « ([^»]+) » lu comme « ([^»]+) » \((\d+) lignes?\)</li>", page)
    assert sorted(reported) == sorted([("Very high", "très élevé", str(counts["Very high"])),
                                       ("TRES ELEVE", "très élevé", str(counts["TRES ELEVE"])),
                                       ("High", "élevé", str(counts["High"]))])
    assert "« très élevé » lu comme" not in page and "« élevé » lu comme" not in page  # the reader's own words
    with session_scope(site.engine) as s:
        stored = {json.loads(p.attributes)["risk_level"] for p in CohortRepository(s).participants("aemo-renforcee")}
    assert stored == {"moderate", "high", "very_high"}


def test_a_label_two_categories_share_says_neither() -> None:
    attr = Attribute(name="x", label={"fr": "X", "en": "X"}, type="categorical", categories=["a", "b", "c"])
    matches = category_matches(attr, {"a": ["Bas", "low"], "b": ["bas"], "c": ["Élevé"]})
    assert matches == {"a": "a", "b": "b", "c": "c", "low": "a", "eleve": "c"}  # « bas » is a's and b's: neither


def test_a_negative_count_is_refused_and_so_is_a_number_of_the_wrong_type(site: Site, tmp_path: Path) -> None:
    rows = _synthetic(tmp_path)
    rows[0]["siblings"] = "-1"
    rows[1]["age"] = "douze"
    r = _upload(site.signed_in("operator"), "participants", "p.csv", _csv(rows))
    assert r.status_code == 422
    assert "valeur sous le minimum (0)" in r.text and "nombre attendu" in r.text


def test_every_problem_of_a_wave_file_in_one_answer(site: Site, tmp_path: Path) -> None:
    """An unknown column, a value out of range, a word for a number, and unknown participants: all
    listed at once (before, an unknown column hid the rows, and unknown participants came last)."""
    people = tmp_path / "people.csv"
    ev.generate_synthetic(None, C, people, settings=SETTINGS)
    ev.import_participants(site.engine, C, people, settings=SETTINGS)
    ev.randomise_cohort(site.engine, C, seed=1)
    rows = _synthetic(tmp_path, "m12", site.engine)
    for r in rows:
        r["commentaire"] = ""
        r["placed_any"] = {"1": "Oui", "0": "non", "1.0": "Oui", "0.0": "non"}.get(r["placed_any"], r["placed_any"])
    rows[0]["placement_days"] = "-3"
    rows[1]["placement_days"] = "beaucoup"
    rows[2]["placed_any"] = "2"
    rows[3]["participant_id"] = "INCONNU-1"
    rows[4]["participant_id"] = "INCONNU-2"
    ev_client = site.signed_in("evaluator")
    r = _upload(ev_client, "wave", "m12.csv", _csv(rows), wave="m12")
    assert r.status_code == 422
    table = r.text
    for expected in ("commentaire", "valeur sous le minimum (0)", "nombre attendu",
                     "valeur au-dessus du maximum (1)", "INCONNU-1", "INCONNU-2", "participant inconnu"):
        assert expected in table, expected
    api = ev_client.post(f"/api/v1/contracts/{C}/waves/m12", files={"file": ("m12.csv", _csv(rows), "text/csv")},
                         headers={"X-CSRF-Token": csrf_of(ev_client, f"/contracts/{C}/data")})
    listed = api.json()["error"]["rows"]
    assert [x["row"] for x in listed] == sorted(x["row"] for x in listed)
    assert {x["row"] for x in listed} == {1, 2, 3, 4, 5, 6} and api.json()["error"]["more"] == 0
    # fixed, the same file imports, and the 0/1 answers written as words are read and reported
    good = [r for r in rows if not r["participant_id"].startswith("INCONNU")][3:]
    for r in good:
        del r["commentaire"]
    ok = _upload(ev_client, "wave", "m12.csv", _csv(good), wave="m12")
    assert ok.status_code == 200, ok.text[-1200:]
    assert "Au moins un placement : « Oui » lu comme « 1 »" in ok.text


def test_header_matching_ignores_case_accents_and_separators() -> None:
    assert normalise("Date d'Inscription") == normalise("date_d'inscription") == "date d'inscription"
    assert normalise("Nombre de frères et sœurs") == normalise("nombre de freres et soeurs") == "nombre de freres et soeurs"
    assert normalise("date d’inscription") == normalise("date d'inscription")
    assert normalise("  Lille ") == normalise("LILLE") == "lille" and normalise("Évaluation") == "evaluation"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_words_of_the_files_are_in_the_catalogue(lang: str) -> None:
    """Every message the file checks and the templates say is in both catalogues."""
    used: set[str] = set()
    for name in ("services/cohort_columns.py", "services/cohort_templates.py", "evaluation/cohort_file.py"):
        for node in ast.walk(ast.parse((SRC / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if called in ("Msg", "t") and isinstance(node.args[0].value, str):
                    used.add(node.args[0].value)
    assert len(used) > 30
    missing = sorted(m for m in used if not catalogue(lang).get(m))
    assert not missing, missing

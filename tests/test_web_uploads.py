"""Data entry through the web: templates, row-level error reports with nothing saved, good files,
Latin-1 and Excel's semicolon CSV, refused files (too large, not a table, formulas), CSRF, other
contracts' identifiers; then the evaluator's and payer's steps up to an approved settlement."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, text

from temoin.services.evaluations import generate_synthetic
from temoin.settings import Settings
from test_web_support import Site, csrf_of, make_site

SETTINGS = Settings()  # as an entry point would pass them

C = "aemo-renforcee"


@pytest.fixture
def site(engine: Engine) -> Site:
    return make_site(engine)


@pytest.fixture
def small_site(sqlite_engine: Engine) -> Site:
    return make_site(sqlite_engine, max_upload_mb=1)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def _upload(client, kind: str, name: str, content: bytes, token: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post(f"/contracts/{C}/data/{kind}", data={"csrf_token": token, **extra},
                       files={"file": (name, content, "application/octet-stream")})


def _participants(tmp: Path) -> bytes:
    path = tmp / "participants.csv"
    generate_synthetic(None, C, path, settings=SETTINGS)
    return path.read_bytes()


def test_templates_carry_the_contract_columns(site: Site) -> None:
    op = site.signed_in("operator")
    csv_t = op.get(f"/contracts/{C}/data/template/participants.csv")
    assert csv_t.status_code == 200
    header = csv_t.content.decode("utf-8-sig").strip().split(";")  # Excel's French CSV: semicolons, a BOM
    assert header[:3] == ["identifiant du participant", "consentement", "inscrit"] and "Niveau de risque" in header
    xlsx = op.get(f"/contracts/{C}/data/template/wave.xlsx", params={"lang": "en"})
    ws = load_workbook(io.BytesIO(xlsx.content)).active
    from temoin.services.contracts import get_contract

    labels = [i.label.en for i in get_contract(site.engine, C).contract.indicators]
    assert [c.value for c in ws[1]] == ["participant identifier", *labels] and "Placement days" in labels


def test_bad_file_lists_rows_and_saves_nothing_then_good_file_saves_all(site: Site, tmp_path: Path) -> None:
    op = site.signed_in("operator")
    token = csrf_of(op, f"/contracts/{C}/data")
    good = _participants(tmp_path)
    lines = good.decode("utf-8").splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("risk_level")] = "extreme"
    bad = "\n".join([lines[0], lines[1], lines[2], ",".join(row), *lines[4:]]).encode()
    r = _upload(op, "participants", "bad.csv", bad, token)
    assert r.status_code == 422
    table = re.search(r'<table id="row-errors">.*?</table>', r.text, re.S)
    assert table and "<td class=\"num\">4</td>" in table.group(0) and "Niveau de risque" in table.group(0)
    assert "extreme" in table.group(0) and "rien n&#39;a été enregistré" in r.text
    assert _count(site.engine, "cohort_participants") == 0
    r = _upload(op, "participants", "good.csv", good, token)
    assert r.status_code == 200 and "Fichier importé : 1\u202f150 lignes enregistrées." in r.text
    assert _count(site.engine, "cohort_participants") == 1150


def test_latin1_semicolon_csv_and_xlsx_are_accepted(small_site: Site, tmp_path: Path) -> None:
    op = small_site.signed_in("operator")
    token = csrf_of(op, f"/contracts/{C}/data")
    lines = _participants(tmp_path).decode("utf-8").splitlines()
    head, rows = lines[0], lines[1:]
    semicolon = "\n".join(x.replace(",", ";") for x in [head, *rows[:40]]).encode("latin-1")
    r = _upload(op, "participants", "excel-fr.csv", semicolon, token)
    assert r.status_code == 200, r.text
    wb = Workbook()
    ws = wb.active
    for line in [head, *rows[40:80]]:
        ws.append(line.split(","))
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(op, "participants", "cohort.xlsx", buf.getvalue(), token)
    assert r.status_code == 200 and "40 lignes" in r.text
    assert _count(small_site.engine, "cohort_participants") == 80


def test_refused_files_get_a_clear_answer_never_a_500(small_site: Site, tmp_path: Path) -> None:
    op = small_site.signed_in("operator")
    token = csrf_of(op, f"/contracts/{C}/data")
    lines = _participants(tmp_path).decode("utf-8").splitlines()
    big = ("\n".join(lines) * 10).encode()
    assert len(big) > 1024 * 1024
    r = _upload(op, "participants", "big.csv", big, token)
    assert r.status_code == 413 and "Fichier trop volumineux (au plus 1 Mio)." in r.text
    r = _upload(op, "participants", "photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, token)
    assert r.status_code == 422 and "n&#39;est ni un fichier CSV ni un classeur XLSX" in r.text
    r = _upload(op, "participants", "fake.xlsx", b"not a zip at all", token)
    assert r.status_code == 422 and "ni un classeur XLSX" in r.text
    r = _upload(op, "participants", "binary.csv", b"a,b\x00c\n", token)
    assert r.status_code == 422
    head = lines[0].split(",")
    row = lines[1].split(",")
    row[head.index("referral_source")] = '=HYPERLINK("http://x")'
    r = _upload(op, "participants", "formula.csv", "\n".join([lines[0], ",".join(row)]).encode(), token)
    assert r.status_code == 422 and "formule refusée" in r.text
    wb = Workbook()
    ws = wb.active
    ws.append(head)
    ws.append([*lines[2].split(",")[:-1], None])
    ws.cell(row=2, column=len(head), value="=1+1")
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(op, "participants", "formula.xlsx", buf.getvalue(), token)
    assert r.status_code == 422 and "formule refusée" in r.text
    op.cookies.set("temoin_lang", "en")
    r = _upload(op, "participants", "photo.png", b"\x89PNG", token)
    assert "is neither a CSV file nor an XLSX workbook" in r.text
    assert _count(small_site.engine, "cohort_participants") == 0


def test_upload_refused_without_csrf_wrong_role_or_other_contract(small_site: Site, tmp_path: Path) -> None:
    content = _participants(tmp_path)
    op = small_site.signed_in("operator")
    r = _upload(op, "participants", "p.csv", content, "forged")
    assert r.status_code == 403 and "CSRF" in r.text
    ev = small_site.signed_in("evaluator")  # the evaluator imports waves, not the cohort
    r = _upload(ev, "participants", "p.csv", content, csrf_of(ev, f"/contracts/{C}/data"))
    assert r.status_code == 403
    other = small_site.signed_in("other investor")
    r = other.post(f"/contracts/{C}/data/participants", data={"csrf_token": csrf_of(other, "/account")},
                   files={"file": ("p.csv", content, "text/csv")})
    assert r.status_code == 403
    api = other.get(f"/contracts/{C}/data/template/participants.csv")
    assert api.status_code == 403
    assert _count(small_site.engine, "cohort_participants") == 0


def _figures(client) -> dict:  # type: ignore[no-untyped-def, type-arg]
    """The overview's key figures (the page and the API show the same ones)."""
    return client.get(f"/api/v1/contracts/{C}").json()["key_figures"]  # type: ignore[no-any-return]


def test_follow_a_contract_to_an_approved_settlement(site: Site, tmp_path: Path) -> None:
    op = site.signed_in("operator")
    assert {k: v for k, v in _figures(op).items() if k != "ledger_head"} == {"cohort": None, "impact": None, "settlement": None}
    assert "aucun participant enregistré pour l&#39;instant" in op.get(f"/contracts/{C}").text
    assert _upload(op, "participants", "p.csv", _participants(tmp_path),
                   csrf_of(op, f"/contracts/{C}/data")).status_code == 200
    referred = _count(site.engine, "cohort_participants")
    assert _figures(op)["cohort"]["referred"] == referred > 0  # the upload shows at once (a new ledger head)
    ev = site.signed_in("evaluator")
    tok = csrf_of(ev, f"/contracts/{C}/evaluation")
    for action in ("randomise", "lock-plan"):
        assert ev.post(f"/contracts/{C}/evaluation/{action}", data={"csrf_token": tok},
                       follow_redirects=False).status_code == 303
    with site.engine.connect() as conn:
        arms = dict(conn.execute(text("SELECT arm, count(*) FROM cohort_participants WHERE arm IS NOT NULL GROUP BY arm")).all())
    assert _figures(op)["cohort"]["randomised"] == {"treated": arms[1], "control": arms[0]}
    for wave in ("m12", "m24"):
        path = tmp_path / f"{wave}.csv"
        generate_synthetic(site.engine, C, path, wave=wave, settings=SETTINGS)
        r = _upload(ev, "wave", path.name, path.read_bytes(), tok, wave=wave)
        assert r.status_code == 200, r.text
    assert ev.post(f"/contracts/{C}/evaluation/evaluate", data={"csrf_token": tok},
                   follow_redirects=False).status_code == 303
    impact = _figures(op)["impact"]
    assert impact["indicator"] == "placement_days" and impact["wave"] == "m24" and impact["grade"]
    assert _figures(op)["cohort"]["last_wave"]["wave"] == "m24"
    page = ev.get(f"/contracts/{C}/evaluation")
    assert page.text.count("<svg") >= 3 and 'id="plan-locked"' in page.text and 'id="results"' in page.text
    observer = site.signed_in("observer")  # reads, never changes
    assert observer.post(f"/contracts/{C}/settlement/run", data={"csrf_token": csrf_of(observer, "/account")},
                         follow_redirects=False).status_code == 403
    payer = site.signed_in("payer")
    ptok = csrf_of(payer, f"/contracts/{C}/settlement")
    assert payer.post(f"/contracts/{C}/settlement/run", data={"csrf_token": ptok},
                      follow_redirects=False).status_code == 303
    # before certification the payer's "Approve" is shown disabled, with the reason (no form to post)
    sid = re.findall(r'id="why-approve-(\d+)"', payer.get(f"/contracts/{C}/settlement").text)[0]
    r = payer.post(f"/contracts/{C}/settlement/approve", data={"csrf_token": ptok, "settlement_id": sid})
    assert r.status_code == 409 and "avant la certification de l&#39;évaluateur" in r.text
    r = payer.post(f"/contracts/{C}/settlement/certify", data={"csrf_token": ptok, "settlement_id": sid})
    assert r.status_code == 403  # only the evaluator certifies
    assert ev.post(f"/contracts/{C}/settlement/certify", data={"csrf_token": tok, "settlement_id": sid},
                   follow_redirects=False).status_code == 303
    assert payer.post(f"/contracts/{C}/settlement/approve", data={"csrf_token": ptok, "settlement_id": sid},
                      follow_redirects=False).status_code == 303
    assert _figures(payer)["settlement"]["payer_approved"] is True
    assert "approuvé par le payeur" in payer.get(f"/contracts/{C}").text
    page = payer.get(f"/contracts/{C}/settlement").text
    assert "certification par l&#39;évaluateur : Ève" in page and "approbation du payeur : Élise" in page
    events = [e["event"] for e in payer.get(f"/api/v1/contracts/{C}/ledger").json()["entries"]]
    assert {"settlement.recorded", "settlement.evaluator_certification", "settlement.payer_approval"} <= set(events)
    pdf = payer.get(f"/contracts/{C}/report.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_app_built_with_its_own_secret_pseudonymises_with_that_secret(sqlite_engine: Engine, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings given to ``create_app`` are the ones used, not the environment's: participants
    uploaded through that app are keyed with the app's own pseudonymisation secret."""
    from temoin.evaluation.pseudonym import pseudonymise

    monkeypatch.setenv("TEMOIN_PSEUDONYM_SECRET", "the-environment-secret")
    own = "this-app-s-own-pseudonym-secret-of-enough-length"
    site = make_site(sqlite_engine, pseudonym_secret=own)
    op = site.signed_in("operator")
    content = _participants(tmp_path)
    r = _upload(op, "participants", "p.csv", content, csrf_of(op, f"/contracts/{C}/data"))
    assert r.status_code == 200, r.text[-500:]
    first_id = content.decode("utf-8").splitlines()[1].split(",")[0]
    with sqlite_engine.connect() as conn:
        keys = {row[0] for row in conn.execute(text("SELECT pkey FROM cohort_participants"))}
    assert pseudonymise(first_id, C, master=own) in keys
    assert pseudonymise(first_id, C, master="the-environment-secret") not in keys
    assert pseudonymise(first_id, C, master=Settings().secret_key) not in keys  # never the session secret


@pytest.mark.parametrize(("lang", "m12", "m24"), [("fr", "à 12 mois", "à 24 mois"), ("en", "at 12 months", "at 24 months")])
def test_the_wave_to_upload_is_chosen_by_its_label_and_sent_by_its_identifier(small_site: Site, lang: str, m12: str,
                                                                             m24: str) -> None:
    page = small_site.signed_in("evaluator", lang=lang).get(f"/contracts/{C}/data").text
    options = re.findall(r'<option value="([^"]+)">([^<]+)</option>', page.split('id="wave-id"', 1)[1].split("</select>")[0])
    assert options == [("m12", m12), ("m24", m24)]

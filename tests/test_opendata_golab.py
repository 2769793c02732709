"""GO Lab's INDIGO data as published: the bundled excerpt read whole (every file, every sub-table,
every value read or warned about), each known defect of real entry imported with its warning,
organisations and funds, a ZIP, and a newer download that updates instead of duplicating."""

from __future__ import annotations

import csv
import filecmp
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from temoin.i18n import Translator
from temoin.opendata.indigo_columns import RecordKind, flat_layout
from temoin.opendata.indigo_import import read_indigo
from temoin.opendata.indigo_records import FileUse
from temoin.opendata.registry import entry_from_indigo
from temoin.services.opendata import import_indigo, public_project, registry
from temoin.store import ledger, session_scope
from temoin.store.models.opendata import IndigoOrganisationRow, IndigoProjectRow

REPO = Path(__file__).resolve().parents[1]
EXCERPT = Path(__file__).parent / "data" / "golab-flat-excerpt"
SHARED = REPO.parent / "shared" / "indigo" / "golab-flat-excerpt"


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/indigo is not beside the clone")

def said(warning: object, lang: str) -> str:
    """An import warning as a reader of ``lang`` reads it."""
    return Translator(lang).render(warning.describe())  # type: ignore[attr-defined]

def test_the_bundled_excerpt_is_gos_labs_files_unchanged() -> None:
    for path in SHARED.rglob("*"):
        if path.is_file():
            assert filecmp.cmp(path, EXCERPT / path.relative_to(SHARED), shallow=False), path


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def test_every_file_of_the_excerpt_is_read_and_every_column_is_in_the_data_dictionary() -> None:
    res = read_indigo(EXCERPT)
    published = sorted(p.relative_to(EXCERPT).as_posix() for p in EXCERPT.rglob("*.csv"))
    assert [f.name for f in res.files] == published
    uses = {f.name: (f.use, f.table, f.rows) for f in res.files}
    assert uses["projects/projects.csv"] == (FileUse.MAIN, "", 5)
    assert uses["projects/pipelines.csv"] == (FileUse.NOT_IMPORTED, "", 0)
    tables = {f.table for f in res.files if f.use is FileUse.TABLE}
    assert tables == {n.stem.removeprefix("projects_") for n in (EXCERPT / "projects").glob("projects_*.csv")}
    for f in res.files:
        assert f.rows == len(_rows(EXCERPT / f.name)) - 1, f.name
    assert not [w for w in res.warnings if w.code in ("indigo.unknown_column", "indigo.unknown_table", "indigo.orphan_row")]
    assert [p.id for p in res.projects] == ["INDIGO-POJ-0001", "INDIGO-POJ-0002", "INDIGO-POJ-0121", "INDIGO-POJ-0122",
                                            "INDIGO-POJ-0218"]


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def test_every_value_of_the_excerpt_is_imported_or_named_in_a_warning() -> None:
    """Cell by cell, against the files themselves: the cleaned record holds the cell's value at the
    path its column names, or a warning names that file, row and column."""
    res = read_indigo(EXCERPT)
    projects = {p.id: p.data for p in res.projects}
    warned = {(w.file, w.row, w.field) for w in res.warnings}
    layout = flat_layout(RecordKind.PROJECT)
    checked = 0
    for f in res.files:
        if f.use not in (FileUse.MAIN, FileUse.TABLE):
            continue
        table = layout.main if f.use is FileUse.MAIN else layout.tables[f.table]
        header, *rows = _rows(EXCERPT / f.name)
        seen: Counter[str] = Counter()
        for n, cells in enumerate(rows, start=2):
            record = projects[cells[0]]
            if f.use is FileUse.TABLE:
                items = _at(record, table.path)
                assert len(items) == sum(1 for r in rows if r[0] == cells[0]), f"{f.name}: a row was lost"
                record = items[seen[cells[0]]]
                seen[cells[0]] += 1
            for column, cell in zip(header[1:], cells[1:], strict=True):
                if not cell.strip():
                    continue
                path = table.path_of(column)
                assert path is not None, column
                value = _at(record, path)
                same = value == cell.strip() or (isinstance(value, (int, float)) and _number(cell) == value)
                assert same or (f.name, n, column) in warned, f"{f.name} row {n} {column}: {cell!r} -> {value!r}"
                checked += 1
    assert checked > 900


def test_the_excerpts_defects_are_counted_and_named() -> None:
    res = read_indigo(EXCERPT)
    assert res.warnings_by_code() == {"indigo.bad_date": 4, "indigo.blank_role": 38, "indigo.return_as_fraction": 1,
                                      "indigo.return_stated_maximum": 2}
    w = {(x.file, x.row, x.field): x for x in res.warnings}
    bad = w[("projects/projects_results.csv", 3, "Period - Start - (Value)")]
    assert (bad.value, bad.code, bad.project) == ("2018-13", "indigo.bad_date", "INDIGO-POJ-0001")
    assert "month 13 does not exist" in said(bad, "en") and "mois 13 impossible" in said(bad, "fr")
    fraction = w[("projects/projects.csv", 2, "Overall project finance - Maximum potential return - (Value)")]
    assert (fraction.value, fraction.code) == ("0.066", "indigo.return_as_fraction")
    prose = w[("projects/projects_investments.csv", 19, "Maximum Potential Return - (Value)")]
    assert prose.code == "indigo.return_stated_maximum" and "12.5" in said(prose, "en")
    blank = w[("projects/projects_service_provisions.csv", 2, "Organisation Role Category - (Value)")]
    assert blank.code == "indigo.blank_role" and blank.value == ""
    # what was read: the stated maximum, the fraction as a percentage, dates as written
    sticking = next(p for p in res.projects if p.id == "INDIGO-POJ-0218")
    assert sticking.data["investments"][0]["maximum_potential_return"]["value"] == 12.5
    assert entry_from_indigo(sticking.id, sticking.data).max_return_pct == 12.5
    buenos_aires = res.projects[0]
    assert entry_from_indigo(buenos_aires.id, buenos_aires.data).max_return_pct == pytest.approx(6.6)
    assert "start_date" not in buenos_aires.data["results"][1]["period"]  # "2018-13" dropped, its end kept
    assert buenos_aires.data["results"][1]["period"]["end_date"]["value"] == "2020-09"


def test_registry_terms_of_the_excerpt() -> None:
    entries = {p.id: entry_from_indigo(p.id, p.data) for p in read_indigo(EXCERPT).projects}
    reboot = entries["INDIGO-POJ-0121"]
    # jurisdiction blank: the one delivery country; 2018-10 to 2022-03
    assert (reboot.country, reboot.currency, reboot.duration_months, reboot.targeted_beneficiaries) == ("GB", "GBP", 41.0, 200)
    assert str(reboot.max_outcome_payment) == "2250000" and reboot.has_published_results is True
    assert entries["INDIGO-POJ-0002"].has_published_results is False
    assert entries["INDIGO-POJ-0001"].validation_method == "Pre-Post analysis"  # written "Pre-post analysis"
    assert entries["INDIGO-POJ-0218"].validation_method == "Historical comparison"
    assert not any(e.has_real_counterfactual for e in entries.values())


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def test_each_known_defect_imports_with_its_warning(tmp_path: Path) -> None:
    folder = tmp_path / "download"
    name, stage, end = "Impact Bond Name - (Value)", "Stage of Development - (Value)", "Dates - Anticipated end date of service provision - (Value)"
    country, sector = "Jurisdiction - Jurisdiction - (Value)", "Purpose and classifications - Policy sector - (Value)"
    money = "Overall project finance - Total investment commitment - Amount - Exact - (Value)"
    ret = "Overall project finance - Maximum potential return - (Value)"
    people = "Service and beneficiaries - Targeted number of unique service users or beneficiaries (total) - (Value)"
    _write(folder / "projects" / "projects.csv", [
        ["ID", name, stage, end, country, sector, money, ret, people, "Mystery column"],
        ["INDIGO-POJ-1", "One", "complete", "2018-13", "UK", "Social housing", "£1.3m", "13% if reconviction falls by 10%, less otherwise", "approx. 250", "x"],
        ["INDIGO-POJ-1", "One again", "", "", "", "", "", "", "", ""],
        ["", "Nameless", "", "", "", "", "", "", "", ""],
        ["INDIGO-POJ-2", "Two", "Implementation", "2021-06", "FR", "Homelessness", "1 200 000", "5", "lots", ""],
    ])
    _write(folder / "projects" / "projects_investments.csv", [
        ["Project ID", "Id", "Organisation Role Category - (Value)", "Maximum Potential Return - (Value)"],
        ["INDIGO-POJ-1", "investment1", "", "capital plus just over 3 % a year"],
        ["INDIGO-POJ-1", "investment1", "Impact Investor", "7"],
        ["INDIGO-POJ-9", "investment1", "Impact Investor", "7"],
    ])
    (folder / "projects" / "projects_outcome_metrics.csv").write_bytes(
        "Project ID,Id,Target Population - (Value)\nINDIGO-POJ-2,m1,Familles à risque\n".encode("cp1252"))
    _write(folder / "projects" / "projects_notes_of_mine.csv", [["Project ID", "x"], ["INDIGO-POJ-1", "y"]])
    _write(folder / "projects" / "pipelines.csv", [["ID", "Project Name - (Value)"], ["INDIGO-PIPE-1", "Not yet"]])
    res = read_indigo(folder)
    got = [(w.file.split("/")[-1], w.row, w.field, w.value, w.code) for w in res.warnings]
    assert got == [
        ("pipelines.csv", None, "", "", "indigo.pipeline_not_imported"),
        ("projects.csv", 1, "Mystery column", "", "indigo.unknown_column"),
        ("projects.csv", 2, stage, "complete", "indigo.code_normalised"),
        ("projects.csv", 2, end, "2018-13", "indigo.bad_date"),
        ("projects.csv", 2, country, "UK", "indigo.code_normalised"),
        ("projects.csv", 2, sector, "Social housing", "indigo.unknown_code"),
        ("projects.csv", 2, money, "£1.3m", "indigo.number_from_text"),
        ("projects.csv", 2, ret, "13% if reconviction falls by 10%, less otherwise", "indigo.ambiguous_return"),
        ("projects.csv", 2, people, "approx. 250", "indigo.number_from_text"),
        ("projects.csv", 3, "ID", "INDIGO-POJ-1", "indigo.duplicate_id"),
        ("projects.csv", 4, "ID", "", "indigo.missing_id"),
        ("projects.csv", 5, money, "1 200 000", "indigo.number_from_text"),
        ("projects.csv", 5, people, "lots", "indigo.not_a_number"),
        ("projects_investments.csv", 2, "Organisation Role Category - (Value)", "", "indigo.blank_role"),
        ("projects_investments.csv", 2, "Maximum Potential Return - (Value)", "capital plus just over 3 % a year",
         "indigo.return_from_text"),
        ("projects_investments.csv", 3, "Id", "investment1", "indigo.duplicate_item_id"),
        ("projects_investments.csv", 4, "Project ID", "INDIGO-POJ-9", "indigo.orphan_row"),
        ("projects_notes_of_mine.csv", None, "", "", "indigo.unknown_table"),
        ("projects_outcome_metrics.csv", None, "", "", "indigo.encoding"),
    ]
    one, two = res.projects
    assert one.name == "One"  # the first row is kept
    assert one.data["stage_development"]["value"] == "Complete"
    assert one.data["jurisdiction"]["jurisdiction"]["value"] == "GB"
    assert "policy_sector" not in one.data.get("purpose_and_classifications", {})
    assert "anticipated_end_date_of_service_provision" not in one.data.get("dates", {})
    assert one.data["overall_project_finance"]["total_investment_commitment"]["amount"]["exact"]["value"] == 1_300_000
    assert one.data["service_and_beneficiaries"]["targeted_number_service_users_or_beneficiaries_total"]["value"] == 250
    assert [i.get("maximum_potential_return", {}).get("value") for i in one.data["investments"]] == [3, 7]
    assert two.data["overall_project_finance"]["total_investment_commitment"]["amount"]["exact"]["value"] == 1_200_000
    assert two.data["outcome_metrics"][0]["target_population"]["value"] == "Familles à risque"
    assert {f.name.split("/")[-1]: f.use for f in res.files}["projects_notes_of_mine.csv"] is FileUse.UNKNOWN
    # each message is bilingual and names the file, row, column and value
    dup = next(w for w in res.warnings if w.code == "indigo.duplicate_id")
    assert said(dup, "fr") == ("projects/projects.csv, ligne 3, ID = 'INDIGO-POJ-1' : identifiant déjà lu ligne 2 : cette "
                               "ligne est ignorée (la première est gardée) [indigo.duplicate_id]")
    assert "row 3" in said(dup, "en") and "already read on row 2" in said(dup, "en")


def test_a_zip_of_the_download_reads_like_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "all_data_per_data_type_csv.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for p in EXCERPT.rglob("*.csv"):
            z.write(p, p.relative_to(EXCERPT).as_posix())
    zipped, folder = read_indigo(archive), read_indigo(EXCERPT)
    assert [(p.id, p.data) for p in zipped.projects] == [(p.id, p.data) for p in folder.projects]
    assert zipped.warnings == folder.warnings and zipped.format == "csv"


def _with_organisations_and_funds(tmp_path: Path) -> Path:
    folder = tmp_path / "golab"
    shutil.copytree(EXCERPT, folder)
    _write(folder / "organizations" / "organisations.csv", [
        ["ID", "Name", "Type - (Value)", "Country"],
        ["INDIGO-ORG-0572", "NSW Department of Education", "Government body", "AU"],
        ["INDIGO-ORG-1249", "Social Ventures Australia delivery partner", "Registered non-profit organisation, charity or foundation", "AU"],
    ])
    _write(folder / "organizations" / "organisations_sources.csv", [
        ["Project ID", "Id", "Name"], ["INDIGO-ORG-0572", "source1", "Annual report"],
    ])
    _write(folder / "funds" / "funds.csv", [["ID", "Fund - Name", "Fund - Country"], ["INDIGO-FUND-0013", "Life Chances Fund", "GB"]])
    _write(folder / "funds" / "funds_organisations.csv", [["Project ID", "Organisation ID - (Value)"], ["INDIGO-FUND-0013", "INDIGO-ORG-0123"]])
    return folder


def test_organisations_and_funds_are_imported_and_name_the_parties(engine: Engine, tmp_path: Path) -> None:
    folder = _with_organisations_and_funds(tmp_path)
    res = read_indigo(folder)
    assert [o.id for o in res.organisations] == ["INDIGO-ORG-0572", "INDIGO-ORG-1249"]
    assert res.organisations[0].data["sources"] == [{"id": "source1", "name": {"value": "Annual report"}}]
    assert [(f.id, f.name) for f in res.funds] == [("INDIGO-FUND-0013", "Life Chances Fund")]
    assert res.funds[0].data["organisations"] == [{"organisation_id": {"value": "INDIGO-ORG-0123"}}]
    summary = import_indigo(engine, folder)
    assert summary.counts()["organisation"]["added"] == 2 and summary.counts()["fund"]["added"] == 1
    sheet = public_project(engine, "INDIGO-POJ-0218")
    assert [(p.name, p.role) for p in sheet.parties][:2] == [("NSW Department of Education", "outcome_payment_commitments"),
                                                              ("Social Ventures Australia delivery partner", "service_provisions")]
    assert [Translator("fr").label("indigo_party_role", p.role) for p in sheet.parties][:2] == ["payeur aux résultats", "opérateur"]
    assert [Translator("en").label("indigo_party_role", p.role) for p in sheet.parties][:2] == ["outcome payer", "service provider"]
    entry = next(e for e in registry(engine) if e.id == "INDIGO-POJ-0218")
    assert entry.parties[0] == "NSW Department of Education (outcome payer)"


def test_a_newer_download_updates_projects_in_place_in_one_transaction(engine: Engine, tmp_path: Path) -> None:
    first = import_indigo(engine, EXCERPT, actor="analyste")
    assert first.added == ("INDIGO-POJ-0001", "INDIGO-POJ-0002", "INDIGO-POJ-0121", "INDIGO-POJ-0122", "INDIGO-POJ-0218")
    newer = tmp_path / "newer"
    shutil.copytree(EXCERPT, newer)
    main = newer / "projects" / "projects.csv"
    text = main.read_bytes().decode("utf-8")
    main.write_bytes(text.replace("Aspire Social Impact Bond Adelaide,,Implementation", "Aspire Social Impact Bond Adelaide,,Complete")
                     .encode("utf-8"))
    again = import_indigo(engine, newer, actor="analyste")
    assert (again.added, again.updated) == ((), ("INDIGO-POJ-0002",))
    assert again.unchanged == ("INDIGO-POJ-0001", "INDIGO-POJ-0121", "INDIGO-POJ-0122", "INDIGO-POJ-0218")
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(IndigoProjectRow)) == 5
        assert s.scalar(select(func.count()).select_from(IndigoOrganisationRow)) == 0
        row = s.get(IndigoProjectRow, "INDIGO-POJ-0002")
        assert row is not None and json.loads(row.data)["stage_development"]["value"] == "Complete"
        assert row.import_id == again.import_id
        entries = [e for e in ledger.entries(s) if e.event == "opendata.indigo_imported"]
        payload = json.loads(max(entries, key=lambda e: e.seq).payload)
    assert len(entries) == 2 and payload["updated"] == ["INDIGO-POJ-0002"]
    assert payload["counts"]["project"] == {"added": 0, "updated": 1, "unchanged": 4}
    assert payload["files"] == 22 and payload["rows"] == 333 and payload["warnings_by_code"]["indigo.bad_date"] == 4

"""Open data the French way: CSV files validated against their Table Schemas by the ``frictionless``
library, a valid Data Package, data.gouv.fr metadata, INDIGO JSON of every contract validated
against the INDIGO schema, the public figures after small-cell suppression, and the API that
serves each file."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from sqlalchemy import Engine

from conftest import missing_component
from temoin.demo.evaluation import CONTRACT, arms_by_identifier, write_cohort_files
from temoin.opendata.publication import FIGURES_SCHEMA, REGISTRY_SCHEMA
from temoin.opendata.schemas import project_schema
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.services.opendata import import_indigo
from temoin.services.publication import figures, open_data_files, publish_open_data
from temoin.services.settlements import run_settlement
from temoin.settings import Settings
from temoin.store import make_engine, migrate, session_scope

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "temoin" / "examples" / "contracts"
EXCERPT = Path(__file__).parent / "data" / "golab-flat-excerpt"
SETTINGS = Settings()


def frictionless() -> Any:
    try:
        import frictionless as fl
    except ImportError:
        missing_component("the frictionless library (requirements.lock, dev) is not installed")
    return fl


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Path]]:
    """Three contracts (one evaluated and settled on the synthetic cohort) and GO Lab's excerpt, published."""
    folder = tmp_path_factory.mktemp("opendata")
    engine = make_engine(f"sqlite:///{folder / 't.db'}")
    migrate(engine)
    for name in ("aemo-renforcee", "relais-familial", "cravate-solidaire"):
        import_contract(engine, EXAMPLES / f"{name}.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path, cohort = write_cohort_files(Path(tmp))
        ev.import_participants(engine, CONTRACT, path, settings=SETTINGS, actor="test")
        ev.lock_plan(engine, CONTRACT, actor="test")
        ev.randomise_cohort(engine, CONTRACT, seed=20250115, actor="test")
        arms = arms_by_identifier(engine, cohort, SETTINGS)
        for wave in ("m12", "m24"):
            wpath = Path(tmp) / f"{wave}.csv"
            cohort.outcomes(wave, arms).to_csv(wpath, index=False)
            ev.import_outcomes(engine, CONTRACT, wave, wpath, settings=SETTINGS, actor="test")
    ev.evaluate_contract(engine, CONTRACT, actor="test")
    run_settlement(engine, CONTRACT, actor="test")
    import_indigo(engine, EXCERPT)
    out = folder / "publication"
    publish_open_data(engine, out, settings=SETTINGS)
    yield engine, out
    engine.dispose()


def _report_errors(report: Any) -> list[str]:
    return [f"{e.type}: {e.note}" for e in report.errors] + [f"{e.type}: {e.note}" for t in report.tasks for e in t.errors]


def _validate(fl: Any, folder: Path, csv_name: str, schema: dict[str, Any]) -> Any:
    resource = fl.Resource(path=csv_name, basepath=str(folder), schema=fl.Schema.from_descriptor(schema))
    return fl.validate(resource)


def test_the_files_a_publisher_needs_are_written(published: tuple[Engine, Path]) -> None:
    _, out = published
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "registre-contrats.csv", "registre-contrats.schema.json", "chiffres-contrat.schema.json", "indigo.json",
        "datapackage.json", "data.gouv.fr.json", "chiffres-aemo-renforcee.csv", "chiffres-cravate-solidaire.csv",
        "chiffres-relais-familial.csv"])
    raw = (out / "registre-contrats.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw  # UTF-8 without BOM, one line end
    assert json.loads((out / "registre-contrats.schema.json").read_text(encoding="utf-8")) == REGISTRY_SCHEMA


def test_the_registry_csv_is_valid_against_its_table_schema(published: tuple[Engine, Path]) -> None:
    fl = frictionless()
    _, out = published
    report = _validate(fl, out, "registre-contrats.csv", REGISTRY_SCHEMA)
    assert report.valid, _report_errors(report)
    rows = list(csv.DictReader(io.StringIO((out / "registre-contrats.csv").read_text(encoding="utf-8"))))
    assert [r["identifiant"] for r in rows][:3] == ["aemo-renforcee", "cravate-solidaire", "relais-familial"]
    assert len(rows) == 8 and {r["source"] for r in rows} == {"temoin", "indigo"}
    aemo = rows[0]
    assert (aemo["pays"], aemo["devise"], aemo["methode_validation"], aemo["contrefactuel_reel"],
            aemo["plafond_economies_realisees"], aemo["resultats_publies"]) == (
        "FR", "EUR", "Randomised Control Trial", "true", "true", "true")
    reboot = next(r for r in rows if r["identifiant"] == "INDIGO-POJ-0121")
    assert (reboot["debut"], reboot["fin"], reboot["plafond_economies_realisees"], reboot["paiement_resultats_max"]) == (
        "2018-10", "2022-03", "", "2250000")


def test_the_validation_can_fail(published: tuple[Engine, Path], tmp_path: Path) -> None:
    """The same check on a file with a bad row: a schema that checks nothing would pass it."""
    fl = frictionless()
    _, out = published
    text = (out / "registre-contrats.csv").read_text(encoding="utf-8").replace(",EUR,", ",euros,", 1)
    (tmp_path / "bad.csv").write_text(text, encoding="utf-8")
    report = _validate(fl, tmp_path, "bad.csv", REGISTRY_SCHEMA)
    assert not report.valid
    assert any("constraint" in e for e in _report_errors(report))


def test_each_contracts_figures_are_valid_and_hide_small_cells(published: tuple[Engine, Path]) -> None:
    fl = frictionless()
    engine, out = published
    for name in ("chiffres-aemo-renforcee.csv", "chiffres-relais-familial.csv", "chiffres-cravate-solidaire.csv"):
        report = _validate(fl, out, name, FIGURES_SCHEMA)
        assert report.valid, (name, _report_errors(report))
    rows = list(csv.DictReader(io.StringIO((out / "chiffres-aemo-renforcee.csv").read_text(encoding="utf-8"))))
    sections = {r["rubrique"] for r in rows}
    assert sections == {"conditions", "cohorte", "impact", "reglement"}
    # every published count of people is at least the threshold, or hidden (empty, masque = true)
    for r in rows:
        if r["unite"] == "personnes" and r["rubrique"] != "conditions":
            assert (r["masque"] == "true" and r["valeur"] == "") or int(r["valeur"]) >= SETTINGS.small_cell_threshold, r
    # the figures are the stored ones: the latest impact estimate and the settlement's total
    with session_scope(engine) as s:
        results = ev.latest_results(s, CONTRACT)
    first = results[0]
    shown = next(r for r in rows if r["indicateur"] == "amelioration" and r["objet"] == f"{first.indicator} / {first.wave}")
    assert float(shown["valeur"]) == pytest.approx(first.improvement, rel=1e-9)
    figs = figures(engine, CONTRACT, settings=SETTINGS)
    total = next(f for f in figs if f["indicateur"] == "total_paye")
    paid = sum(float(r["valeur"]) for r in rows if r["indicateur"] == "montant_du")
    assert float(total["valeur"]) == pytest.approx(paid)


def test_a_stricter_threshold_hides_more(published: tuple[Engine, Path]) -> None:
    engine, _ = published
    strict = Settings(small_cell_threshold=500)
    figs = figures(engine, CONTRACT, settings=strict)
    cohort = [f for f in figs if f["rubrique"] == "cohorte"]
    assert any(f["masque"] for f in cohort)
    assert all(f["valeur"] is None or f["valeur"] >= 500 for f in cohort)


def test_the_data_package_is_valid(published: tuple[Engine, Path]) -> None:
    fl = frictionless()
    _, out = published
    report = fl.validate(str(out / "datapackage.json"))
    assert report.valid, _report_errors(report)
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["licenses"][0]["name"] == "etalab-2.0"
    assert package["resources"][0]["path"] == "registre-contrats.csv"
    assert package["sources"] and "Government Outcomes Lab" in package["sources"][0]["title"]


def test_the_data_gouv_fr_metadata_has_what_the_publisher_fills_in(published: tuple[Engine, Path]) -> None:
    _, out = published
    meta = json.loads((out / "data.gouv.fr.json").read_text(encoding="utf-8"))
    for key in ("title", "description", "license", "producer", "frequency", "temporal_coverage", "spatial"):
        assert meta[key], key
    assert meta["license"] == "lov2" and meta["producer"] == "Plateforme Témoin"
    # the earliest start (Aspire, 2017-06) to the latest end (aemo-renforcee, 2029-12-31)
    assert meta["temporal_coverage"] == {"start": "2017-06-01", "end": "2029-12-31"}
    assert meta["spatial"] == {"zones": ["country:ar", "country:au", "country:fr", "country:gb"], "granularity": "country"}
    assert "INDIGO" in meta["description"] and len(meta["resources"]) == 4


def test_the_indigo_export_of_every_contract_is_valid_and_reads_back(published: tuple[Engine, Path], tmp_path: Path) -> None:
    _, out = published
    doc = json.loads((out / "indigo.json").read_text(encoding="utf-8"))
    validator = Draft7Validator(project_schema())
    assert [p["id"] for p in doc["projects"]] == ["TEMOIN-POJ-aemo-renforcee", "TEMOIN-POJ-cravate-solidaire",
                                                  "TEMOIN-POJ-relais-familial"]
    for project in doc["projects"]:
        assert [e.message for e in validator.iter_errors(project["data"])] == [], project["id"]
    from temoin.opendata.indigo_import import read_indigo

    back = read_indigo(out / "indigo.json")
    assert back.warnings == () and len(back.projects) == 3


def test_every_file_has_its_api_endpoint(published: tuple[Engine, Path]) -> None:
    from fastapi.testclient import TestClient

    from temoin.web import create_app

    engine, out = published
    client = TestClient(create_app(SETTINGS, engine=engine))
    for path in sorted(out.iterdir()):
        r = client.get(f"/api/v1/public/open-data/{path.name}")
        assert r.status_code == 200, path.name
        if path.suffix == ".csv":
            assert r.headers["content-type"] == "text/csv; charset=utf-8" and r.text == path.read_text(encoding="utf-8")
    package = client.get("/api/v1/public/open-data/datapackage.json").json()
    assert package["resources"][0]["path"] == "http://testserver/api/v1/public/open-data/registre-contrats.csv"
    one = client.get(f"/api/v1/public/contracts/{CONTRACT}/indigo.json").json()
    assert list(Draft7Validator(project_schema()).iter_errors(one["data"])) == []
    assert client.get("/api/v1/public/open-data/chiffres-inconnu.csv").status_code == 404
    assert client.get("/api/v1/public/open-data/nothing.txt").status_code == 404
    assert open_data_files(engine, settings=SETTINGS).files["registre-contrats.csv"] == (out / "registre-contrats.csv").read_text(
        encoding="utf-8")


def test_a_research_extracts_codebook_is_valid_against_its_table_schema(published: tuple[Engine, Path], tmp_path: Path) -> None:
    fl = frictionless()
    from temoin.opendata.codebook import CODEBOOK_SCHEMA
    from temoin.services.opendata import research_extract

    engine, _ = published
    summary = research_extract(engine, CONTRACT, tmp_path / "extrait.csv", settings=SETTINGS, actor="test")
    assert summary.codebook is not None
    report = _validate(fl, tmp_path, summary.codebook.name, CODEBOOK_SCHEMA)
    assert report.valid, _report_errors(report)
    book = list(csv.DictReader(io.StringIO(summary.codebook.read_text(encoding="utf-8"))))
    outcome = next(r for r in book if r["variable"] == "placement_days__m24")
    assert (outcome["unite"], outcome["libelle_fr"]) == ("days", "Journées de placement, 24 mois après l'entrée")

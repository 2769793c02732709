"""Open-data services on SQLite and PostgreSQL: all-or-nothing INDIGO import with its ledger entry,
the public registry, the observatory, and research extracts that are logged or refused."""

from __future__ import annotations

import hashlib
import json
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, func, inspect, select

from temoin.errors import InvalidInputError
from temoin.opendata.kanonymity import KAnonymityRefused
from temoin.opendata.observatory import PeerGroup
from temoin.services.contracts import import_contract
from temoin.services.opendata import import_indigo, observe, registry, research_extract
from temoin.settings import Settings
from temoin.store import downgrade, ledger, migrate, session_scope
from temoin.store.models.opendata import IndigoImportRow, IndigoProjectRow

SETTINGS = Settings()  # as an entry point would pass them

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "src" / "temoin" / "examples" / "contracts"
DATA = Path(__file__).parent / "data" / "indigo"


def counts(engine: Engine) -> tuple[int, int, int]:
    with session_scope(engine) as s:
        return (s.scalar(select(func.count()).select_from(IndigoProjectRow)) or 0,
                s.scalar(select(func.count()).select_from(IndigoImportRow)) or 0,
                len(ledger.entries(s)))


def test_import_saves_projects_and_one_ledger_entry(engine: Engine) -> None:
    summary = import_indigo(engine, DATA / "csv-golab", actor="analyste")
    assert summary.added == ("INDIGO-POJ-9101", "INDIGO-POJ-9102", "INDIGO-POJ-9103")
    assert counts(engine) == (3, 1, 1)
    with session_scope(engine) as s:
        (entry,) = ledger.entries(s)
        payload = json.loads(entry.payload)
        assert (entry.event, entry.actor) == ("opendata.indigo_imported", "analyste")
        assert payload["warnings"] == len(summary.result.warnings) > 0
        assert payload["warnings_by_code"]["indigo.bad_date"] == 2
        assert ledger.verify(s).whole
        stored = json.loads(s.get(IndigoProjectRow, "INDIGO-POJ-9101").data)
        run = s.get(IndigoImportRow, summary.import_id)
        assert run is not None and len(json.loads(run.warnings)) == len(summary.result.warnings)
    assert stored["overall_project_finance"]["total_investment_commitment"]["amount"]["exact"]["value"] == 9_600_000


def test_reimport_replaces_instead_of_duplicating(engine: Engine) -> None:
    import_indigo(engine, DATA / "projects-with-defects.json")
    again = import_indigo(engine, DATA / "projects-with-defects.json")
    assert again.added == () and again.replaced == ("INDIGO-POJ-9001", "INDIGO-POJ-9002")
    assert counts(engine) == (2, 2, 2)


@pytest.mark.parametrize("name", ["truncated.json", "no-id-at-all.json", "no-such-file.json"])
def test_a_malformed_file_writes_nothing(engine: Engine, name: str) -> None:
    with pytest.raises(InvalidInputError):
        import_indigo(engine, DATA / name)
    assert counts(engine) == (0, 0, 0)


def test_a_failure_while_saving_rolls_back_every_project(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("temoin.services.opendata.ledger.append", broken)
    with pytest.raises(RuntimeError):
        import_indigo(engine, DATA / "csv-golab")
    assert counts(engine) == (0, 0, 0)


def test_registry_lists_contracts_and_public_projects_only(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, EXAMPLES / "aemo-renforcee.yaml")
    import_indigo(engine, DATA / "projects-with-defects.json")
    private = {"id": "INDIGO-POJ-9900", "data": {"status": "PRIVATE", "name": {"value": "Not for publication"}}}
    (tmp_path / "private.json").write_text(json.dumps(private))
    import_indigo(engine, tmp_path / "private.json")
    entries = registry(engine)
    assert [(e.source, e.id) for e in entries] == [
        ("temoin", "aemo-renforcee"), ("indigo", "INDIGO-POJ-9001"), ("indigo", "INDIGO-POJ-9002")]
    public = json.dumps([e.to_dict() for e in entries], ensure_ascii=False)
    assert "Not for publication" not in public
    # parties are public ones, named with their roles; people's names never appear
    assert "Département du Nord (outcome_payer)" in public and "Claire Martin" not in public


def test_observatory_compares_with_the_registry(engine: Engine) -> None:
    for name in ("aemo-renforcee", "relais-familial", "cravate-solidaire"):
        import_contract(engine, EXAMPLES / f"{name}.yaml")
    import_indigo(engine, DATA / "projects-with-defects.json")
    import_indigo(engine, DATA / "csv-golab")
    cmp = observe(engine, "aemo-renforcee")
    assert cmp.registry_size == 7
    # peers: the same sector and country (child and family welfare, France): relais-familial only
    assert (cmp.peer_group, cmp.peers, cmp.group_sizes) == (PeerGroup.SECTOR_COUNTRY, ("relais-familial",),
                                                            {"sector_country": 1, "sector": 1, "all": 7})
    peer = cmp.metric("duration_months")
    assert (peer.value, peer.n, peer.median, peer.share_below) == (60.0, 1, 48.0, 1.0)
    duration = cmp.registry_metric("duration_months")
    others = [48.0, 48.0, 72.0, 36.0, 36.0, 36.0, 36.0]  # relais, cravate, Peterborough, ADIE, three CSV projects
    assert duration.value == 60.0 and duration.n == 7
    assert duration.median == statistics.median(others)
    assert duration.share_below == pytest.approx(sum(o < 60 for o in others) / 7)
    per_head = cmp.registry_metric("max_payment_per_beneficiary")
    # EUR contracts only: relais 2.5 M€ / 68, cravate 480 k€ / 900, ADIE 1,496,500 € / 500
    assert per_head.value == 2500.0 and per_head.n == 3 and per_head.excluded == 4
    assert per_head.median == pytest.approx(statistics.median([2_500_000 / 68, 480_000 / 900, 1_496_500 / 500]), abs=0.01)
    assert cmp.designs == {"Randomised Control Trial": 1, "Quasi-experimental study": 1, "Historical comparison": 2,
                           "Simple ex-post verification": 3}
    assert cmp.with_real_counterfactual == 2 and cmp.contract_has_real_counterfactual is True
    assert cmp.contract_capped_at_savings is True and cmp.capped_at_savings == 1  # cravate-solidaire
    # INDIGO does not record the cap: the five projects are unknown, not "no"
    assert cmp.cap_at_savings_unknown == 5
    # only the Rikers Island test record publishes results (one row in results.csv)
    assert cmp.published_results == 1


def test_observatory_widens_to_the_sector_when_no_peer_shares_the_country(engine: Engine) -> None:
    import_contract(engine, EXAMPLES / "relais-familial.yaml")
    import_indigo(engine, DATA / "csv-golab")  # US, GB and IN projects, none in child and family welfare
    cmp = observe(engine, "relais-familial")
    assert cmp.peer_group is PeerGroup.ALL and cmp.group_sizes == {"sector_country": 0, "sector": 0, "all": 3}
    assert cmp.metric("duration_months").n == 3


def participants(n: int = 300, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "pseudonym": [hashlib.sha256(str(i).encode()).hexdigest()[:16] for i in range(n)],
        "age": rng.integers(0, 18, n),
        "sex": rng.choice(["F", "M"], n),
        "territory": rng.choice(["lille", "roubaix-tourcoing", "dunkerque", "valenciennes"], n),
        "risk_level": rng.choice(["high", "very_high"], n),
        "arm": rng.choice(["programme", "control"], n),
        "placement_days__m12": rng.integers(0, 200, n),
    })


def test_research_extract_is_written_k_anonymous_and_logged(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, EXAMPLES / "aemo-renforcee.yaml")
    out = tmp_path / "extract.csv"
    summary = research_extract(engine, "aemo-renforcee", out, actor="chercheuse", k=5, frame=participants(), settings=SETTINGS)
    written = pd.read_csv(out, dtype=str)
    qis = ["sex", "territory"]  # the contract withholds age; risk level, arm and outcomes are declared not identifying
    assert "age" not in written.columns
    assert written.groupby(qis).size().min() >= 5
    assert "pseudonym" not in written.columns and written["research_id"].is_unique
    with session_scope(engine) as s:
        entry = max(ledger.entries(s, contract_id="aemo-renforcee"), key=lambda r: r.seq)
        payload = json.loads(entry.payload)
    assert (entry.event, entry.actor) == ("opendata.research_extract", "chercheuse")
    assert payload["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() == summary.sha256
    assert payload["quasi_identifiers"] == qis and payload["after"]["satisfied"] is True
    assert payload["rows"] == len(written)


def test_codebook_labels_outcomes_with_their_unit_and_wave() -> None:
    from temoin.contract import load_contract
    from temoin.opendata.codebook import codebook
    from temoin.opendata.research import build_extract

    contract = load_contract(EXAMPLES / "aemo-renforcee.yaml")
    frame = participants().rename(columns={"placement_days_m12": "placement_days__m12"}).drop(columns=["arm"])
    rows = {r["variable"]: r for r in codebook(build_extract(frame, contract, k=5), contract)}
    days = rows["placement_days__m12"]
    assert (days["unite"], days["type"], days["libelle_en"]) == ("days", "integer", "Placement days, 12 months after enrolment")
    assert days["note_en"].startswith("Days spent in placement")
    assert rows["research_id"]["note_en"] == "Drawn at random for this extract only: it links to no other data."
    assert rows["sex"]["quasi_identifiant"] is True and rows["risk_level"]["quasi_identifiant"] is False
    assert "age" not in rows  # withheld by the contract
    # released, a date is coarsened to its month and described as such
    released = contract.model_copy(update={"research_extract": contract.research_extract.model_copy(update={"withheld": []})})
    dated = frame.assign(referral_date=pd.to_datetime("2025-03-14"))
    rows = {r["variable"]: r for r in codebook(build_extract(dated, released, k=5), released)}
    assert rows["referral_date"]["type"] == "yearmonth" and rows["age"]["quasi_identifiant"] is True


def test_refused_extract_writes_no_file_and_no_entry(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, EXAMPLES / "aemo-renforcee.yaml")
    with session_scope(engine) as s:
        before = len(ledger.entries(s))
    folder = tmp_path / "extracts"
    folder.mkdir()
    out = folder / "extract.csv"
    frame = participants()
    frame["commune"] = [f"c{i % 40}" for i in range(len(frame))]  # released, undeclared: a quasi-identifier
    with pytest.raises(KAnonymityRefused):
        research_extract(engine, "aemo-renforcee", out, k=5, policy="refuse", frame=frame, settings=SETTINGS)
    assert list(folder.iterdir()) == []  # no file, no temporary file
    with session_scope(engine) as s:
        assert len(ledger.entries(s)) == before


def test_extract_must_be_csv(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, EXAMPLES / "aemo-renforcee.yaml")
    with pytest.raises(InvalidInputError) as exc:
        research_extract(engine, "aemo-renforcee", tmp_path / "x.xlsx", frame=participants(), settings=SETTINGS)
    assert exc.value.code == "extract.format"


def test_opendata_migration_downgrades_and_upgrades(engine: Engine) -> None:
    downgrade(engine, "opendata@0001_foundation")
    assert "opendata_projects" not in inspect(engine).get_table_names()
    assert "contracts" in inspect(engine).get_table_names()
    migrate(engine)
    assert {"opendata_projects", "opendata_imports"} <= set(inspect(engine).get_table_names())


def test_research_extract_from_recorded_participants(engine: Engine, tmp_path: Path) -> None:
    """End to end with the evaluation area's participants (synthetic cohort), not a hand-made table."""
    from temoin.demo.evaluation import write_cohort_files
    from temoin.services import evaluations

    import_contract(engine, EXAMPLES / "aemo-renforcee.yaml")
    cohort_csv, _ = write_cohort_files(tmp_path)
    evaluations.import_participants(engine, "aemo-renforcee", cohort_csv, actor="operateur", settings=SETTINGS)
    with session_scope(engine) as s:
        stored_keys = set(evaluations.participants_frame(s, "aemo-renforcee")["pkey"].astype(str))
    out = tmp_path / "extract.csv"
    summary = research_extract(engine, "aemo-renforcee", out, actor="chercheuse", settings=SETTINGS)
    written = pd.read_csv(out, dtype=str)
    qis = list(summary.extract.quasi_identifiers)
    assert qis and written.groupby(qis, dropna=False).size().min() >= 5
    assert "pkey" not in written.columns and not set(written["research_id"]) & stored_keys
    withheld = {"referral_date", "enrolment_date", "age", "siblings", "single_parent", "prior_placement"}
    assert not withheld & set(written.columns)  # the contract withholds them
    # the codebook describes every column, in the file's order; the README says what to read first
    book = pd.read_csv(summary.codebook, dtype=str, keep_default_na=False)
    assert summary.codebook == tmp_path / "extract-dictionnaire.csv" and summary.readme == tmp_path / "extract-LISEZMOI.md"
    assert list(book["variable"]) == list(written.columns)
    rows = book.set_index("variable")
    assert (rows.loc["sex", "libelle_fr"], rows.loc["sex", "libelle_en"], rows.loc["sex", "modalites"]) == ("Sexe", "Sex", "F | M")
    assert rows.loc["arm", "note_en"].startswith("1: programme")
    assert set(rows.index[rows["quasi_identifiant"] == "true"]) == set(qis)
    text = summary.readme.read_text(encoding="utf-8")
    assert "extract.csv" in text and "extract-dictionnaire.csv" in text and "5-anonymat" in text and ", ".join(qis) in text
    with session_scope(engine) as s:
        entry = max(ledger.entries(s, contract_id="aemo-renforcee"), key=lambda r: r.seq)
    files = json.loads(entry.payload)["files"]
    assert files == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out, summary.codebook, summary.readme)}

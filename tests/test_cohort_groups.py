"""Who is in which group (issue 16, the journey's gap: the operator must know whom to serve, and the
case numbers are never stored): the service on SQLite and PostgreSQL, checked against the arms read
straight from the participants table; the data page's form for the operator and the evaluator, its
refusals, in both languages."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from temoin.errors import InvalidInputError
from temoin.evaluation.cohort_file import CohortFileError
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.examples import example_path
from temoin.services import evaluations as ev
from temoin.services.cohort_groups import groups_of
from temoin.services.contracts import import_contract
from temoin.settings import Settings
from test_web_support import Site, csrf_of, make_site

SETTINGS = Settings()
C = "aemo-renforcee"


def _participants(engine: Engine | None, tmp: Path) -> Path:
    path = tmp / "participants.csv"
    ev.generate_synthetic(None, C, path, seed=3, settings=SETTINGS)
    pd.read_csv(path, dtype=str).head(200).to_csv(path, index=False)
    return path


def _stored_arms(engine: Engine) -> dict[str, tuple[bool, int | None]]:
    """Each participant's (enrolled, arm) by pseudonym, read from the table itself."""
    with engine.connect() as c:
        rows = c.execute(text("SELECT pkey, enrolled, arm FROM cohort_participants WHERE contract_id = :c"), {"c": C})
        return {k: (bool(e), None if a is None else int(a)) for k, e, a in rows}


def test_each_case_number_gets_its_stored_group(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, example_path(C), actor="test")
    path = _participants(engine, tmp_path)
    ev.import_participants(engine, C, path, settings=SETTINGS, actor="op")
    before = groups_of(engine, C, path, settings=SETTINGS)
    assert all(g.arm is None for g in before)  # not drawn yet: no group, nobody refused
    ev.randomise_cohort(engine, C, seed=7, actor="eval")
    found = groups_of(engine, C, path, settings=SETTINGS)

    idents = list(pd.read_csv(path, dtype=str)["participant_id"])
    assert [g.identifier for g in found] == idents  # every row, in the file's order
    key = contract_key(C, master=SETTINGS.pseudonym_master)
    stored = _stored_arms(engine)
    for g in found:
        enrolled, arm = stored[pseudonymise(g.identifier, C, key=key)]
        assert (g.enrolled, g.arm) == (enrolled, arm)
    drawn = [g.arm for g in found if g.enrolled]
    assert drawn and set(drawn) == {0, 1}
    assert not any(g.arm is not None for g in found if not g.enrolled)


def test_unknown_or_empty_case_numbers_are_all_listed(engine: Engine, tmp_path: Path) -> None:
    import_contract(engine, example_path(C), actor="test")
    path = _participants(engine, tmp_path)
    ev.import_participants(engine, C, path, settings=SETTINGS, actor="op")
    ev.randomise_cohort(engine, C, seed=7, actor="eval")
    known = list(pd.read_csv(path, dtype=str)["participant_id"])[:2]
    asked = tmp_path / "asked.csv"
    asked.write_text("identifiant du participant;remarque\n"
                     + "\n".join(f"{i};r" for i in [known[0], "X-404", "", known[1], "X-405"]) + "\n", encoding="utf-8")
    with pytest.raises(CohortFileError) as refused:
        groups_of(engine, C, asked, settings=SETTINGS)
    assert [(e.row, e.value) for e in refused.value.errors] == [(3, "X-404"), (4, ""), (6, "X-405")]
    other = tmp_path / "other.csv"
    other.write_text("numero\nA\n", encoding="utf-8")
    with pytest.raises(CohortFileError) as missing:
        groups_of(engine, C, other, settings=SETTINGS)
    assert missing.value.errors[0].column == "participant_id"


def test_a_design_without_a_draw_is_refused(sqlite_engine: Engine, tmp_path: Path) -> None:
    import_contract(sqlite_engine, example_path("relais-familial"), actor="test")
    asked = tmp_path / "asked.csv"
    asked.write_text("participant_id\nA\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as refused:
        groups_of(sqlite_engine, "relais-familial", asked, settings=SETTINGS)
    assert refused.value.code == "groups.not_randomised_design"


# --- the data page's form ---------------------------------------------------------------------------------


@pytest.fixture
def site(sqlite_engine: Engine, tmp_path: Path) -> Iterator[tuple[Site, Path]]:
    s = make_site(sqlite_engine)
    path = _participants(sqlite_engine, tmp_path)
    ev.import_participants(sqlite_engine, C, path, settings=SETTINGS, actor="op")
    ev.randomise_cohort(sqlite_engine, C, seed=7, actor="eval")
    yield s, path


def _post(client: object, path: Path, *, token: str | None) -> object:
    data = {"csrf_token": token} if token else {}
    return client.post(f"/contracts/{C}/groups.csv", data=data,  # type: ignore[attr-defined]
                       files={"file": ("participants.csv", path.read_bytes(), "text/csv")}, follow_redirects=False)


@pytest.mark.parametrize(("role", "lang", "header", "words"), [
    ("operator", "fr", ["identifiant du participant", "groupe"], {"programme", "comparaison", "non inscrit"}),
    ("evaluator", "en", ["participant identifier", "group"], {"programme", "comparison", "not enrolled"})])
def test_the_operator_and_the_evaluator_download_the_groups(site: tuple[Site, Path], role: str, lang: str,
                                                            header: list[str], words: set[str]) -> None:
    s, path = site
    client = s.signed_in(role, lang=lang)
    page = client.get(f"/contracts/{C}/data")
    assert 'id="groups"' in page.text and 'action="/contracts/aemo-renforcee/groups.csv"' in page.text
    r = _post(client, path, token=csrf_of(client, f"/contracts/{C}/data"))
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";" if lang == "fr" else ","))
    assert rows[0] == header
    assert len(rows) == 1 + 200 and {row[1] for row in rows[1:]} == words


def test_others_are_refused_and_a_form_without_token_too(site: tuple[Site, Path]) -> None:
    s, path = site
    for role in ("payer", "investor", "observer", "admin"):
        client = s.signed_in(role)
        assert 'id="groups"' not in client.get(f"/contracts/{C}/data").text
        assert _post(client, path, token=csrf_of(client, f"/contracts/{C}")).status_code == 403, role
    operator = s.signed_in("operator")
    assert _post(operator, path, token=None).status_code == 403
    assert _post(s.client(), path, token=None).status_code in (401, 403)


def test_unknown_case_numbers_answer_on_the_data_page(site: tuple[Site, Path], tmp_path: Path) -> None:
    s, _ = site
    asked = tmp_path / "asked.csv"
    asked.write_text("identifiant du participant\nX-404\n", encoding="utf-8")
    client = s.signed_in("operator")
    r = _post(client, asked, token=csrf_of(client, f"/contracts/{C}/data"))
    assert r.status_code == 422
    text = html.unescape(r.text)
    assert "Aucun groupe donné : 1 problème(s) dans le fichier." in text and "X-404" in text
    assert "renvoyez le fichier entier" in text and "rien n'a été enregistré" not in text
    assert 'id="row-errors"' in text

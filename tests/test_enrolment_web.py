"""Rolling enrolment on the web: the operator's upload says which batch the newly enrolled join; the
evaluator randomises the new batch from the evaluation page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from tests.test_enrolment_rolling import C, monthly_files, referred, rolling_yaml

from temoin.services import enrolment as rolling
from temoin.services.contracts import import_contract
from temoin.store import session_scope
from test_web_support import Site, csrf_of, make_site


@pytest.fixture
def site(sqlite_engine: Engine) -> Site:
    s = make_site(sqlite_engine)
    import_contract(sqlite_engine, rolling_yaml(), actor="test")  # a new version of the example: rolling enrolment
    return s


def test_each_upload_says_its_batch_and_the_evaluator_randomises_it(site: Site, tmp_path: Path) -> None:
    files = [f for f in monthly_files(tmp_path, referred(tmp_path))
             if (pd.read_csv(f, dtype=str)["enrolled"] == "True").any()][:2]
    op, evaluator = site.signed_in("operator", lang="en"), site.signed_in("evaluator", lang="fr")
    for number, f in enumerate(files, start=1):
        n = int((pd.read_csv(f, dtype=str)["enrolled"] == "True").sum())
        token = csrf_of(op, f"/contracts/{C}/data")
        r = op.post(f"/contracts/{C}/data/participants", data={"csrf_token": token},
                    files={"file": (f.name, f.read_bytes(), "text/csv")}, headers={"hx-request": "true"})
        assert r.status_code == 200, r.text
        said = " ".join(r.text.split())
        assert f"the {n} newly enrolled join batch {number}, which {n} people await" in said
        token = csrf_of(evaluator, f"/contracts/{C}/evaluation")
        r = evaluator.post(f"/contracts/{C}/evaluation/randomise", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303, r.text
        with session_scope(site.engine) as s:
            assert [b.number for b in rolling.batches(s, C)] == list(range(1, number + 1))
            assert rolling.batches(s, C)[-1].n == n

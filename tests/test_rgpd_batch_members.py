"""An erased member of a rolling enrolment batch leaves no pseudonym behind (SQLite and PostgreSQL).

The batch's record keeps only each place's stratum and the digest of its member list; the members are
rows of their own, deleted with the person's other rows. Checked: before the erasure the pseudonym is
found (in the participants' table only), after it no column of any table holds it; `audit verify`
passes and names the erasure; replaying the batches still reproduces everyone who remains and counts
the erased place; a member row removed without an erasure is named by the audit; and 0018 converts
batches stored before it, dropping the key of a member already erased.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from tests.test_rgpd_consent import SETTINGS, C

from temoin.contract.data_protection import ErasureRule
from temoin.evaluation.pseudonym import pseudonymise
from temoin.i18n import Translator
from temoin.services import enrolment as rolling
from temoin.services import evaluations as ev
from temoin.services.contracts import import_contract
from temoin.services.erasure import erase_person
from temoin.services.governance import verify_audit
from temoin.store import downgrade, ledger, make_engine, migrate, session_scope
from test_enrolment_rolling import monthly_files, referred, rolling_yaml

FR = Translator("fr")


def _holding(engine: Engine, needle: str) -> list[str]:
    """Every table that holds ``needle`` in some column (text, or bytes for binary columns)."""
    found = []
    raw = needle.encode("utf-8")
    with engine.connect() as c:
        for table in sorted(inspect(engine).get_table_names()):
            columns = [col["name"] for col in inspect(engine).get_columns(table)]
            for row in c.execute(text(f"SELECT * FROM {table}")):
                values = [row[i] for i in range(len(columns))]
                if any((raw in bytes(v)) if isinstance(v, bytes | memoryview) else needle in str(v) for v in values if v is not None):
                    found.append(table)
                    break
    return found


def _two_batches(engine: Engine, tmp: Path) -> tuple[str, str]:
    """A rolling contract with two batches randomised; (identifier, pseudonym) of a member of batch 1."""
    import_contract(engine, rolling_yaml(), actor="test")
    frame = referred(tmp)
    for f in monthly_files(tmp, frame)[:2]:
        ev.import_participants(engine, C, f, settings=SETTINGS)
        ev.randomise_cohort(engine, C, seed=3)
    with engine.connect() as c:
        keys = c.execute(text("SELECT pkey FROM cohort_participants WHERE batch = 1 ORDER BY pkey")).scalars().all()
    pkey = keys[len(keys) // 2]  # a place in the middle of the draw: later places depend on it
    who = next(i for i in frame["participant_id"] if pseudonymise(i, C, master=SETTINGS.pseudonym_master) == pkey)
    return who, pkey


def test_an_erased_batch_member_leaves_no_pseudonym_and_the_replay_still_holds(engine: Engine, tmp_path: Path) -> None:
    who, pkey = _two_batches(engine, tmp_path)
    before = rolling.replay_batches(engine, C)
    assert before.ok and before.erased == 0
    assert _holding(engine, pkey) == ["cohort_participants"]  # the search finds it where it is
    assert verify_audit(engine).whole

    done = erase_person(engine, C, who, rule=ErasureRule.ERASURE_REQUEST, settings=SETTINGS, actor="dpo",
                        today=dt.date(2026, 10, 2))
    assert done.rows["cohort_participants"] == 1 and done.rows["cohort_batch_members"] == 1
    assert _holding(engine, pkey) == [] and _holding(engine, who) == []
    status = verify_audit(engine)
    assert status.whole, [FR.render(p.describe()) for p in status.problems]
    assert [FR.render(m) for m in status.erasures] == [
        f"Entrée {done.ledger_seq} : données personnelles de 1 personne(s) de {C} effacées le 2 octobre 2026 selon la "
        "règle « demande d'effacement de la personne » ; les enregistrements sont vérifiés sur ce qui reste."]
    after = rolling.replay_batches(engine, C)
    assert after.ok and after.erased == 1 and after.reproduced == before.reproduced - 1 and after.batches == before.batches
    with session_scope(engine) as s:
        entry = json.loads(ledger.entries(s, contract_id=C, limit=1)[0].payload)
    assert set(entry["batch_members"]) == {"1"} and pkey not in json.dumps(entry)


def test_a_member_row_taken_out_without_erasure_is_named(sqlite_engine: Engine, tmp_path: Path) -> None:
    engine = sqlite_engine
    _two_batches(engine, tmp_path)
    with pytest.raises(Exception, match="append-only"), engine.begin() as c:
        c.execute(text("DELETE FROM cohort_batch_members WHERE id = (SELECT min(id) FROM cohort_batch_members)"))
    with engine.begin() as c:
        c.execute(text("DROP TRIGGER cohort_batch_members_no_delete"))
        c.execute(text("DELETE FROM cohort_batch_members WHERE id = (SELECT min(id) FROM cohort_batch_members)"))
    status = verify_audit(engine)
    assert not status.whole
    assert [(p.kind.value, p.ref) for p in status.problems] == [("assignment", f"{C} batch 1")]
    assert "SHA-256(members)" in FR.render(status.problems[0].describe())
    assert rolling.replay_batches(engine, C).erased == 1  # the replay does not pretend the place is filled


def test_0018_converts_stored_batches_and_drops_the_key_of_a_member_already_erased(tmp_path: Path) -> None:
    """A database with two batches stored by 0017's layout (keys in the batch row), one member erased
    before 0018: the upgrade moves the members to their rows, keeps the digest as drawn, and the erased
    member's key is gone; downgrading gives the keys back, the erased one as null."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(engine)
    _, pkey = _two_batches(engine, tmp_path)
    with engine.connect() as c:
        kept = c.execute(text("SELECT cohort_batch_members.batch, position, pkey FROM cohort_batch_members JOIN "
                              "cohort_participants ON cohort_participants.id = participant_id ORDER BY 1, 2")).all()
        labels = dict(c.execute(text("SELECT number, labels FROM cohort_batches")).all())
        digests = dict(c.execute(text("SELECT number, members_sha256 FROM cohort_batches")).all())
    downgrade(engine, "0017_jobs")
    with engine.connect() as c:
        members = dict(c.execute(text("SELECT number, members FROM cohort_batches")).all())
    expected = {b: [[k, lab] for (_, _, k), lab in zip([x for x in kept if x[0] == b], json.loads(labels[b]), strict=True)]
                for b in labels}
    assert {b: json.loads(m) for b, m in members.items()} == expected  # downgrade gives 0010's layout back
    assert {b: hashlib.sha256("\n".join(json.dumps(x, separators=(",", ":"), ensure_ascii=False) for x in json.loads(m))
                              .encode()).hexdigest() for b, m in members.items()} == digests
    # erase one member the 0017 way: its participant row goes, its key stays in the batch row
    with engine.begin() as c:
        pid = c.execute(text("SELECT id FROM cohort_participants WHERE pkey = :k"), {"k": pkey}).scalar_one()
        c.execute(text("INSERT INTO rgpd_erasure_permits (participant_id) VALUES (:p)"), {"p": pid})
        c.execute(text("DELETE FROM cohort_participants WHERE id = :p"), {"p": pid})
        c.execute(text("DELETE FROM rgpd_erasure_permits"))
    assert _holding(engine, pkey) == ["cohort_batches"]  # what 0018 is for
    migrate(engine)
    assert _holding(engine, pkey) == []
    with engine.connect() as c:
        assert dict(c.execute(text("SELECT number, members_sha256 FROM cohort_batches")).all()) == digests
        assert dict(c.execute(text("SELECT number, labels FROM cohort_batches")).all()) == labels
        rows = c.execute(text("SELECT count(*) FROM cohort_batch_members")).scalar_one()
    assert rows == len(kept) - 1
    check = rolling.replay_batches(engine, C)
    assert check.ok and check.erased == 1 and check.reproduced == len(kept) - 1
    assert verify_audit(engine).whole is False  # the 0017-way deletion wrote no ledger entry: the audit says so
    engine.dispose()

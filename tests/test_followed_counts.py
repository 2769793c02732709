"""The people followed at each wave are counted in SQL (issue 16's speed): the same counts as decoding
every stored outcome row in Python, on SQLite and PostgreSQL, for the cases a wave file can leave:
a value, a blank (``null``), a ``NaN``, an infinity, the indicator absent from the file, identifiers
that are prefixes of one another or differ only where ``LIKE`` would read ``_`` as any character."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session
from tests.conftest import EXAMPLES

from temoin.governance.ledger import canonical_json
from temoin.services.contracts import import_contract
from temoin.store import session_scope
from temoin.store.cohorts import CohortRepository
from temoin.store.models.cohorts import OutcomeRow, ParticipantRow

CONTRACT = "aemo-renforcee"
INDICATORS = ("days", "days_x", "daysax", "d_ys", "dxys", "sortie")


def _decoded(session: Session, contract_id: str, indicator: str,
             waves: Sequence[str]) -> tuple[dict[tuple[str, int | None, bool], int], set[str]]:
    """The counts as the previous implementation made them: each row's JSON decoded in Python."""
    out: dict[tuple[str, int | None, bool], int] = {}
    present: set[str] = set()
    q = (select(OutcomeRow.wave, ParticipantRow.arm, ParticipantRow.enrolled, OutcomeRow.values)
         .join(ParticipantRow, ParticipantRow.id == OutcomeRow.participant_id)
         .where(OutcomeRow.contract_id == contract_id, OutcomeRow.wave.in_(list(waves))))
    for wave, arm, enrolled, values in session.execute(q):
        recorded = json.loads(values)
        if indicator not in recorded:
            continue
        present.add(wave)
        v = recorded[indicator]
        if v is not None and v == v:
            key = (wave, arm, bool(enrolled))
            out[key] = out.get(key, 0) + 1
    return out, present


def _values(i: int) -> dict[str, float | None]:
    """Row ``i``'s recorded values: every kind of value, and some indicators left out of the file."""
    kinds: list[float | None] = [1.5, None, float("nan"), float("inf"), 0.0, -2.0, float("-inf")]
    vals: dict[str, float | None] = {}
    for j, ind in enumerate(INDICATORS):
        if (i + j) % 5 != 4:  # absent from this row
            vals[ind] = kinds[(i * 3 + j) % len(kinds)]
    if i % 11 == 0:
        vals.pop("days", None)  # the indicator with look-alikes absent, its look-alikes present
        vals["days_x"], vals["d_ys"] = 3.0, 4.0
    return vals


def test_followed_counts_in_sql_equal_the_decoded_rows(engine: Engine) -> None:
    import_contract(engine, EXAMPLES / f"{CONTRACT}.yaml", actor="test")
    with session_scope(engine) as s:
        people = [{"contract_id": CONTRACT, "pkey": f"k{i:04d}", "attributes": "{}", "eligible": True, "consent": True,
                   "enrolled": i % 7 != 0, "arm": None if i % 9 == 0 else i % 2} for i in range(300)]
        s.execute(insert(ParticipantRow), people)
        ids = list(s.execute(select(ParticipantRow.id).order_by(ParticipantRow.id)).scalars())
        rows = [{"contract_id": CONTRACT, "participant_id": pid, "wave": wave, "values": canonical_json(_values(i + k))}
                for i, pid in enumerate(ids) for k, wave in enumerate(("m12", "m24", "m36")) if (i + k) % 4]
        rows.append({"contract_id": CONTRACT, "participant_id": ids[0], "wave": "m48",  # a wave without the indicators
                     "values": canonical_json({"sortie": 1.0})})
        s.execute(insert(OutcomeRow), rows)
    with session_scope(engine) as s:
        repo = CohortRepository(s)
        checked = 0
        for indicator in (*INDICATORS, "absent", "day"):
            for waves in (["m12", "m24", "m36", "m48"], ["m24"], []):
                expected = _decoded(s, CONTRACT, indicator, waves)
                assert repo.followed_counts(CONTRACT, indicator, waves) == expected, (indicator, waves)
                checked += bool(expected[0])
        assert checked >= 12  # the cases compared are not all empty
        counts, present = repo.followed_counts(CONTRACT, "days", ["m12", "m24", "m36", "m48"])
        assert present == {"m12", "m24", "m36"} and sum(counts.values()) > 0
        assert repo.followed_counts(CONTRACT, "day", ["m12"]) == ({}, set())  # a prefix is not the indicator

"""Importing the files people fill in: the referred people (participants) and each follow-up wave.

Each import is all rows or none: every row is checked (and checked against the stored cohort) in one
pass, the refused ones listed with their row and reason; the rows and the import's ledger entry are
saved in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from temoin.evaluation.cohort_file import (
    CohortFileError,
    Normalised,
    RowError,
    check_outcomes,
    check_participants,
    read_table,
    rename_headers,
)
from temoin.evaluation.plan import canonical_json
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.evaluation.schedule import due_date
from temoin.governance.ledger import LedgerEvent, rows_digest
from temoin.messages import Msg
from temoin.services._tables import iter_table
from temoin.services.cohort_columns import (
    category_labels,
    header_aliases,
    participant_columns,
    wave_columns,
)
from temoin.services.cohort_frame import latest_contract as _contract
from temoin.services.enrolment import (
    enrolment_row_errors,
    later_enrolment_problem,
    pending,
    update_referral,
)
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.cohorts import CohortRepository, participant_lines, wave_lines
from temoin.store.models.cohorts import ParticipantRow
from temoin.store.rgpd import withdrawals

__all__ = ["OUTCOME_CHUNK_ROWS", "ImportSummary", "RowsDone", "import_outcomes", "import_participants"]

RowsDone = Callable[[int, int], None]
"""Told as an import advances: (rows checked, rows saved) so far (saved ones stay uncommitted until the end)."""
PROGRESS_ROWS = 2_000


@dataclass(frozen=True)
class ImportSummary:
    contract_id: str
    rows: int
    enrolled: int = 0
    eligible: int = 0
    blanks: dict[str, int] | None = None
    batch: int | None = None
    """Rolling enrolment: the number of the batch the newly enrolled people wait for."""
    waiting: int | None = None
    """Rolling enrolment: how many enrolled people wait for that batch (this file's and earlier ones')."""
    updated: int = 0
    """People already registered, not enrolled then, whose row this file updates (referred, later enrolled)."""
    left_out: int | None = None
    """Enrolled by this file after a one-time randomisation (no rolling enrolment): they will not be randomised."""
    joining: tuple[str, ...] = ()
    """Rolling enrolment: the operator's identifiers of this file's newly enrolled people, who join ``batch``
    (for the operator's own answer; never stored nor written in the ledger)."""
    normalised: tuple[Normalised, ...] = ()
    """Values read as an allowed one (``Lille`` as ``lille``, ``Oui`` as 1), per column and value."""

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["normalised"] = [n.to_dict() for n in self.normalised]
        return out





def import_participants(engine: Engine, contract_id: str, path: str | Path, *, settings: Settings,
                        actor: str = "cli", progress: RowsDone | None = None, write_lock: bool = False) -> ImportSummary:
    """Import referred people from CSV/XLSX: all rows or none, with a row-level error report
    (``progress`` told the rows checked and saved as it goes; ``write_lock``: see :func:`_locked`)."""
    with session_scope(engine) as s:
        _locked(s, write_lock)
        stored = _contract(s, contract_id)
        frame = rename_headers(read_table(path), header_aliases(participant_columns(stored.contract)))
        records, errors, normalised = check_participants(frame, stored.contract, category_labels(stored.contract))
        key = contract_key(contract_id, master=settings.pseudonym_master)
        repo = CohortRepository(s)
        existing = repo.participants_by_key(contract_id)
        rows: list[ParticipantRow] = []
        updated: list[ParticipantRow] = []
        for i, rec in enumerate(records):  # the rows that passed: checked against those already registered, in the same pass
            if progress is not None and i % PROGRESS_ROWS == 0:
                progress(len(frame) - len(records) + i, 0)
            pkey = pseudonymise(rec.identifier, contract_id, key=key)
            if pkey in existing:
                problem = later_enrolment_problem(existing[pkey], rec)
                if problem is not None:
                    errors.append(RowError(rec.row, "participant_id", rec.identifier, problem))
                else:
                    updated.append(existing[pkey])
                continue
            rows.append(ParticipantRow(
                contract_id=contract_id, pkey=pkey, referral_date=rec.referral_date, referral_source=rec.referral_source,
                attributes=canonical_json(rec.attributes), eligible=rec.eligible, consent=rec.consent,
                enrolled=rec.enrolled, enrolment_date=rec.enrolment_date, arm=None, synthetic=rec.synthetic,
                consent_date=rec.consent_date, consent_research=rec.consent_research,
                consent_guardian=rec.consent_guardian))
        errors += enrolment_row_errors(stored.contract, records)
        if errors:
            raise CohortFileError(sorted(errors, key=lambda e: e.row))
        if progress is not None:
            progress(len(frame), 0)
        by_pkey = {pseudonymise(rec.identifier, contract_id, key=key): rec for rec in records}
        for person in updated:
            update_referral(person, by_pkey[person.pkey])
        s.add_all(rows)
        s.flush()
        if progress is not None:
            progress(len(frame), len(rows) + len(updated))
        # the digest covers every participant, those of an import that committed meanwhile too:
        # taken once this transaction is the only writer (READ COMMITTED then sees the other's rows)
        ledger.serialise(s)
        both = rows + updated
        summary = ImportSummary(contract_id, len(both), sum(r.enrolled for r in both), sum(r.eligible for r in both),
                                normalised=tuple(normalised), updated=len(updated))
        if stored.contract.evaluation.analysis_plan.rolling:
            batch, waiting = pending(s, contract_id)
            summary = replace(summary, batch=batch, waiting=waiting,
                              joining=tuple(sorted(rec.identifier for rec in records if rec.enrolled)))
        elif summary.enrolled and stored.contract.evaluation.design.randomised and \
                any(p.arm is not None for p in existing.values()):
            summary = replace(summary, left_out=summary.enrolled)
        ledger.append(s, actor=actor, event=LedgerEvent.COHORT_PARTICIPANTS_IMPORTED, contract_id=contract_id,
                      payload={"rows": summary.rows, "enrolled": summary.enrolled, "eligible": summary.eligible,
                               "updated": summary.updated,
                               "synthetic": any(r.synthetic for r in rows), "file": Path(path).name,
                               "cohort_sha256": rows_digest(participant_lines(s, contract_id))})
    return summary


def _locked(session: Session, write_lock: bool) -> None:
    """With ``write_lock`` on SQLite, take the database's write lock now rather than at the first write
    (a background job's import: its own heartbeat, written meanwhile, would otherwise end this
    transaction's snapshot and fail it); PostgreSQL needs nothing."""
    if write_lock and session.get_bind().dialect.name == "sqlite":
        ledger.serialise(session)


OUTCOME_CHUNK_ROWS = 5_000
"""Rows of a wave file read, checked and saved at a time (memory does not grow with the file)."""


def _shifted(errors: list[RowError], offset: int) -> list[RowError]:
    return [replace(e, row=e.row + offset) if e.row > 1 else e for e in errors]


def import_outcomes(engine: Engine, contract_id: str, wave: str, path: str | Path, *, settings: Settings,
                    actor: str = "cli", as_of: dt.date | None = None, progress: RowsDone | None = None,
                    write_lock: bool = False) -> ImportSummary:
    """Import one follow-up wave (one row per participant followed): all rows or none.

    The file is streamed: each chunk of rows is checked, its participants looked up and its outcomes
    written inside the one transaction, which any refused row rolls back. Every problem is reported
    in one pass: the header's, every row's (identifiers, numbers, ranges, duplicates) and the rows'
    against the stored cohort (unknown participants, not enrolled, already recorded). Under rolling enrolment, a row for
    someone whose wave is not yet due on ``as_of`` (today if None) is refused.
    """
    with session_scope(engine) as s:
        _locked(s, write_lock)
        stored = _contract(s, contract_id)
        key = contract_key(contract_id, master=settings.pseudonym_master)
        repo = CohortRepository(s)
        randomised = stored.contract.evaluation.design.randomised
        months = next((w.months_after_enrolment for w in stored.contract.evaluation.follow_up_waves if w.id == wave), None)
        rolling_months = months if stored.contract.evaluation.analysis_plan.rolling else None
        today = as_of or dt.date.today()
        aliases = header_aliases(wave_columns(stored.contract))
        errors: list[RowError] = []
        withdrawn = withdrawals(s, contract_id)
        blanks: dict[str, int] = {}
        normalised: dict[tuple[str, str, str], int] = {}
        seen: set[str] = set()
        saved = 0
        for start, chunk in iter_table(path, OUTCOME_CHUNK_ROWS):
            frame = rename_headers(chunk, aliases)
            here: set[str] = set()
            duplicates: list[RowError] = []  # an identifier already met in an earlier chunk
            for i, ident in enumerate(frame["participant_id"] if "participant_id" in frame.columns else ()):
                if ident and ident in seen and ident not in here:
                    duplicates.append(RowError(start + i + 2, "participant_id", ident, Msg("duplicate identifier")))
                here.add(ident)
            seen |= here - {""}
            parsed, chunk_blanks, problems, read_as = check_outcomes(frame, stored.contract, wave, header=start == 0)
            errors += duplicates + _shifted(problems, start)
            for n in read_as:
                normalised[(n.column, n.written, n.read_as)] = normalised.get((n.column, n.written, n.read_as), 0) + n.rows
            for k, v in chunk_blanks.items():
                blanks[k] = blanks.get(k, 0) + v
            keys = [pseudonymise(ident, contract_id, key=key) for _, ident, _ in parsed]
            people = repo.participants_for_keys(contract_id, keys)
            already = repo.outcome_participants(contract_id, wave, [p.id for p in people.values()])
            rows: list[dict[str, Any]] = []
            for (line, ident, values), pkey in zip(parsed, keys, strict=True):
                p = people.get(pkey)
                line += start
                if p is None:
                    errors.append(RowError(line, "participant_id", ident, Msg("unknown participant (import the cohort first)")))
                elif p.id in withdrawn:
                    errors.append(RowError(line, "participant_id", ident,
                                           Msg("consent withdrawn on {date}: no outcome is collected after a withdrawal",
                                               date=withdrawn[p.id])))
                elif not p.enrolled:
                    errors.append(RowError(line, "participant_id", ident, Msg("participant not enrolled")))
                elif randomised and p.arm is None:
                    errors.append(RowError(line, "participant_id", ident, Msg("participant not randomised")))
                elif rolling_months is not None and p.enrolment_date is not None and \
                        (due := due_date(p.enrolment_date, rolling_months)) > today:
                    errors.append(RowError(line, "participant_id", ident,
                                           Msg("wave {wave} not yet due for this participant (due on {due})", wave=wave, due=due)))
                elif p.id in already:
                    errors.append(RowError(line, "participant_id", ident,
                                           Msg("outcome for wave {wave} already recorded", wave=wave)))
                else:
                    rows.append({"contract_id": contract_id, "participant_id": p.id, "wave": wave,
                                 "values": canonical_json(values)})
            if not errors:  # nothing more is saved once a problem is found; the rest is still checked
                repo.add_outcomes(rows)
                saved += len(rows)
            if progress is not None:
                progress(start + len(chunk), saved)
        if errors:
            raise CohortFileError(sorted(errors, key=lambda e: e.row))
        ledger.serialise(s)  # the wave's digest, once this transaction is the only writer (see import_participants)
        ledger.append(s, actor=actor, event=LedgerEvent.COHORT_OUTCOMES_IMPORTED, contract_id=contract_id,
                      payload={"wave": wave, "rows": saved, "blank_values": blanks, "file": Path(path).name,
                               "wave_sha256": rows_digest(wave_lines(s, contract_id, wave))})
    return ImportSummary(contract_id, saved, blanks=blanks,
                         normalised=tuple(Normalised(c, w, r, n) for (c, w, r), n in sorted(normalised.items())))

"""Who is in which group, for the people who need to know: the operator serves the programme group,
the evaluator knows both (the contract's research-extract notes say so). Identifiers are never
stored (only their keyed pseudonyms), so the operator brings their own case numbers back (their
participant file, or any CSV/XLSX with that column) and gets each one's group.

Only reads: nothing changes, so nothing is written to the ledger. Every identifier must be known to
the cohort; otherwise every problem is listed at once, as an import would, and no group is given.
People not enrolled, or enrolled but not yet drawn, are answered as such (no group).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from temoin.errors import InvalidInputError
from temoin.evaluation.cohort_file import CohortFileError, RowError, rename_headers
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.messages import Msg
from temoin.services._tables import iter_table
from temoin.services.cohort_columns import header_aliases, participant_columns
from temoin.services.cohort_frame import latest_contract
from temoin.settings import Settings
from temoin.store import session_scope
from temoin.store.cohorts import CohortRepository

__all__ = ["PROGRAMME", "Group", "GroupsFileError", "groups_of"]

PROGRAMME = 1
"""The arm the programme serves (0: the comparison group)."""
CHUNK_ROWS = 5_000


class GroupsFileError(CohortFileError):
    """A file of case numbers refused as a whole, every problem listed (like an import's refusal,
    said as a question unanswered: nothing is saved by asking)."""

    def __init__(self, errors: list[RowError]) -> None:
        first = errors[0]
        InvalidInputError.__init__(
            self, "groups.file_refused",
            Msg("No group given: {n} problem(s) in the file.", n=len(errors)), path=first.column, line=first.row,
            hint=Msg("Fix the rows listed (each case number as written in your participant file), then send the whole file again."))
        self.errors = errors
        self.count = len(errors)


@dataclass(frozen=True)
class Group:
    identifier: str
    """The operator's own case number, as written in their file."""
    arm: int | None
    """1: the programme group; 0: the comparison group; None: no group (see ``enrolled``)."""
    enrolled: bool = True
    """False: not enrolled, so never drawn; True with no arm: waiting for the next draw."""


def groups_of(engine: Engine, contract_id: str, path: str | Path, *, settings: Settings) -> list[Group]:
    """Each identifier of the file's participant column, in the file's order, with its group.

    Refused, with every problem listed (row, identifier, why): a file without the participant
    column, an empty or unknown identifier. A contract
    whose design draws no groups is refused as a whole."""
    with session_scope(engine) as s:  # reads only
        stored = latest_contract(s, contract_id)
        if not stored.contract.evaluation.design.randomised:
            raise InvalidInputError(
                "groups.not_randomised_design",
                Msg("Contract {contract} draws no groups: its design is not randomised.", contract=contract_id),
                path="evaluation.design")
        key = contract_key(contract_id, master=settings.pseudonym_master)
        repo = CohortRepository(s)
        aliases = header_aliases(participant_columns(stored.contract)[:1])
        out: list[Group] = []
        errors: list[RowError] = []
        for start, chunk in iter_table(path, CHUNK_ROWS):
            frame = rename_headers(chunk, aliases)
            if "participant_id" not in frame.columns:
                raise GroupsFileError([RowError(1, "participant_id", "", Msg("required column missing"))])
            idents = [str(v).strip() for v in frame["participant_id"]]
            keys = [pseudonymise(i, contract_id, key=key) if i else "" for i in idents]
            people = repo.participants_for_keys(contract_id, keys)
            for offset, (ident, pkey) in enumerate(zip(idents, keys, strict=True)):
                line = start + offset + 2
                p = people.get(pkey)
                if not ident:
                    errors.append(RowError(line, "participant_id", "", Msg("missing identifier")))
                elif p is None:
                    errors.append(RowError(line, "participant_id", ident, Msg("unknown participant (import the cohort first)")))
                else:
                    out.append(Group(ident, None if p.arm is None else int(p.arm), bool(p.enrolled)))
        if errors:
            raise GroupsFileError(errors)
    return out

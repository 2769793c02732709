"""Research-extract requests: a researcher (any signed-in account) asks for an extract of a
contract's data, saying why and which fields; the contract's payer agrees or refuses, with a reason;
on agreement the extract is made k-anonymous and pseudonymised (``temoin.opendata.research``) in
the same transaction, kept for its requester alone, and logged in the ledger with its digest.

Each function owns its transaction and writes its ledger entry; a refused action writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from temoin.contract.model import Contract
from temoin.errors import ConflictError, InvalidInputError, NotFoundError
from temoin.evaluation.run import outcome_column
from temoin.governance.ledger import LedgerEvent
from temoin.messages import Msg
from temoin.opendata.codebook import CODEBOOK_SCHEMA, codebook, readme
from temoin.opendata.publication import to_csv
from temoin.opendata.research import build_extract
from temoin.services.evaluations import participants_frame
from temoin.settings import Settings
from temoin.store import ledger, session_scope
from temoin.store.contracts import ContractRepository
from temoin.store.models.extracts import ExtractRequestRow

__all__ = ["ExtractPart", "ExtractRequest", "RequestState", "decide_extract", "extract_fields", "extract_file",
           "list_requests", "request_extract"]

BASE_FIELDS = ("arm", "eligible", "enrolled", "referral_date", "enrolment_date", "synthetic")
MAX_PURPOSE = 4000


class RequestState(StrEnum):
    PENDING = "pending"
    REFUSED = "refused"
    MADE = "made"


class ExtractPart(StrEnum):
    """The three files of an extract: the data, its codebook, its README."""

    DATA = "data"
    CODEBOOK = "codebook"
    README = "readme"


@dataclass(frozen=True)
class ExtractRequest:
    id: int
    contract_id: str
    requester: str
    purpose: str
    fields: tuple[str, ...]
    created_at: dt.datetime
    decision_reason: str | None
    decided_at: dt.datetime | None
    decided_by: str | None
    made_at: dt.datetime | None
    k: int | None
    sha256: str | None
    state: RequestState

    @classmethod
    def of(cls, row: ExtractRequestRow) -> ExtractRequest:
        state = (RequestState.PENDING if row.decision is None else
                 RequestState.REFUSED if row.decision == "refused" else RequestState.MADE)
        return cls(row.id, row.contract_id, row.requester, row.purpose, tuple(json.loads(row.fields)), row.created_at,
                   row.decision_reason, row.decided_at, row.decided_by, row.made_at, row.k, row.sha256, state)


def extract_fields(contract: Contract, lang: str = "fr") -> list[tuple[str, str | Msg]]:
    """(column, what it holds) of every field a researcher may ask for: the arm and the cohort's
    steps, each population attribute, and each indicator at each wave; the fields the contract
    withholds from research are not offered. The contract's own labels are in ``lang``."""
    withheld = set(contract.research_extract.withheld)
    out: list[tuple[str, str | Msg]] = [(f, Msg(f"label:extract_field:{f}")) for f in BASE_FIELDS]
    out += [(a.name, a.label.get(lang)) for a in contract.population.attributes]
    for ind in contract.indicators:
        for wave in contract.evaluation.follow_up_waves:
            out.append((outcome_column(ind.id, wave.id), Msg("{indicator}, wave {wave}", indicator=ind.label.get(lang),
                                                             wave=wave.id)))
    return [(name, label) for name, label in out if name not in withheld]


def _contract(s: Session, contract_id: str) -> Contract:
    return ContractRepository(s).latest(contract_id).contract


def request_extract(engine: Engine, contract_id: str, *, account_id: int, requester: str, purpose: str,
                    fields: list[str], actor: str) -> ExtractRequest:
    """Record a researcher's request (purpose and fields), with its ledger entry."""
    purpose = purpose.strip()
    if not purpose:
        raise InvalidInputError("extract.purpose", Msg("Say what the extract is for."), path="purpose",
                                hint=Msg("Describe the research question and who will work on the data."))
    if len(purpose) > MAX_PURPOSE:
        raise InvalidInputError("extract.purpose_long", Msg("The purpose is too long ({n} characters).", n=len(purpose)),
                                path="purpose", hint=Msg("Keep it under {limit} characters.", limit=MAX_PURPOSE))
    with session_scope(engine) as s:
        offered = [name for name, _ in extract_fields(_contract(s, contract_id))]
        chosen = [f for f in offered if f in set(fields)]
        unknown = sorted(set(fields) - set(offered))
        if unknown:
            raise InvalidInputError("extract.fields_unknown", Msg("Fields not offered: {fields}.", fields=unknown),
                                    path="fields", hint=Msg("Choose among the fields listed."))
        if not chosen:
            raise InvalidInputError("extract.fields", Msg("No field chosen."), path="fields",
                                    hint=Msg("Tick the fields your research needs."))
        row = ExtractRequestRow(contract_id=contract_id, account_id=account_id, requester=requester, purpose=purpose,
                                fields=json.dumps(chosen))
        s.add(row)
        s.flush()
        ledger.append(s, actor=actor, event=LedgerEvent.EXTRACT_REQUESTED, contract_id=contract_id,
                      payload={"request": row.id, "requester": requester, "purpose": purpose, "fields": chosen})
        return ExtractRequest.of(row)


def _row(s: Session, request_id: int, contract_id: str | None = None, *, lock: bool = False) -> ExtractRequestRow:
    q = select(ExtractRequestRow).where(ExtractRequestRow.id == request_id)
    row = s.execute(q.with_for_update() if lock else q).scalar_one_or_none()
    if row is None or (contract_id is not None and row.contract_id != contract_id):
        raise NotFoundError("extract.not_found", Msg("Unknown extract request: #{number}.", number=str(request_id)),
                            path="request")
    return row


def decide_extract(engine: Engine, request_id: int, *, contract_id: str, agree: bool, reason: str, actor: str,
                   settings: Settings) -> ExtractRequest:
    """The payer's decision. A refusal needs its reason. An agreement makes the extract at once,
    k-anonymous on the settings' ``k_anonymity``: if it cannot be, nothing is recorded and the
    refusal says why."""
    reason = reason.strip()
    if not agree and not reason:
        raise InvalidInputError("extract.refusal_reason", Msg("A refusal must give its reason."), path="reason",
                                hint=Msg("Tell the researcher why, so that they can ask again differently."))
    with session_scope(engine) as s:
        ledger.serialise(s)  # one decision at a time
        row = _row(s, request_id, contract_id, lock=True)
        if row.decision is not None:
            raise ConflictError("extract.decided", Msg("Request #{number} is already decided.", number=str(row.id)))
        now = dt.datetime.now(dt.UTC)
        row.decision, row.decision_reason, row.decided_at, row.decided_by = (
            "agreed" if agree else "refused", reason or None, now, actor)
        if not agree:
            ledger.append(s, actor=actor, event=LedgerEvent.EXTRACT_REFUSED, contract_id=row.contract_id,
                          payload={"request": row.id, "reason": reason})
            s.flush()
            return ExtractRequest.of(row)
        stored = ContractRepository(s).latest(row.contract_id)
        fields = json.loads(row.fields)
        frame = participants_frame(s, row.contract_id)
        frame = frame[[c for c in frame.columns if c in set(fields) | {"pkey", "consent"}]]
        k = settings.k_anonymity
        extract = build_extract(frame, stored.contract, k=k)  # may refuse: nothing recorded
        name = f"extrait-{row.contract_id}-{row.id}.csv"
        texts = {ExtractPart.DATA: extract.frame.to_csv(index=False, lineterminator="\n"),
                 ExtractPart.CODEBOOK: to_csv(codebook(extract, stored.contract), CODEBOOK_SCHEMA),
                 ExtractPart.README: readme(extract, stored.contract, data_file=name,
                                            codebook_file=name.replace(".csv", "-dictionnaire.csv"), k=k)}
        digests = {part.value: hashlib.sha256(text.encode("utf-8")).hexdigest() for part, text in texts.items()}
        row.extract_csv, row.codebook_csv, row.readme = (texts[ExtractPart.DATA], texts[ExtractPart.CODEBOOK],
                                                         texts[ExtractPart.README])
        row.made_at, row.k, row.sha256 = now, k, digests[ExtractPart.DATA.value]
        ledger.append(s, actor=actor, event=LedgerEvent.EXTRACT_AGREED, contract_id=row.contract_id,
                      payload={"request": row.id, "reason": reason or None})
        ledger.append(s, actor=actor, event=LedgerEvent.OPENDATA_RESEARCH_EXTRACT, contract_id=row.contract_id, payload={
            "request": row.id, "requester": row.requester, "contract_version": stored.version, "file": name,
            "sha256": digests[ExtractPart.DATA.value], "files": digests, **extract.report()})
        s.flush()
        return ExtractRequest.of(row)


def list_requests(engine: Engine, *, contract_id: str | None = None, account_id: int | None = None) -> list[ExtractRequest]:
    with session_scope(engine) as s:
        q = select(ExtractRequestRow).order_by(ExtractRequestRow.id)
        if contract_id is not None:
            q = q.where(ExtractRequestRow.contract_id == contract_id)
        if account_id is not None:
            q = q.where(ExtractRequestRow.account_id == account_id)
        return [ExtractRequest.of(r) for r in s.execute(q).scalars()]


def extract_file(engine: Engine, request_id: int, part: ExtractPart | str, *, account_id: int) -> tuple[str, str]:
    """(file name, text) of a made extract, for its requester only (anyone else: unknown)."""
    if part not in [p.value for p in ExtractPart]:
        raise NotFoundError("extract.part", Msg("Unknown file: '{part}'.", part=part), path="part")
    with session_scope(engine) as s:
        row = _row(s, request_id)
        if row.account_id != account_id:
            raise NotFoundError("extract.not_found", Msg("Unknown extract request: #{number}.", number=str(request_id)),
                                path="request")
        if row.made_at is None:
            raise ConflictError("extract.not_made", Msg("This extract has not been made."), path="request")
        base = f"extrait-{row.contract_id}-{row.id}"
        return {ExtractPart.DATA: (f"{base}.csv", row.extract_csv or ""),
                ExtractPart.CODEBOOK: (f"{base}-dictionnaire.csv", row.codebook_csv or ""),
                ExtractPart.README: (f"{base}-LISEZMOI.md", row.readme or "")}[ExtractPart(part)]

"""The stored records checked against the audit-ledger entries that vouch for them.

The chain (:func:`temoin.store.ledger.verify`) proves the ledger was not altered; this module proves
the records the ledger speaks of were not altered either: contract versions (their document
against the ``content_hash`` entered), participants and follow-up outcomes (their rows against the
``cohort_sha256`` and ``wave_sha256`` of the latest import; for imports made before those digests
existed, the number of rows), the random assignment (the participants' arms against the latest
randomisation's ``list_hash``; under rolling enrolment, each batch's row and its members' arms
against the batch's entry), the analysis plan's locks and amendments, evaluation results,
settlements (inputs, outputs and the amount paid) and their sign-offs, consent withdrawals and
rectifications. A record changed, removed, or added without an entry is named, with the entry it
was checked against.

An erasure of personal data (``rgpd.erased``) deletes rows on purpose: its entry carries the digests
of what remains (participants, each wave touched, the assignment, withdrawals, rectifications), so
the records are checked against the latest of the import and the erasure, and the erasure is named.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from temoin.contract.data_protection import ErasureRule
from temoin.evaluation.randomisation import assignment_hash
from temoin.governance.ledger import (
    LedgerEvent,
    RecordKind,
    RecordProblem,
    RecordProblemKind,
    rows_digest,
)
from temoin.messages import Msg
from temoin.store.cohorts import (
    assignment,
    batch_member_lines,
    batch_members,
    members_digest,
    participant_lines,
    wave_lines,
)
from temoin.store.models.cohorts import (
    EnrolmentBatchRow,
    EvaluationResultRow,
    OutcomeRow,
    ParticipantRow,
    PlanLockRow,
    RandomisationRow,
)
from temoin.store.models.contracts import ContractRow, ContractVersionRow
from temoin.store.models.governance import CallDocumentRow
from temoin.store.models.ledger import LedgerRow
from temoin.store.models.settlements import SettlementApprovalRow, SettlementRow
from temoin.store.rgpd import rectification_lines, withdrawal_lines

__all__ = ["RecordsCheck", "verify_records"]

APPROVAL_EVENTS = {LedgerEvent.SETTLEMENT_EVALUATOR_CERTIFICATION.value: "evaluator_certification",
                   LedgerEvent.SETTLEMENT_PAYER_APPROVAL.value: "payer_approval",
                   LedgerEvent.SETTLEMENT_OBSERVER_ACKNOWLEDGEMENT.value: "observer_acknowledgement"}


@dataclass
class RecordsCheck:
    problems: list[RecordProblem] = field(default_factory=list)
    checked: int = 0
    counted_only: int = 0
    erasures: list[Msg] = field(default_factory=list)
    """Each erasure entry the check accounted for, in words."""

    def differs(self, kind: RecordKind, ref: str, seq: int | None, what: Msg) -> None:
        self.problems.append(RecordProblem(kind, ref, RecordProblemKind.DIFFERS, seq, what))

    def missing(self, kind: RecordKind, ref: str, seq: int) -> None:
        self.problems.append(RecordProblem(kind, ref, RecordProblemKind.MISSING, seq,
                                           Msg("the entry names it, the database no longer has it")))

    def unrecorded(self, kind: RecordKind, ref: str) -> None:
        self.problems.append(RecordProblem(kind, ref, RecordProblemKind.UNRECORDED, None,
                                           Msg("added without going through Témoin")))

    def compare(self, kind: RecordKind, ref: str, seq: int, name: str, stored: object, entered: object) -> bool:
        """One field of a record against the value the entry fixed; a difference is recorded."""
        if stored == entered:
            return True
        self.differs(kind, ref, seq, Msg("{name} is {stored} in the database, {entered} in the ledger", name=name,
                                         stored=str(stored), entered=str(entered)))
        return False


@dataclass(frozen=True)
class _Entry:
    seq: int
    event: str
    contract_id: str | None
    payload: dict[str, Any]


def _entries(session: Session) -> list[_Entry]:
    out = []
    for seq, event, contract_id, payload in session.execute(
            select(LedgerRow.seq, LedgerRow.event, LedgerRow.contract_id, LedgerRow.payload).order_by(LedgerRow.seq)):
        try:
            data = json.loads(payload)
        except json.JSONDecodeError:  # the chain check reports the altered entry
            data = {}
        out.append(_Entry(seq, event, contract_id, data if isinstance(data, dict) else {}))
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _by_event(entries: Iterable[_Entry], *events: LedgerEvent) -> list[_Entry]:
    names = {e.value for e in events}
    return [e for e in entries if e.event in names]


def _contract_versions(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    K = RecordKind.CONTRACT_VERSION
    rows = {(c, v): (doc, h) for c, v, doc, h in s.execute(select(
        ContractVersionRow.contract_id, ContractVersionRow.version, ContractVersionRow.document, ContractVersionRow.content_hash))}
    seen: dict[str, tuple[int, int]] = {}
    for e in _by_event(entries, LedgerEvent.CONTRACT_VERSION_CREATED):
        key = (e.contract_id or "", int(e.payload.get("version") or 0))
        ref = f"{key[0]} v{key[1]}"
        out.checked += 1
        if key not in rows:
            out.missing(K, ref, e.seq)
            continue
        document, stored_hash = rows.pop(key)
        entered = e.payload.get("content_hash")
        if out.compare(K, ref, e.seq, "content_hash", stored_hash, entered):
            out.compare(K, ref, e.seq, "SHA-256(document)", _sha(document), entered)
        if key[1] > seen.get(key[0], (0, 0))[0]:
            seen[key[0]] = (key[1], e.seq)
    for c, v in sorted(rows):
        out.unrecorded(K, f"{c} v{v}")
    for cid, latest in s.execute(select(ContractRow.id, ContractRow.latest_version)):
        version, seq = seen.get(cid, (0, 0))
        if version and latest != version:
            out.differs(K, cid, seq, Msg("the latest version pointed to is v{latest}, the ledger says v{version}",
                                         latest=str(latest), version=str(version)))


def _rows_against_digest(out: RecordsCheck, kind: RecordKind, ref: str, imports: list[_Entry], digest_key: str,
                         lines: list[str]) -> None:
    """A record set against the digest of its latest import (or, for imports made before digests,
    the sum of the rows they declared)."""
    out.checked += 1
    if not imports:
        if lines:
            out.unrecorded(kind, f"{ref} ({len(lines)})")
        return
    last = imports[-1]
    entered = last.payload.get(digest_key)
    if entered is not None:
        if rows_digest(lines) != entered:
            declared = sum(int(e.payload.get("rows") or 0) for e in imports)
            out.differs(kind, ref, last.seq,
                        Msg("the {rows} row(s) stored no longer give the {digest} digest (ledger: {declared} row(s))",
                            rows=len(lines), digest=digest_key, declared=declared))
        return
    out.counted_only += 1
    out.compare(kind, ref, last.seq, "rows", len(lines), sum(int(e.payload.get("rows") or 0) for e in imports))


def _cohorts(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    contracts = {c for (c,) in s.execute(select(ParticipantRow.contract_id).distinct())}
    erased = _by_event(entries, LedgerEvent.PERSONAL_DATA_ERASED)
    imports = sorted([*_by_event(entries, LedgerEvent.COHORT_PARTICIPANTS_IMPORTED),
                      *(_Entry(e.seq, e.event, e.contract_id, {"rows": -int(e.payload.get("people") or 0),
                                                              "cohort_sha256": e.payload.get("cohort_sha256")})
                        for e in erased if "cohort_sha256" in e.payload)], key=lambda e: e.seq)
    contracts |= {e.contract_id for e in imports if e.contract_id}
    for cid in sorted(contracts):
        _rows_against_digest(out, RecordKind.PARTICIPANTS, cid, [e for e in imports if e.contract_id == cid],
                             "cohort_sha256", participant_lines(s, cid))
    waves = {(c, w) for c, w in s.execute(select(OutcomeRow.contract_id, OutcomeRow.wave).distinct())}
    wave_imports = sorted([*_by_event(entries, LedgerEvent.COHORT_OUTCOMES_IMPORTED),
                           *(_Entry(e.seq, e.event, e.contract_id,
                                    {"wave": w, "wave_sha256": d, "rows": -int((e.payload.get("outcomes") or {}).get(w) or 0)})
                             for e in erased for w, d in (e.payload.get("waves") or {}).items())], key=lambda e: e.seq)
    waves |= {(e.contract_id, str(e.payload.get("wave"))) for e in wave_imports if e.contract_id}
    for cid, wave in sorted(waves):
        mine = [e for e in wave_imports if e.contract_id == cid and str(e.payload.get("wave")) == wave]
        _rows_against_digest(out, RecordKind.OUTCOMES, f"{cid} / {wave}", mine, "wave_sha256", wave_lines(s, cid, wave))
    _assignments(s, entries, out)


def _assignments(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    K = RecordKind.ASSIGNMENT
    randomised = _by_event(entries, LedgerEvent.COHORT_RANDOMISED)
    rows: dict[str, list[RandomisationRow]] = defaultdict(list)
    for r in s.execute(select(RandomisationRow).order_by(RandomisationRow.id)).scalars():
        rows[r.contract_id].append(r)
    contracts = set(rows) | {e.contract_id for e in randomised if e.contract_id}
    contracts |= {c for (c,) in s.execute(select(ParticipantRow.contract_id).where(ParticipantRow.arm.is_not(None)).distinct())}
    for cid in sorted(contracts):
        mine = [e for e in randomised if e.contract_id == cid]
        stored = rows.get(cid, [])
        for k, e in enumerate(mine):
            ref = f"{cid} #{k + 1}"
            out.checked += 1
            if k >= len(stored):
                out.missing(K, ref, e.seq)
                continue
            r = stored[k]
            for name, have, entered in (("list_hash", r.list_hash, e.payload.get("list_hash")), ("seed", r.seed, e.payload.get("seed")),
                                        ("n", r.n, e.payload.get("n")), ("n_treated", r.n_treated, e.payload.get("n_treated"))):
                if not out.compare(K, ref, e.seq, name, have, entered):
                    break
        for k in range(len(mine), len(stored)):
            out.unrecorded(K, f"{cid} #{k + 1}")
        keys, arms = assignment(s, cid)
        out.checked += 1
        if not mine:
            if keys:
                out.unrecorded(K, f"{cid} ({len(keys)})")
            continue
        now = assignment_hash(keys, arms)
        last = max([mine[-1], *(e for e in _by_event(entries, LedgerEvent.PERSONAL_DATA_ERASED)
                                if e.contract_id == cid and "list_hash" in e.payload)], key=lambda e: e.seq)
        if now != last.payload.get("list_hash"):
            out.differs(K, cid, last.seq, Msg("the arms of {count} participant(s) no longer give list_hash",
                                              count=len(keys)))


def _batches(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    """Rolling enrolment: each batch's row (seed, member list, state) against its entry, and the arms of
    its members against the batch's own ``list_hash``; after an erasure in the batch, the member list
    (erased places ``null``) and the arms against the erasure's digests."""
    K = RecordKind.ASSIGNMENT
    entered = [e for e in _by_event(entries, LedgerEvent.COHORT_RANDOMISED) if "batch" in e.payload]
    rows = {(r.contract_id, r.number): r for r in s.execute(select(EnrolmentBatchRow)).scalars()}
    arms: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for cid, pkey, arm, batch in s.execute(select(ParticipantRow.contract_id, ParticipantRow.pkey, ParticipantRow.arm,
                                                  ParticipantRow.batch).where(ParticipantRow.batch.is_not(None))):
        arms[(cid, int(batch or 0))].append((pkey, int(arm if arm is not None else -1)))
    seen: set[tuple[str, int]] = set()
    for e in entered:
        key = (str(e.contract_id), int(e.payload["batch"]))
        ref = f"{key[0]} batch {key[1]}"
        seen.add(key)
        out.checked += 1
        r = rows.get(key)
        if r is None:
            out.missing(K, ref, e.seq)
            continue
        members = members_digest(batch_member_lines(json.loads(r.labels), batch_members(s, key[0], key[1])))
        keys, stored_arms = [k for k, _ in arms.get(key, [])], [a for _, a in arms.get(key, [])]
        since = [x for x in _by_event(entries, LedgerEvent.PERSONAL_DATA_ERASED) if x.contract_id == key[0]
                 and x.seq > e.seq and str(key[1]) in (x.payload.get("batches") or {})]
        arms_entered = since[-1].payload["batches"][str(key[1])] if since else e.payload.get("batch_list_hash")
        members_entered = (since[-1].payload.get("batch_members") or {}).get(str(key[1])) if since else e.payload.get("members_sha256")
        checks = [("seed", r.seed, e.payload.get("seed")), ("batch_n", r.n, e.payload.get("batch_n")),
                  ("batch_list_hash", r.list_hash, e.payload.get("batch_list_hash")),
                  ("members_sha256", r.members_sha256, e.payload.get("members_sha256")),
                  ("state_sha256", _sha(r.state), e.payload.get("state_sha256"))]
        if members_entered is not None:  # an erasure made before 0018 left no digest of the members that remain
            checks.append(("SHA-256(members)", members, members_entered))
        checks.append(("arms", assignment_hash(keys, stored_arms), arms_entered))
        for name, have, want in checks:
            if not out.compare(K, ref, e.seq, name, have, want):
                break
    for key in sorted(set(rows) - seen):
        out.unrecorded(K, f"{key[0]} batch {key[1]}")


def _plans(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    K = RecordKind.PLAN
    locks = _by_event(entries, LedgerEvent.PLAN_LOCKED, LedgerEvent.PLAN_AMENDED)
    rows: dict[str, list[PlanLockRow]] = defaultdict(list)
    for r in s.execute(select(PlanLockRow).order_by(PlanLockRow.id)).scalars():
        rows[r.contract_id].append(r)
    for cid in sorted(set(rows) | {e.contract_id for e in locks if e.contract_id}):
        mine = [e for e in locks if e.contract_id == cid]
        stored = rows.get(cid, [])
        for k, e in enumerate(mine):
            ref = f"{cid} #{k + 1}"
            out.checked += 1
            if k >= len(stored):
                out.missing(K, ref, e.seq)
                continue
            r = stored[k]
            entered = e.payload.get("plan_hash") if e.event == LedgerEvent.PLAN_LOCKED.value else e.payload.get("to_hash")
            if out.compare(K, ref, e.seq, "plan_hash", r.plan_hash, entered) and \
                    out.compare(K, ref, e.seq, "SHA-256(plan)", _sha(r.plan), entered) and \
                    e.event == LedgerEvent.PLAN_AMENDED.value:
                out.compare(K, ref, e.seq, "reason", r.reason, e.payload.get("reason"))
        for k in range(len(mine), len(stored)):
            out.unrecorded(K, f"{cid} #{k + 1}")


def _evaluations(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    K = RecordKind.EVALUATION
    rows: dict[str, dict[tuple[str, str], EvaluationResultRow]] = defaultdict(dict)
    for r in s.execute(select(EvaluationResultRow)).scalars():
        rows[r.run_id][(r.indicator, r.wave)] = r
    for e in _by_event(entries, LedgerEvent.EVALUATION_RECORDED):
        run = str(e.payload.get("run_id"))
        stored = rows.pop(run, {})
        for res in e.payload.get("results") or []:
            key = (str(res.get("indicator")), str(res.get("wave")))
            ref = f"{e.contract_id} {key[0]}/{key[1]} ({run[:8]})"
            out.checked += 1
            found = stored.pop(key) if key in stored else None
            if found is None:
                out.missing(K, ref, e.seq)
            elif out.compare(K, ref, e.seq, "result_hash", found.result_hash, res.get("result_hash")):
                out.compare(K, ref, e.seq, "SHA-256(result)", _result_hash(found.result), found.result_hash)
        for ind, wave in sorted(stored):
            out.unrecorded(K, f"{e.contract_id} {ind}/{wave} ({run[:8]})")
    for run, left in sorted(rows.items()):
        for ind, wave in sorted(left):
            out.unrecorded(K, f"{left[(ind, wave)].contract_id} {ind}/{wave} ({run[:8]})")


def _result_hash(text: str) -> str:
    """The ``result_hash`` of a stored result: SHA-256 of its JSON with sorted keys, where the
    values JSON cannot hold (NaN, written null when stored) are NaN again, as when it was hashed."""
    data = json.loads(text)
    effect = data.get("effect")
    if isinstance(effect, dict):
        for k in ("p_value", "df", "std_error", "estimate", "ci_low", "ci_high"):
            if k in effect and effect[k] is None:
                effect[k] = float("nan")
    return _sha(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def _settlements(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    K = RecordKind.SETTLEMENT
    rows = {r.id: r for r in s.execute(select(SettlementRow)).scalars()}
    for e in _by_event(entries, LedgerEvent.SETTLEMENT_RECORDED, LedgerEvent.SETTLEMENT_SUPERSEDED):
        sid = int(e.payload.get("settlement_id") or 0)
        ref = f"#{sid}"
        out.checked += 1
        r = rows.pop(sid, None)
        if r is None:
            out.missing(K, ref, e.seq)
            continue
        try:
            outputs_total = _decimal(json.loads(r.outputs).get("total_paid"))
        except (json.JSONDecodeError, AttributeError):
            outputs_total = None
        checks = (("total_paid", _decimal(r.total_paid), _decimal(e.payload.get("total_paid"))),
                  ("outputs.total_paid", outputs_total, _decimal(e.payload.get("total_paid"))),
                  ("outputs_hash", r.outputs_hash, e.payload.get("outputs_hash")),
                  ("SHA-256(outputs)", _sha(r.outputs), e.payload.get("outputs_hash")),
                  ("inputs_hash", r.inputs_hash, e.payload.get("inputs_hash")),
                  ("SHA-256(inputs)", _sha(r.inputs), e.payload.get("inputs_hash")),
                  ("contract_hash", r.contract_hash, e.payload.get("contract_hash")),
                  ("contract_version", r.contract_version, e.payload.get("contract_version")),
                  ("currency", r.currency, e.payload.get("currency")),
                  ("supersedes", r.supersedes_id, e.payload.get("supersedes")),
                  ("contract_id", r.contract_id, e.contract_id))
        for name, have, entered in checks:
            if not out.compare(K, ref, e.seq, name, have, entered):
                break
    for sid in sorted(rows):
        out.unrecorded(K, f"#{sid}")
    approvals = {(a.settlement_id, a.kind): a for a in s.execute(select(SettlementApprovalRow)).scalars()}
    for e in entries:
        kind = APPROVAL_EVENTS.get(e.event)
        if kind is None:
            continue
        key = (int(e.payload.get("settlement_id") or 0), kind)
        ref = f"#{key[0]} {kind}"
        out.checked += 1
        a = approvals.pop(key, None)
        if a is None:
            out.missing(RecordKind.APPROVAL, ref, e.seq)
            continue
        for name, have, entered in (("party", a.party_id, e.payload.get("party")), ("person", a.person, e.payload.get("person")),
                                    ("comment", a.comment, e.payload.get("comment"))):
            if not out.compare(RecordKind.APPROVAL, ref, e.seq, name, have, entered):
                break
    for sid, kind in sorted(approvals):
        out.unrecorded(RecordKind.APPROVAL, f"#{sid} {kind}")


def _call_documents(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    """Each application document against the SHA-256 its entry fixed (its bytes are hashed again)."""
    K = RecordKind.CALL_DOCUMENT
    stored: dict[tuple[str, str, str], list[bytes]] = {}
    for call, app, name, content in s.execute(select(CallDocumentRow.call_id, CallDocumentRow.application,
                                                     CallDocumentRow.filename, CallDocumentRow.content)):
        stored.setdefault((call, app, name), []).append(bytes(content))
    for e in _by_event(entries, LedgerEvent.CALL_DOCUMENT_ADDED):
        key = (str(e.payload.get("call")), str(e.payload.get("application")), str(e.payload.get("file")))
        ref = "/".join(key)
        out.checked += 1
        contents = stored.get(key)
        if not contents:
            out.missing(K, ref, e.seq)
            continue
        content = contents.pop(0)
        out.compare(K, ref, e.seq, "sha256", hashlib.sha256(content).hexdigest(), e.payload.get("sha256"))
    for key, rest in stored.items():
        if rest:
            out.unrecorded(K, "/".join(key))


def _rgpd(s: Session, entries: list[_Entry], out: RecordsCheck) -> None:
    """Consent withdrawals and rectifications against the latest digest entered for each contract;
    then each erasure, named."""
    for kind, key, lines, events in (
            (RecordKind.WITHDRAWALS, "withdrawals_sha256", withdrawal_lines, (LedgerEvent.CONSENT_WITHDRAWN,)),
            (RecordKind.RECTIFICATIONS, "rectifications_sha256", rectification_lines, (LedgerEvent.PARTICIPANT_RECTIFIED,))):
        mine = [e for e in _by_event(entries, *events, LedgerEvent.PERSONAL_DATA_ERASED) if key in e.payload]
        stored = {c for (c,) in s.execute(select(ParticipantRow.contract_id).distinct())}
        for cid in sorted(stored | {e.contract_id for e in mine if e.contract_id}):
            found = lines(s, cid)
            theirs = [e for e in mine if e.contract_id == cid]
            if not theirs and not found:
                continue
            out.checked += 1
            if not theirs:
                out.unrecorded(kind, f"{cid} ({len(found)})")
            elif rows_digest(found) != theirs[-1].payload.get(key):
                out.differs(kind, cid, theirs[-1].seq, Msg("the {rows} row(s) stored no longer give the {digest} digest",
                                                           rows=len(found), digest=key))
    for e in _by_event(entries, LedgerEvent.PERSONAL_DATA_ERASED):
        out.erasures.append(Msg("Entry {seq}: personal data of {people} person(s) of {contract} erased on {date} under "
                                "the rule “{rule}”; the records are checked against what remains.",
                                seq=e.seq, people=int(e.payload.get("people") or 0), contract=e.contract_id or "",
                                date=_date(e.payload.get("erased_on")), rule=_rule(e.payload.get("erasure_rule"))))


def _date(value: Any) -> object:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value)


def _rule(value: Any) -> object:
    try:
        return ErasureRule(str(value))
    except ValueError:
        return str(value)


def verify_records(session: Session) -> RecordsCheck:
    """Every record the ledger vouches for, against its entry; problems in ledger order (records no
    entry vouches for last)."""
    entries = _entries(session)
    out = RecordsCheck()
    for check in (_contract_versions, _cohorts, _batches, _plans, _evaluations, _settlements, _call_documents,
                  _rgpd):
        check(session, entries, out)
    out.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))
    return out

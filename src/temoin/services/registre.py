"""The data-protection file of a contract: the record of processing (GDPR art. 30) and a pre-filled
impact assessment (AIPD) following the CNIL's method (context; necessity and proportionality; risks
with their measures; validation), for the data protection officer to complete and sign.

Everything is read from the contract and from the :class:`~temoin.settings.Settings` actually passed
in: a security measure is listed as configured (upload limits, session lifetime, the argon2id cost,
whether the pseudonym secret is set, TLS as the addresses say), never as it should be; hosting and
backups as the host states them, and each risk with a proposed severity and likelihood derived from
all this (:mod:`temoin.services.aipd`). Sentences are
messages (``Msg``) rendered in the reader's language by :mod:`temoin.reports.rgpd`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import Engine

from temoin.contract.data_protection import DataClass, DataProtection, LegalBasis, retention_end
from temoin.contract.model import Contract, Role
from temoin.messages import Msg
from temoin.services.accounts import SESSION_LIFETIME, hash_parameters
from temoin.services.aipd import backups, hosting, proposed_risks, transfers
from temoin.services.erasure import erasures
from temoin.settings import DEV_PSEUDONYM_SECRET, DEV_SECRET, Settings
from temoin.store import session_scope
from temoin.store.contracts import ContractRepository

__all__ = ["processing_record", "security_measures"]

RECIPIENTS: dict[Role, Msg] = {
    Role.OPERATOR: Msg("collects the participants' data and sends them (their case number is turned into a pseudonym "
                       "on arrival); answers the people's requests"),
    Role.EVALUATOR: Msg("reads the pseudonymised participants and their outcomes; sends the follow-up waves"),
    Role.OUTCOME_PAYER: Msg("reads aggregated results only (effects, counts); approves payments"),
    Role.INVESTOR: Msg("reads aggregated results only"),
    Role.OBSERVER: Msg("reads aggregated results only"),
}


def _tls_database(url: str) -> Msg:
    if url.startswith("sqlite"):
        return Msg("SQLite file on the server itself: no network connection to protect; protect the file and its backups.")
    mode = (parse_qs(urlparse(url).query).get("sslmode") or [""])[0]
    if mode in ("require", "verify-ca", "verify-full"):
        return Msg("PostgreSQL over TLS (sslmode={mode}).", mode=mode)
    return Msg("PostgreSQL without TLS required by the address (no sslmode=require): acceptable only on the same host.")


def security_measures(settings: Settings) -> list[Msg]:
    """The security measures as the settings configure them, one sentence each."""
    argon = hash_parameters()
    public = settings.public_url
    out = [
        Msg("Pseudonymisation: each identifier is replaced by a keyed HMAC-SHA-256 with a key per contract; the identifier "
            "itself is never stored."),
        Msg("Pseudonym secret set for this installation.") if settings.pseudonym_secret != DEV_PSEUDONYM_SECRET else
        Msg("Pseudonym secret NOT set: the development default is in use; set TEMOIN_PSEUDONYM_SECRET before any real data."),
        Msg("Session secret set for this installation.") if settings.secret_key != DEV_SECRET else
        Msg("Session secret NOT set: the development default is in use; set TEMOIN_SECRET_KEY."),
        Msg("Environment: {env} (production refuses default, short or non-random secrets).", env=settings.environment),
        Msg("Passwords hashed with argon2id (time cost {time}, memory {memory} KiB, parallelism {par}); sign-in attempts "
            "limited.", time=argon["time_cost"], memory=argon["memory_cost_kib"], par=argon["parallelism"]),
        Msg("Browser sessions last {hours} hours; API tokens {days} days; invitation links {invitation} days.",
            hours=int(SESSION_LIFETIME.total_seconds() // 3600), days=settings.api_token_days,
            invitation=settings.invitation_days),
        Msg("Uploaded files: at most {mb} MiB ({unpacked} MiB unpacked), {rows} rows and {columns} columns; formulas refused.",
            mb=settings.max_upload_mb, unpacked=settings.max_upload_unpacked_mb, rows=settings.max_upload_rows,
            columns=settings.max_upload_columns),
        Msg("Public address over HTTPS ({url}): cookies are sent only over TLS.", url=public) if public.startswith("https://") else
        Msg("No HTTPS public address configured (TEMOIN_PUBLIC_URL): put the platform behind a TLS proxy before any real data."),
        _tls_database(settings.database_url),
        Msg("E-mail: SMTP server {host}, with STARTTLS.", host=settings.smtp_host) if settings.smtp_host and settings.smtp_starttls else
        Msg("E-mail: SMTP server {host} WITHOUT STARTTLS.", host=settings.smtp_host) if settings.smtp_host else
        Msg("E-mail: no SMTP server configured (no message leaves the platform)."),
        Msg("Published counts below {n} are suppressed; research extracts are {k}-anonymous on their quasi-identifiers.",
            n=settings.small_cell_threshold, k=settings.k_anonymity),
        Msg("Access by role and by contract; every change written to a hash-chained, append-only audit ledger that holds "
            "no personal data (dates, counts, digests)."),
    ]
    return out


def _categories(contract: Contract) -> list[dict[str, Any]]:
    return [{"name": a.name, "label": a.label, "data_class": a.data_class or
             (DataClass.QUASI_IDENTIFYING if a.quasi_identifier else None),
             "purpose": contract.evaluation.analysis_plan.purposes.get(a.name)} for a in contract.population.attributes]


def _retention(contract: Contract, dp: DataProtection | None) -> list[dict[str, Any]]:
    out = []
    for kind, label in (("participants", Msg("Participants' data (baseline, consent, withdrawals)")),
                        ("outcomes", Msg("Follow-up outcomes")), ("research_extracts", Msg("Research extracts"))):
        r = getattr(dp, kind) if dp else None
        out.append({"what": label, "months": None if r is None else r.months_after_end,
                    "until": None if r is None else retention_end(contract.end_date, r), "at_end": None if r is None else r.at_end})
    return out


def processing_record(engine: Engine, contract_id: str, *, settings: Settings) -> dict[str, Any]:
    """The record of processing and the pre-filled impact assessment of a contract, as data."""
    with session_scope(engine) as s:
        stored = ContractRepository(s).latest(contract_id)
        erased = erasures(s, contract_id)
    c = stored.contract
    dp = c.data_protection
    controller = next((p for p in c.parties if dp and p.id == dp.controller), None) or \
        next(iter(c.parties_with(Role.OUTCOME_PAYER)), None)
    categories = _categories(c)
    sensitive = [x for x in categories if x["data_class"] is not None and DataClass(x["data_class"]).sensitive]
    recipients = [{"role": role, "parties": [p.name for p in c.parties_with(role)], "access": access}
                  for role, access in RECIPIENTS.items() if c.parties_with(role)]
    measures = security_measures(settings)
    risks = proposed_risks(c, settings)
    kept = backups(settings)
    for risk, held in zip(risks, (
            [measures[0], measures[1], measures[4], measures[7], Msg("Access by role and by contract.")],
            [Msg("Records append-only; every change in the hash-chained ledger; the audit checks every record against it."),
             Msg("Corrections kept as new versions.")],
            [Msg("Backups of the database, as the host states them:"), *kept,
             Msg("Erasures only by rule or request, each recorded in the ledger.")]), strict=True):
        risk["measures"] = held
    return {
        "contract": {"id": c.id, "title": c.title, "sector": c.policy_sector, "start": c.start_date, "end": c.end_date,
                     "population": c.population.description, "expected_size": c.population.expected_size,
                     "synthetic": c.synthetic},
        "made_on": dt.date.today(),
        "controller": controller.name if controller else None,
        "legal_basis": dp.legal_basis if dp else LegalBasis.PUBLIC_TASK,
        "legal_basis_declared": dp is not None,
        "purposes": [Msg("Evaluate the programme's impact, as the contract's analysis plan states, to decide the outcome "
                         "payments."),
                     Msg("Publish aggregated, small-cell-suppressed results (transparency)."),
                     Msg("Give researchers k-anonymous extracts of the people who agreed to research reuse.")],
        "categories": categories,
        "sensitive": sensitive,
        "recipients": recipients,
        "retention": _retention(c, dp),
        "measures": measures,
        "erasures": erased,
        "risks": risks,
        "hosting": hosting(settings, c),
        "backups": kept,
        "transfers": transfers(settings),
        "necessity": [
            Msg("Minimisation: no name nor identifier stored; only the attributes the contract names ({n}).",
                n=len(c.population.attributes)),
            Msg("Sensitive attributes: {n}, each needing a purpose stated in the analysis plan.", n=len(sensitive)),
            Msg("People informed and consenting (date and scope recorded: programme, evaluation, research reuse; for a "
                "minor, the holder of parental authority); withdrawal possible at any time."),
            Msg("Rights of access, rectification, erasure and objection answered within one month, each request logged."),
        ],
    }

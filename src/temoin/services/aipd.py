"""The impact assessment's parts the platform knows: hosting, backups, and a proposed level for each
of the CNIL's three risks, with its reasons in words.

Hosting and backups are what the host states in the settings (``TEMOIN_HOSTING_*``,
``TEMOIN_BACKUP_*``); a setting left empty is written "not stated by the host", never left blank.
Each risk (illegitimate access, unwanted change, disappearance of data) gets a proposed severity
and likelihood on the CNIL's four levels, derived from what is really configured and enforced — the
people concerned and the sensitive attributes the contract classes (severity), then pseudonymisation
and its secret, roles, the append-only records and ledger, HTTPS, the database's TLS, the backups
(likelihood) — each step with the sentence that justifies it. It is a proposal for the data
protection officer to confirm or change, and the document says so.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from temoin.contract.data_protection import DataClass, RiskLevel
from temoin.contract.model import Contract
from temoin.evaluation.text import label
from temoin.messages import Msg
from temoin.settings import DEV_PSEUDONYM_SECRET, DEV_SECRET, Settings

__all__ = ["EEA", "backups", "hosting", "proposed_risks", "transfers"]

EEA = frozenset({"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
                 "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO"})
"""The European Economic Area (the EU's 27 and Iceland, Liechtenstein, Norway): no transfer outside it."""
VULNERABLE = frozenset({"child_protection", "justice", "health"})
"""Sectors whose people are vulnerable, whatever attributes the contract holds."""
NOT_STATED = Msg("not stated by the host")
DAILY = 24
MONTH = 30


def _yes_no(value: bool | None) -> Msg:
    return NOT_STATED if value is None else Msg("yes") if value else Msg("no")


def _health(contract: Contract) -> bool:
    return any(a.data_class == DataClass.HEALTH for a in contract.population.attributes)


def hosting(settings: Settings, contract: Contract) -> list[Msg]:
    """Who hosts the data, where, and whether the host is certified for health data."""
    country = settings.hosting_country
    out = [Msg("Host: {host}.", host=settings.hosting_provider or NOT_STATED),
           Msg("Country: {country}.", country=NOT_STATED if not country else
               Msg("{code} (European Economic Area)", code=country) if country in EEA else
               Msg("{code} (outside the European Economic Area)", code=country)),
           Msg("Certified to host health data (HDS): {answer}.", answer=_yes_no(settings.hosting_hds))]
    if _health(contract) and settings.hosting_hds is not True:
        out.append(Msg("This contract classes an attribute as health data: collected during a social or medico-social "
                       "follow-up, it calls for an HDS-certified host (French public health code, art. L.1111-8)."))
    return out


def backups(settings: Settings) -> list[Msg]:
    """The backups of the database as the host states them."""
    every, kept = settings.backup_interval_hours, settings.backup_retention_days
    return [Msg("Frequency: {value}.", value=NOT_STATED if every is None else Msg("every {hours} hour(s)", hours=every)),
            Msg("Retention: {value}.", value=NOT_STATED if kept is None else Msg("{days} day(s)", days=kept)),
            Msg("Encrypted: {answer}.", answer=_yes_no(settings.backup_encrypted))]


def transfers(settings: Settings) -> Msg:
    """Transfers outside the European Economic Area, as the hosting country says."""
    country = settings.hosting_country
    if not country:
        return Msg("none by Témoin; to be confirmed for the host (hosting country not stated)")
    if country in EEA:
        return Msg("none: the data are hosted in the European Economic Area ({code})", code=country)
    return Msg("the data are hosted outside the European Economic Area ({code}): the transfer's framework (adequacy "
               "decision or appropriate safeguards, GDPR chapter V) is to be documented", code=country)


def _database_tls(url: str) -> bool | None:
    """True: PostgreSQL over TLS; False: over the network without TLS required; None: SQLite (no connection)."""
    if url.startswith("sqlite"):
        return None
    return (parse_qs(urlparse(url).query).get("sslmode") or [""])[0] in ("require", "verify-ca", "verify-full")


def _level(start: RiskLevel, start_reason: Msg | list[Msg], raises: list[Msg],
           calm: Msg | None = None) -> tuple[RiskLevel, list[Msg]]:
    """A level from its starting point and the weaknesses that raise it, one step each, with the reasons."""
    reasons = [*(start_reason if isinstance(start_reason, list) else [start_reason]), *raises]
    if not raises and calm is not None:
        reasons.append(calm)
    return start.raised(len(raises)), reasons


def proposed_risks(contract: Contract, settings: Settings) -> list[dict[str, Any]]:
    """The three risks with a proposed severity and likelihood and the reasons for each (for the DPO to confirm)."""
    sensitive = [a for a in contract.population.attributes if a.data_class is not None and DataClass(a.data_class).sensitive]
    https = settings.public_url.startswith("https://")
    db_tls = _database_tls(settings.database_url)
    session_default = settings.secret_key == DEV_SECRET
    pseudonym_default = settings.pseudonym_secret == DEV_PSEUDONYM_SECRET
    every, kept = settings.backup_interval_hours, settings.backup_retention_days

    # illegitimate access
    vulnerable = contract.policy_sector in VULNERABLE
    why = []
    if vulnerable:
        why.append(Msg("The people followed are vulnerable ({sector}): a disclosure would weigh on their lives.",
                       sector=label("policy_sector", contract.policy_sector)))
    if sensitive:
        why.append(Msg("{n} attribute(s) classed as health or justice data (GDPR art. 9 and 10).", n=len(sensitive)))
    if not why:
        why.append(Msg("No sensitive attribute classed and a sector ({sector}) whose people are not vulnerable as such: "
                       "a disclosure would be a nuisance, not a harm.", sector=label("policy_sector", contract.policy_sector)))
    base = RiskLevel.SIGNIFICANT if vulnerable or sensitive else RiskLevel.LIMITED
    access_severity, access_severity_why = _level(base, why, [Msg(
        "The pseudonym secret is the development default: whoever knows it can find a person's pseudonym from their case "
        "number, so the data are as good as identifying.")] if pseudonym_default else [], Msg(
        "Pseudonyms cannot be reversed without the pseudonym secret, set for this installation and kept apart from the "
        "data: identifying a person is made difficult."))
    raises = []
    if not https:
        raises.append(Msg("No HTTPS public address configured: passwords and pages could be read on the network."))
    if session_default:
        raises.append(Msg("The session secret is the development default: a session could be forged."))
    if db_tls is False:
        raises.append(Msg("The database is reached over the network without TLS required."))
    if every is not None and settings.backup_encrypted is not True:
        raises.append(Msg("The backups are not stated as encrypted: a copy of the data could be read where it is kept."))
    access_likelihood, access_likelihood_why = _level(RiskLevel.LIMITED, Msg(
        "Access by role and by contract: only the operator and the evaluator read person-level data, pseudonymised; "
        "passwords hashed with argon2id, sign-in attempts limited."), raises, Msg(
        "HTTPS, secrets set and the database connection protected: no configured weakness makes it more likely."))

    # unwanted change
    raises = []
    if session_default:
        raises.append(Msg("The session secret is the development default: a forged session could act with a role."))
    if not https:
        raises.append(Msg("No HTTPS public address configured: a password read on the network would let someone act."))
    change_likelihood, change_likelihood_why = _level(RiskLevel.NEGLIGIBLE, Msg(
        "Records are append-only in the database itself (its guards refuse changes and deletions), every change has its "
        "entry in the hash-chained ledger, and the audit checks every record against it: a change would be seen."), raises)

    # disappearance
    if every is None:
        loss, loss_why = RiskLevel.SIGNIFICANT, [Msg(
            "No backup of the database stated by the host: a failure of the server could lose every record.")]
    else:
        raises = []
        if every > DAILY:
            raises.append(Msg("Backups every {hours} hour(s): more than a day of records could be lost.", hours=every))
        if kept is None or kept < MONTH:
            raises.append(Msg("Backups kept: {days}; a damage noticed late could no longer be repaired.",
                              days=NOT_STATED if kept is None else Msg("{days} day(s)", days=kept)))
        loss, loss_why = _level(RiskLevel.NEGLIGIBLE, Msg("Backups every {hours} hour(s), as the host states.", hours=every),
                                raises, Msg("At most a day of records lost, and a month to notice a damage."))
    return [
        {"risk": Msg("Illegitimate access to the data"),
         "impact": Msg("A person's situation (child protection, justice, health) known by someone who should not know it."),
         "severity": access_severity, "severity_why": access_severity_why,
         "likelihood": access_likelihood, "likelihood_why": access_likelihood_why},
        {"risk": Msg("Unwanted change of the data"),
         "impact": Msg("A wrong evaluation, hence wrong payments, and wrong data about a person."),
         "severity": RiskLevel.LIMITED, "severity_why": [Msg(
             "The data serve the evaluation and the payments, not decisions about a person: a change would skew results "
             "and payments, and the records' checks would reveal it.")],
         "likelihood": change_likelihood, "likelihood_why": change_likelihood_why},
        {"risk": Msg("Disappearance of the data"),
         "impact": Msg("The evaluation cannot be checked; people's rights cannot be answered."),
         "severity": RiskLevel.SIGNIFICANT, "severity_why": [Msg(
             "Payments rest on an evaluation that could no longer be checked, and people's requests could no longer be "
             "answered.")],
         "likelihood": loss, "likelihood_why": loss_why},
    ]

"""Research extracts: pseudonymised microdata for researchers, k-anonymous on the quasi-identifiers.

An extract is built from the participants table of a contract (one row per participant: a
pseudonymous key, baseline attributes, arm, outcomes per wave):

* direct identifiers, if any slipped into the table, are left out;
* the stored pseudonymous key is replaced by a fresh random one, drawn for this extract only and
  never stored, so two extracts cannot be linked with each other or with Témoin's database;
* only people who consented are included, when the table records consent; when it records the
  consent to research reuse (``consent_research``) for anyone, only those who gave it; never a person
  who withdrew their consent (``withdrawn_on``). These columns are not released;
* exact dates (columns ending in ``_date``) are coarsened to the month;
* rows are shuffled, so their order says nothing about who enrolled when;
* the columns the contract's ``research_extract.withheld`` names are left out;
* every other column released is a quasi-identifier (someone who knows a person's enrolment month
  or number of siblings could single them out with it), unless the contract's
  ``research_extract.not_quasi_identifiers`` names it (or its indicator) with the reason no outsider
  could know it; an attribute marked ``quasi_identifier: true`` always is one. The extract is made
  k-anonymous on them by :func:`temoin.opendata.kanonymity.anonymise` (generalise numeric ones
  into bands, then suppress at most 5 % of records, else refuse);
* the extract reports its k on the quasi-identifiers and on *all* the columns it releases (the
  smallest group of records identical in every released column), so a reader sees what the
  declared exceptions cost.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np
import pandas as pd

from temoin.contract.model import Contract
from temoin.opendata.kanonymity import Anonymised, KAnonymityReport, anonymise, check_k_anonymity

__all__ = ["DIRECT_IDENTIFIERS", "KEY_COLUMNS", "ResearchExtract", "build_extract", "quasi_identifiers"]

DIRECT_IDENTIFIERS = frozenset({
    "name", "first_name", "last_name", "surname", "nom", "prenom", "prénom", "email", "phone", "telephone",
    "téléphone", "address", "adresse", "postcode", "code_postal", "birth_date", "date_of_birth",
    "date_naissance", "nir", "social_security_number", "external_id", "identifier",
})
KEY_COLUMNS = ("pkey", "pseudonym", "participant_key", "pseudonymous_key", "key", "participant_id", "participant")


@dataclass(frozen=True)
class ResearchExtract:
    frame: pd.DataFrame
    anonymised: Anonymised
    quasi_identifiers: tuple[str, ...]
    dropped_columns: tuple[str, ...]
    replaced_key: str | None
    without_consent: int = 0
    withdrawn: int = 0
    """People left out because they withdrew their consent."""
    coarsened_dates: tuple[str, ...] = ()
    withheld: tuple[str, ...] = ()
    not_quasi_identifiers: dict[str, str] | None = None
    """Released columns declared not quasi-identifying, with the contract's reason (in English)."""
    all_columns: KAnonymityReport | None = None
    """k measured on every released column together."""

    def report(self) -> dict[str, object]:
        return {
            "rows": len(self.frame),
            "columns": list(self.frame.columns),
            "quasi_identifiers": list(self.quasi_identifiers),
            "withheld_columns": list(self.withheld),
            "not_quasi_identifiers": dict(self.not_quasi_identifiers or {}),
            "k_on_all_columns": None if self.all_columns is None else self.all_columns.smallest_class,
            "all_columns": None if self.all_columns is None else self.all_columns.to_dict(),
            "dropped_columns": list(self.dropped_columns),
            "pseudonym_replaced": self.replaced_key,
            "left_out_without_consent": self.without_consent,
            "left_out_withdrawn": self.withdrawn,
            "dates_coarsened_to_month": list(self.coarsened_dates),
            **self.anonymised.to_dict(),
        }


def _declared(contract: Contract, column: str) -> str | None:
    """The contract's reason why a released column is not a quasi-identifier (by its name, or by its
    indicator for an outcome column ``<indicator>__<wave>``), or None."""
    reasons = contract.research_extract.not_quasi_identifiers
    found = reasons.get(column) or reasons.get(column.split("__", 1)[0])
    return None if found is None else found.en


def quasi_identifiers(contract: Contract, frame: pd.DataFrame) -> tuple[str, ...]:
    """Every column of the table but those the contract declares not quasi-identifying (an attribute
    marked ``quasi_identifier: true`` always is one)."""
    marked = {a.name for a in contract.population.attributes if a.quasi_identifier}
    return tuple(str(c) for c in frame.columns if str(c) in marked or _declared(contract, str(c)) is None)


def build_extract(
    frame: pd.DataFrame,
    contract: Contract,
    *,
    k: int = 5,
    policy: str = "generalise",
    max_suppressed_share: float = 0.05,
    rng: np.random.Generator | None = None,
) -> ResearchExtract:
    """Build a k-anonymous, unlinkable research extract, or raise ``KAnonymityRefused``."""
    rng = rng or np.random.default_rng(secrets.randbits(64))
    dropped = tuple(c for c in frame.columns if str(c).lower() in DIRECT_IDENTIFIERS)
    work = frame.drop(columns=list(dropped))
    key = next((c for c in KEY_COLUMNS if c in work.columns), None)
    if key is not None:
        work = work.drop(columns=[key])
    without_consent = 0
    if "consent" in work.columns:
        consented = work["consent"].astype("boolean").fillna(False).astype(bool)
        without_consent = int((~consented).sum())
        work = work.loc[consented]
    if "consent_research" in work.columns:  # recorded for someone: the others did not give it
        research = work["consent_research"].astype("boolean").fillna(False).astype(bool)
        without_consent += int((~research).sum())
        work = work.loc[research].drop(columns=["consent_research"])
    withdrawn = 0
    if "withdrawn_on" in work.columns:
        gone = work["withdrawn_on"].notna()
        withdrawn = int(gone.sum())
        work = work.loc[~gone].drop(columns=["withdrawn_on"])
    withheld = tuple(c for c in contract.research_extract.withheld if c in work.columns)
    work = work.drop(columns=list(withheld))
    dates = tuple(str(c) for c in work.columns if str(c).endswith("_date"))
    for c in dates:
        work[c] = pd.to_datetime(work[c], errors="coerce").dt.strftime("%Y-%m")
    qis = quasi_identifiers(contract, work)
    declared = {str(c): reason for c in work.columns if str(c) not in qis and (reason := _declared(contract, str(c)))}
    result = anonymise(work, qis, k, policy="refuse" if policy == "refuse" else "generalise",
                       max_suppressed_share=max_suppressed_share)
    every = check_k_anonymity(result.frame, [str(c) for c in result.frame.columns], k) if len(result.frame.columns) else None
    out = result.frame.sample(frac=1.0, random_state=int(rng.integers(0, 2**32 - 1))).reset_index(drop=True)
    width = max(4, len(str(len(out))))
    out.insert(0, "research_id", [f"R{i:0{width}d}" for i in rng.permutation(len(out)) + 1] if len(out) else [])
    return ResearchExtract(out, result, qis, dropped, key, without_consent, withdrawn, dates, withheld, declared, every)

"""Research extracts: pseudonymised microdata for researchers, k-anonymous on the quasi-identifiers.

An extract is built from the participants table of a contract (one row per participant: a
pseudonymous key, baseline attributes, arm, outcomes per wave):

* direct identifiers, if any slipped into the table, are left out;
* the stored pseudonymous key is replaced by a fresh random one, drawn for this extract only and
  never stored, so two extracts cannot be linked with each other or with Témoin's database;
* only people who consented are included, when the table records consent;
* exact dates (columns ending in ``_date``) are coarsened to the month;
* rows are shuffled, so their order says nothing about who enrolled when;
* the quasi-identifiers are the contract's attributes marked ``quasi_identifier: true``; the
  extract is made k-anonymous on them by :func:`temoin.opendata.kanonymity.anonymise`
  (generalise numeric ones into bands, then suppress at most 5 % of records, else refuse).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np
import pandas as pd

from temoin.contract.model import Contract
from temoin.opendata.kanonymity import Anonymised, anonymise

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
    coarsened_dates: tuple[str, ...] = ()

    def report(self) -> dict[str, object]:
        return {
            "rows": len(self.frame),
            "columns": list(self.frame.columns),
            "quasi_identifiers": list(self.quasi_identifiers),
            "dropped_columns": list(self.dropped_columns),
            "pseudonym_replaced": self.replaced_key,
            "left_out_without_consent": self.without_consent,
            "dates_coarsened_to_month": list(self.coarsened_dates),
            **self.anonymised.to_dict(),
        }


def quasi_identifiers(contract: Contract, frame: pd.DataFrame) -> tuple[str, ...]:
    """The contract's quasi-identifying attributes that the table actually has."""
    return tuple(a.name for a in contract.population.attributes if a.quasi_identifier and a.name in frame.columns)


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
    dates = tuple(str(c) for c in work.columns if str(c).endswith("_date"))
    for c in dates:
        work[c] = pd.to_datetime(work[c], errors="coerce").dt.strftime("%Y-%m")
    qis = quasi_identifiers(contract, work)
    result = anonymise(work, qis, k, policy="refuse" if policy == "refuse" else "generalise",
                       max_suppressed_share=max_suppressed_share)
    out = result.frame.sample(frac=1.0, random_state=int(rng.integers(0, 2**32 - 1))).reset_index(drop=True)
    width = max(4, len(str(len(out))))
    out.insert(0, "research_id", [f"R{i:0{width}d}" for i in rng.permutation(len(out)) + 1] if len(out) else [])
    return ResearchExtract(out, result, qis, dropped, key, without_consent, dates)

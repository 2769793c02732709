"""The stored cohort as one frame: one row per referred person, their arm, batch and outcomes."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from temoin.evaluation.run import outcome_column
from temoin.store.cohorts import CohortRepository
from temoin.store.contracts import ContractRepository, StoredContract
from temoin.store.rgpd import latest_attributes, research_consents, withdrawals

__all__ = ["latest_contract", "participants_frame"]


def participants_frame(session: Session, contract_id: str) -> pd.DataFrame:
    """One row per referred person: pseudonymous key, baseline attributes, arm, outcomes per wave.

    Columns: ``pkey``, ``synthetic``, ``eligible``, ``consent``, ``enrolled``, ``referral_date``,
    ``enrolment_date``, ``arm`` (1 programme, 0 control, empty if not randomised), one column per
    population attribute, and ``<indicator>__<wave>`` per outcome (empty when not followed); under
    rolling enrolment, ``batch`` too (the number of the batch that randomised each person). When
    recorded: ``consent_research`` (consent to research reuse) and ``withdrawn_on`` (the date a person
    withdrew their consent). A rectified person's attributes are the latest correction.
    """
    repo = CohortRepository(session)  # plain rows, not ORM objects: a large cohort loads several times faster
    records: dict[int, dict[str, Any]] = {}
    rolling = False
    corrected = latest_attributes(session, contract_id)
    for pid, pkey, synthetic, eligible, consent, enrolled, referral_date, enrolment_date, arm, attributes, batch in \
            repo.participant_table(contract_id):
        records[pid] = {"pkey": pkey, "synthetic": synthetic, "eligible": eligible, "consent": consent,
                        "enrolled": enrolled, "referral_date": referral_date, "enrolment_date": enrolment_date,
                        "arm": arm, **json.loads(corrected.get(pid, attributes))}
        if batch is not None:
            records[pid]["batch"] = batch
            rolling = True
    research = research_consents(session, contract_id)
    withdrawn = withdrawals(session, contract_id)
    for pid, record in records.items():
        if research:
            record["consent_research"] = research.get(pid)
        if withdrawn:
            record["withdrawn_on"] = withdrawn.get(pid)
    for participant_id, wave, values in repo.outcome_table(contract_id):
        for ind, v in json.loads(values).items():
            records[participant_id][outcome_column(ind, wave)] = v
    frame = pd.DataFrame(list(records.values()))
    if frame.empty:
        return pd.DataFrame(columns=["pkey", "synthetic", "eligible", "consent", "enrolled", "referral_date",
                                     "enrolment_date", "arm"])
    frame["arm"] = frame["arm"].astype("Int64")
    if rolling:
        frame["batch"] = frame["batch"].astype("Int64")
    return frame


def latest_contract(session: Session, contract_id: str) -> StoredContract:
    return ContractRepository(session).latest(contract_id)

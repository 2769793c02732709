"""SYNTHETIC data for the bundled examples: referred people, or a stored cohort's outcomes at a wave."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from temoin.errors import ConflictError, InvalidInputError
from temoin.evaluation.pseudonym import contract_key, pseudonymise
from temoin.messages import Msg
from temoin.services.cohort_frame import latest_contract as _contract
from temoin.services.cohort_frame import participants_frame
from temoin.settings import Settings
from temoin.store import session_scope

__all__ = ["generate_synthetic"]


def generate_synthetic(engine: Engine | None, contract_id: str, path: str | Path, *, settings: Settings,
                       wave: str | None = None, seed: int = 2026, creaming: float = 0.0) -> int:
    """Write SYNTHETIC data for a bundled example: the referred people, or (with ``wave``) the
    outcomes of the stored, randomised cohort at that wave. Returns the number of rows written."""
    from temoin.examples import synthetic_cohort

    cohort = synthetic_cohort(contract_id, seed=seed, creaming=creaming)
    out = Path(path)
    if wave is None:
        frame = cohort.referred.copy()
        frame["synthetic"] = "oui"
    else:
        if wave not in cohort.potential:
            raise InvalidInputError("synthetic.unknown_wave", Msg("Unknown wave: '{wave}'.", wave=wave),
                                    path="wave", hint=Msg("Waves: {waves}.", waves=", ".join(cohort.potential)))
        arms: dict[str, int] | None = None
        if engine is not None:
            with session_scope(engine) as s:
                randomised = _contract(s, contract_id).contract.evaluation.design.randomised
                stored = participants_frame(s, contract_id)
            if randomised:
                if stored.empty or stored["arm"].isna().all():
                    raise ConflictError("synthetic.not_randomised", Msg('The stored cohort is not randomised.'), path="contract_id",
                                        hint=Msg('Import then randomise the synthetic cohort first.'))
                key = contract_key(contract_id, master=settings.pseudonym_master)
                by_key = dict(zip(stored["pkey"], stored["arm"], strict=True))
                arms = {}
                for pid in cohort.enrolled["participant_id"]:
                    a = by_key.get(pseudonymise(pid, contract_id, key=key))
                    if a is not None and not pd.isna(a):
                        arms[pid] = int(a)
                if not arms:
                    raise ConflictError("synthetic.cohort_mismatch",
                                        Msg('The stored cohort is not the synthetic cohort of this seed.'), path="seed",
                                        hint=Msg('Use the same --seed as when generating the participants.'))
        frame = cohort.outcomes(wave, arms)
    if out.suffix.lower() == ".xlsx":
        frame.to_excel(out, index=False)
    else:
        frame.to_csv(out, index=False)
    return len(frame)

"""Seeded synthetic participants for the bundled examples — SYNTHETIC DATA, no real person.

Each generator produces the people referred to the programme (some not eligible, some who do not
consent or are not enrolled, so creaming can be measured), their baseline attributes (matching the
contract's ``population.attributes``), and their potential outcomes at each follow-up wave with and
without the programme, plus who would still be followed. Outcomes are revealed once the
assignment is known (``SyntheticCohort.outcomes``), exactly as in a real trial.

- ``aemo-renforcee``: time to a first placement is exponential with a monthly hazard that rises
  with the risk level, a prior placement, single parenthood; the programme multiplies the hazard
  by ``true_effect`` (a hazard ratio, default 0.6). Half of the placements end after a few
  months. ``placement_days`` counts days placed since enrolment (0–365 at m12, 0–730 at m24; most
  children are never placed), ``placed_any`` is 0/1. Administrative follow-up: attrition is low
  and rises over time, slightly higher in the control cohort.
- ``cravate-solidaire``: ``work_or_training_3m`` (0/1), a logistic model around the 40 % local
  rate; the programme adds ``true_effect`` (default 0.06) to each person's probability; 15 % of
  participants do not answer the 3-month survey.
- ``relais-familial``: ``families_without_placement`` (0/1 per family), 72 % without the programme,
  plus ``true_effect`` (default 0.10).

``creaming`` (0–1, default 0) lowers the enrolment chances of harder profiles, to test the
creaming indicator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from temoin.errors import NotFoundError
from temoin.messages import Msg

__all__ = ["GENERATORS", "SyntheticCohort", "generate"]

DAYS_PER_MONTH = 365.25 / 12


@dataclass
class SyntheticCohort:
    """Referred people and their potential outcomes. Every row is synthetic."""

    contract_id: str
    seed: int
    referred: pd.DataFrame
    """One row per referred person: participant_id, referral, consent, enrolled, enrolment_date, attributes."""
    potential: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per wave, indexed by participant_id: ``<indicator>__y0``, ``<indicator>__y1``, ``followed_if_treated``, ``followed_if_control``."""
    indicators: tuple[str, ...] = ()

    @property
    def enrolled(self) -> pd.DataFrame:
        return self.referred[self.referred["enrolled"]]

    def outcomes(self, wave: str, arms: Mapping[str, int] | None = None) -> pd.DataFrame:
        """Observed outcomes at ``wave`` for the enrolled still followed, given their arm.

        ``arms`` maps participant_id to 1 (programme) or 0 (control) (people absent from it are left
        out); None means every enrolled person is in the programme (designs without a control cohort).
        """
        pot = self.potential[wave]
        ids = self.enrolled["participant_id"]
        if arms is not None:
            ids = ids[ids.isin(list(arms))]
        arm = np.array([1 if arms is None else int(arms[i]) for i in ids])
        sub = pot.loc[ids.to_numpy()]
        followed = np.where(arm == 1, sub["followed_if_treated"], sub["followed_if_control"]).astype(bool)
        out = pd.DataFrame({"participant_id": ids.to_numpy()})
        for ind in self.indicators:
            out[ind] = np.where(arm == 1, sub[f"{ind}__y1"], sub[f"{ind}__y0"])
        return out[followed].reset_index(drop=True)

    def control_outcomes(self, wave: str) -> pd.DataFrame:
        """Baseline attributes and the outcome without the programme, for the enrolled (design diagnosis)."""
        pot = self.potential[wave]
        base = self.enrolled.set_index("participant_id")
        return base.join(pot[[f"{i}__y0" for i in self.indicators]].rename(columns=lambda c: c.split("__")[0]))


def _dates(rng: np.random.Generator, n: int, start: dt.date, span_days: int) -> tuple[list[dt.date], list[dt.date]]:
    ref = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, span_days, n)]
    enrol = [r + dt.timedelta(days=int(d)) for r, d in zip(ref, rng.integers(3, 35, n), strict=True)]
    return ref, enrol


def _funnel(rng: np.random.Generator, frame: pd.DataFrame, eligible: np.ndarray, hard: np.ndarray, creaming: float,
            consent_rate: float = 0.9) -> pd.DataFrame:
    n = len(frame)
    consent = eligible & (rng.random(n) < consent_rate)
    consent_any = consent | (~eligible & (rng.random(n) < consent_rate))
    enrol_p = 0.95 - creaming * 0.6 * hard
    enrolled = consent & (rng.random(n) < enrol_p)
    frame["consent"] = consent_any
    frame["enrolled"] = enrolled
    return frame


def _attrition_flags(rng: np.random.Generator, n: int, waves: int, final: float) -> tuple[np.ndarray, np.ndarray]:
    """Monotone loss to follow-up: (waves, n) flags of still followed, for each arm."""
    u = rng.random(n)
    flags_t = np.stack([u >= final * 0.85 * (k + 1) / waves for k in range(waves)])
    flags_c = np.stack([u >= final * 1.15 * (k + 1) / waves for k in range(waves)])
    return flags_t, flags_c


def _aemo(seed: int, creaming: float = 0.0, true_effect: float = 0.6, attrition: float = 0.08,
          n_referred: int = 1150) -> SyntheticCohort:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    n = n_referred
    band = rng.choice(["0-5", "6-11", "12-17"], n, p=[0.24, 0.36, 0.40])
    age = pd.Series(band).map({"0-5": 0, "6-11": 6, "12-17": 12}).to_numpy() + rng.integers(0, 6, n)
    age[rng.random(n) < 0.01] = 18  # a few referrals past the age limit: not eligible
    risk = rng.choice(["moderate", "high", "very_high"], n, p=[0.2, 0.5, 0.3])
    territory = rng.choice(["lille", "roubaix-tourcoing", "dunkerque", "valenciennes"], n, p=[0.4, 0.25, 0.15, 0.2])
    prior = rng.random(n) < np.where(risk == "very_high", 0.3, 0.12)
    single = rng.random(n) < 0.45
    siblings = rng.poisson(1.5, n)
    sex = rng.choice(["F", "M"], n, p=[0.47, 0.53])
    ref, enrol = _dates(rng, n, dt.date(2025, 2, 1), 300)
    ids = [f"ASE-2025-{i:05d}" for i in rng.permutation(np.arange(10000, 10000 + n))]
    frame = pd.DataFrame({
        "participant_id": ids, "referral_date": ref,
        "referral_source": rng.choice(["cellule_informations_preoccupantes", "juge_des_enfants", "service_social"], n),
        "age": age, "age_band": band, "sex": sex, "risk_level": risk, "territory": territory,
        "prior_placement": prior, "single_parent": single, "siblings": siblings,
    })
    eligible = (age <= 17) & np.isin(risk, ["high", "very_high"])
    hard = (risk == "very_high") | prior
    frame = _funnel(rng, frame, eligible, hard, creaming)
    frame["enrolment_date"] = [e if en else None for e, en in zip(enrol, frame["enrolled"], strict=True)]

    hazard = 0.012 * np.exp(0.55 * (risk == "very_high") + 0.6 * prior + 0.25 * single + 0.02 * (age - 9))
    e = rng.exponential(1.0, n)
    t0, t1 = e / hazard, e / (hazard * true_effect)
    permanent = rng.random(n) < 0.5
    duration = np.where(permanent, np.inf, rng.exponential(6.0, n))
    u_follow = _attrition_flags(rng, n, 2, attrition)
    potential = {}
    for k, (wave, months) in enumerate((("m12", 12), ("m24", 24))):
        pot = pd.DataFrame(index=pd.Index(ids, name="participant_id"))
        for arm, t in (("y0", t0), ("y1", t1)):
            days = np.clip(np.minimum(t + duration, months) - t, 0, None) * DAYS_PER_MONTH
            pot[f"placement_days__{arm}"] = np.minimum(np.round(days), round(months * DAYS_PER_MONTH)).astype(int)
            pot[f"placed_any__{arm}"] = (t < months).astype(int)
        pot["followed_if_treated"], pot["followed_if_control"] = u_follow[0][k], u_follow[1][k]
        potential[wave] = pot
    return SyntheticCohort("aemo-renforcee", seed, frame, potential, ("placement_days", "placed_any"))


def _cravate(seed: int, creaming: float = 0.0, true_effect: float = 0.06, attrition: float = 0.15,
             n_referred: int = 1130) -> SyntheticCohort:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    n = n_referred
    age = rng.integers(15, 28, n)
    age = np.where(rng.random(n) < 0.9, np.clip(age, 16, 25), age)
    sex = rng.choice(["F", "M"], n, p=[0.49, 0.51])
    qual = rng.choice(["none", "cap_bep", "bac", "higher"], n, p=[0.30, 0.30, 0.30, 0.10])
    months = np.round(rng.gamma(2.0, 4.0, n)).astype(int)
    qpv = rng.random(n) < 0.35
    ref, enrol = _dates(rng, n, dt.date(2018, 1, 15), 900)
    ids = [f"ML-{i:06d}" for i in rng.permutation(np.arange(200000, 200000 + n))]
    frame = pd.DataFrame({
        "participant_id": ids, "referral_date": ref,
        "referral_source": rng.choice(["mission_locale", "association", "france_travail"], n),
        "age": age, "sex": sex, "qualification": qual, "months_unemployed": months, "qpv_resident": qpv,
    })
    eligible = (age >= 16) & (age <= 25)
    hard = (qual == "none") | qpv
    frame = _funnel(rng, frame, eligible, hard, creaming)
    frame["enrolment_date"] = [e if en else None for e, en in zip(enrol, frame["enrolled"], strict=True)]
    qual_eff = pd.Series(qual).map({"none": -0.5, "cap_bep": -0.1, "bac": 0.2, "higher": 0.6}).to_numpy()
    logit = -0.45 + qual_eff - 0.03 * (months - 8) - 0.3 * qpv
    p0 = 1 / (1 + np.exp(-logit))
    u = rng.random(n)
    pot = pd.DataFrame(index=pd.Index(ids, name="participant_id"))
    pot["work_or_training_3m__y0"] = (u < p0).astype(int)
    pot["work_or_training_3m__y1"] = (u < np.clip(p0 + true_effect, 0, 1)).astype(int)
    flags = _attrition_flags(rng, n, 1, attrition)
    pot["followed_if_treated"], pot["followed_if_control"] = flags[0][0], flags[1][0]
    return SyntheticCohort("cravate-solidaire", seed, frame, {"m3": pot}, ("work_or_training_3m",))


def _relais(seed: int, creaming: float = 0.0, true_effect: float = 0.10, attrition: float = 0.03,
            n_referred: int = 80) -> SyntheticCohort:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    n = n_referred
    children = np.where(rng.random(n) < 0.05, 0, 1 + rng.poisson(1.2, n))
    single = rng.random(n) < 0.6
    housing = rng.choice(["homeless", "precarious", "stable"], n, p=[0.3, 0.5, 0.2])
    ref, enrol = _dates(rng, n, dt.date(2019, 1, 10), 700)
    ids = [f"AA-{i:04d}" for i in rng.permutation(np.arange(1000, 1000 + n))]
    frame = pd.DataFrame({
        "participant_id": ids, "referral_date": ref, "referral_source": rng.choice(["ase", "ccas"], n),
        "children": children, "single_parent": single, "housing_situation": housing,
    })
    eligible = children >= 1
    frame = _funnel(rng, frame, eligible, housing == "homeless", creaming)
    frame["enrolment_date"] = [e if en else None for e, en in zip(enrol, frame["enrolled"], strict=True)]
    p0 = np.clip(0.72 - 0.08 * (housing == "homeless") + 0.05 * (housing == "stable"), 0, 1)
    u = rng.random(n)
    pot = pd.DataFrame(index=pd.Index(ids, name="participant_id"))
    pot["families_without_placement__y0"] = (u < p0).astype(int)
    pot["families_without_placement__y1"] = (u < np.clip(p0 + true_effect, 0, 1)).astype(int)
    flags = _attrition_flags(rng, n, 1, attrition)
    pot["followed_if_treated"], pot["followed_if_control"] = flags[0][0], flags[1][0]
    return SyntheticCohort("relais-familial", seed, frame, {"exit": pot}, ("families_without_placement",))


GENERATORS: dict[str, Callable[..., SyntheticCohort]] = {
    "aemo-renforcee": _aemo,
    "cravate-solidaire": _cravate,
    "relais-familial": _relais,
}


def generate(name: str, *, seed: int = 2026, **kwargs: float) -> SyntheticCohort:
    if name not in GENERATORS:
        raise NotFoundError("synthetic.unknown", Msg("No synthetic generator for '{name}'.", name=name),
                            hint=Msg("Available: {names}.", names=list(GENERATORS)))
    return GENERATORS[name](seed, **kwargs)

"""The records the evaluation hands to the rest of Témoin (settlement, reports, the web).

``EffectEstimate`` is what an estimator returns. ``ImpactResult`` is one indicator at one
follow-up wave, evaluated by the contract's locked analysis plan, oriented so that a positive
``improvement`` is good whatever the indicator's direction, and carrying the evidence grade that
settlement gates payments on.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from temoin.contract.model import Design
from temoin.evaluation.text import Text, text_to_stored, texts_from_stored


@dataclass(frozen=True)
class EffectEstimate:
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float
    n_treated: int
    n_control: int
    se_type: str
    method: str
    alpha: float = 0.05
    notes: tuple[Text, ...] = ()
    """What the reader should know about the estimate, as messages (a record written before messages
    holds "français / English" texts: read back as they were stored)."""
    n_clusters: int | None = None
    """Number of clusters when the standard error is clustered."""
    ri_p_value: float | None = None
    """Randomisation-inference (Fisher) p-value, when it was asked for."""
    estimand: str | None = None
    """What is estimated: ``"ATE"`` (average effect) or ``"ATT"`` (average effect on the treated);
    None where the estimator does not name one (a record written before estimands were named keeps
    its fields, and so its hash, unchanged)."""
    df_method: str | None = None
    """CR2 only: the working model of the degrees of freedom, ``imbens_kolesar`` or ``bell_mccaffrey``."""

    @property
    def estimable(self) -> bool:
        """False when the estimators found no usable standard error (degenerate variance: zero up
        to rounding, infinite or NaN): then the standard error, p-value and interval are NaN and a
        note says why. Such a result must never pay."""
        return math.isfinite(self.estimate) and math.isfinite(self.std_error) and self.std_error > 0

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["notes"] = [text_to_stored(n) for n in self.notes]
        for optional in ("estimand", "df_method"):  # absent from records written before they existed
            if d[optional] is None:
                del d[optional]
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EffectEstimate:
        """A stored estimate (JSON: a number that was NaN comes back as null, and is NaN again)."""
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: (float("nan") if v is None and k in _NAN_FIELDS else v)
                                  for k, v in data.items() if k in known}
        values["notes"] = texts_from_stored(values.get("notes") or ())
        return cls(**values)


_NAN_FIELDS = ("p_value", "df", "std_error", "estimate", "ci_low", "ci_high")


class EvidenceGrade(StrEnum):
    MEETS = "meets_without_reservations"
    MEETS_WITH_RESERVATIONS = "meets_with_reservations"
    DOES_NOT_MEET = "does_not_meet"

    @property
    def label_fr(self) -> str:
        return {
            "meets_without_reservations": "satisfait aux standards sans réserve",
            "meets_with_reservations": "satisfait aux standards avec réserves",
            "does_not_meet": "ne satisfait pas aux standards",
        }[self.value]

    @property
    def label_en(self) -> str:
        return {
            "meets_without_reservations": "meets standards without reservations",
            "meets_with_reservations": "meets standards with reservations",
            "does_not_meet": "does not meet standards",
        }[self.value]

    @property
    def allows_payment(self) -> bool:
        return self is not EvidenceGrade.DOES_NOT_MEET

    def at_most(self, ceiling: EvidenceGrade) -> EvidenceGrade:
        """This grade, lowered to ``ceiling`` when it is better."""
        order = (EvidenceGrade.DOES_NOT_MEET, EvidenceGrade.MEETS_WITH_RESERVATIONS, EvidenceGrade.MEETS)
        return self if order.index(self) <= order.index(ceiling) else ceiling


def design_ceiling(design: Design) -> EvidenceGrade:
    """The best grade a design can earn, whatever a certificate says: without a counterfactual
    (absolute target, pre-post) it cannot show impact; a non-randomised or external comparison
    meets standards with reservations at best; a randomised trial can meet them without."""
    if not design.has_counterfactual:
        return EvidenceGrade.DOES_NOT_MEET
    if design.randomised:
        return EvidenceGrade.MEETS
    return EvidenceGrade.MEETS_WITH_RESERVATIONS


@dataclass(frozen=True)
class ImpactResult:
    """One indicator at one wave, by the locked plan; ``improvement`` > 0 means better."""

    contract_id: str
    contract_version: int
    indicator: str
    wave: str
    effect: EffectEstimate
    improvement: float
    improvement_lower: float
    """Lower confidence bound of the improvement, at the plan's alpha and sidedness."""
    n_treated_followed: int
    grade: EvidenceGrade
    grade_reasons: tuple[Text, ...] = ()
    plan_hash: str = ""
    amendments: tuple[Text, ...] = field(default_factory=tuple)
    """The plan's amendments since it was locked (``Amendment.label()``)."""

    def __post_init__(self) -> None:
        # a stored result comes back from JSON, which has no NaN: a bound that was not estimable
        # (NaN) was written as null. Read it back as NaN, so that the record and its hash are the ones
        # the evaluation produced.
        for name in ("improvement", "improvement_lower"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, float("nan"))

    def to_dict(self) -> dict[str, object]:
        return {
            "contract_id": self.contract_id,
            "contract_version": self.contract_version,
            "indicator": self.indicator,
            "wave": self.wave,
            "effect": self.effect.to_dict(),
            "improvement": self.improvement,
            "improvement_lower": self.improvement_lower,
            "n_treated_followed": self.n_treated_followed,
            "grade": self.grade.value,
            "grade_reasons": [text_to_stored(r) for r in self.grade_reasons],
            "plan_hash": self.plan_hash,
            "amendments": [text_to_stored(a) for a in self.amendments],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ImpactResult:
        """A stored result, as :meth:`to_dict` wrote it (or an older record: its texts are kept as
        stored, so that its ``result_hash`` is the one recorded)."""
        return cls(
            contract_id=d["contract_id"], contract_version=d["contract_version"], indicator=d["indicator"], wave=d["wave"],
            effect=EffectEstimate.from_dict(d["effect"]), improvement=d["improvement"],
            improvement_lower=d["improvement_lower"], n_treated_followed=d["n_treated_followed"],
            grade=EvidenceGrade(d["grade"]), grade_reasons=texts_from_stored(d.get("grade_reasons") or ()),
            plan_hash=d.get("plan_hash", ""), amendments=texts_from_stored(d.get("amendments") or (), pair=False))

    @property
    def result_hash(self) -> str:
        """SHA-256 of the canonical JSON of this result: what a settlement records as its input."""
        text = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

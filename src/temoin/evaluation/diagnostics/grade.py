"""The overall evidence grade of one indicator at one wave, with its reasons in plain words.

Rules (after the What Works Clearinghouse Standards Handbook v4.1, adapted to CIS):

- A design without a counterfactual (absolute target, pre-post) cannot show impact: does not meet.
- A randomised trial with low attrition meets standards without reservations. With high
  attrition it meets them with reservations only if the arms still followed are equivalent at
  baseline (WWC bands, adjusted in the plan where 0.05–0.25); otherwise it does not meet.
- A matched comparison or difference-in-differences meets with reservations at best, and only
  with baseline equivalence.
- A benchmark or historical comparison meets with reservations at best (no concurrent control
  cohort, equivalence cannot be checked); creaming biases that comparison directly, so creaming
  makes it fail; high overall attrition also makes it fail.
- Reservations that lower "without" to "with reservations" for every design: creaming (the
  enrolled are easier than the eligible referred), a population not representative of the
  reference margins, and an analysis plan amended after it was locked.
- An effect that is not estimable (degenerate standard error: zero up to rounding, infinite or
  NaN; see ``estimators.degenerate``) does not meet: there is no evidence to weigh.
- Clusters: a single cluster in the programme or the control group does not meet (the WWC's
  "n = 1" confound: the effect cannot be told apart from that cluster); fewer than
  ``FEW_CLUSTERS`` (10) clusters in all is a reservation (clustered inference is fragile there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from temoin.contract.model import Design
from temoin.evaluation.diagnostics.attrition import AttritionReport
from temoin.evaluation.diagnostics.balance import BalanceReport
from temoin.evaluation.diagnostics.representativeness import CreamingReport, MarginReport
from temoin.evaluation.estimators.degenerate import FEW_CLUSTERS
from temoin.evaluation.result import EvidenceGrade
from temoin.evaluation.text import Bilingual, Text, text_from_stored, text_to_stored
from temoin.messages import Msg

__all__ = ["Grade", "evidence_grade"]

_ORDER = [EvidenceGrade.DOES_NOT_MEET, EvidenceGrade.MEETS_WITH_RESERVATIONS, EvidenceGrade.MEETS]


@dataclass(frozen=True)
class Grade:
    grade: EvidenceGrade
    reasons: tuple[Text, ...]
    """Why, as messages (what ``ImpactResult.grade_reasons`` carries)."""

    def to_dict(self) -> dict[str, object]:
        return {"grade": self.grade.value, "reasons": [text_to_stored(r) for r in self.reasons]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Grade:
        """A stored grade: ``{"grade", "reasons"}``, or the older form with ``reasons_fr`` and ``reasons_en``."""
        if "reasons" in data:
            return cls(EvidenceGrade(data["grade"]), tuple(text_from_stored(r) for r in data["reasons"]))
        pairs = zip(data.get("reasons_fr") or [], data.get("reasons_en") or [], strict=False)
        return cls(EvidenceGrade(data["grade"]), tuple(Bilingual(fr, en, {"fr": fr, "en": en}) for fr, en in pairs))


def evidence_grade(
    *,
    design: Design,
    attrition: AttritionReport | None,
    balance: BalanceReport | None = None,
    creaming: CreamingReport | None = None,
    representativeness: Sequence[MarginReport] = (),
    amended: bool = False,
    estimable: bool = True,
    clusters: tuple[int, int, int] | None = None,
) -> Grade:
    """The grade and its reasons. ``estimable``: False when the effect's standard error is
    degenerate. ``clusters``: for a clustered analysis, the number of clusters, of clusters holding
    programme participants and of clusters holding controls."""
    reasons: list[Text] = []
    ceiling = EvidenceGrade.MEETS

    def cap(grade: EvidenceGrade, why: Text) -> None:
        nonlocal ceiling
        reasons.append(why)
        if _ORDER.index(grade) < _ORDER.index(ceiling):
            ceiling = grade

    if not design.has_counterfactual:
        cap(EvidenceGrade.DOES_NOT_MEET, Msg("Without a comparison group this design cannot show impact (only a raw outcome)."))
    if attrition is not None:
        reasons.append(attrition.verdict.message)
    if design.randomised:
        if attrition is None:
            cap(EvidenceGrade.DOES_NOT_MEET, Msg("Attrition unknown: no follow-up data."))
        elif not attrition.low:
            if balance is not None and balance.equivalent:
                cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
                    Msg("High attrition, but the people still followed remain comparable at baseline."))
            else:
                cap(EvidenceGrade.DOES_NOT_MEET,
                    Msg("High attrition and baseline equivalence not established: the trial no longer gives a reliable "
                        "comparison."))
    elif design in (Design.MATCHED_COMPARISON, Design.DIFF_IN_DIFF):
        if balance is not None and balance.equivalent:
            cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
                Msg("Non-randomised comparison: groups comparable at baseline, but unobserved differences remain possible."))
        else:
            cap(EvidenceGrade.DOES_NOT_MEET, Msg("Non-randomised comparison without established baseline equivalence."))
    elif design in (Design.BENCHMARK, Design.HISTORICAL):
        cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
            Msg("Comparison with an external reference: no control cohort followed at the same time; equivalence cannot "
                "be checked."))
        if attrition is not None and not attrition.low:
            cap(EvidenceGrade.DOES_NOT_MEET, Msg("Too many participants without an outcome to compare with the reference."))
        if creaming is not None and creaming.flagged:
            cap(EvidenceGrade.DOES_NOT_MEET, Msg("Creaming: easier profiles inflate the comparison with the reference."))
    if creaming is not None and creaming.flagged and design not in (Design.BENCHMARK, Design.HISTORICAL):
        cap(EvidenceGrade.MEETS_WITH_RESERVATIONS, creaming.verdict.message)
    for margin in representativeness:
        if margin.verdict.level == "fail":
            cap(EvidenceGrade.MEETS_WITH_RESERVATIONS, margin.verdict.message)
    if not estimable:
        cap(EvidenceGrade.DOES_NOT_MEET,
            Msg("Effect not estimable: its standard error is zero up to rounding, infinite or undefined; no evidence of "
                "impact can be drawn from it."))
    if clusters is not None:
        total, treated, control = clusters
        if min(treated, control) <= 1:
            cap(EvidenceGrade.DOES_NOT_MEET,
                Msg("A single cluster in the programme group: the effect is confounded with that cluster (the WWC's "
                    "'n = 1' rule).") if treated <= 1 else
                Msg("A single cluster in the control group: the effect is confounded with that cluster (the WWC's "
                    "'n = 1' rule)."))
        elif total < FEW_CLUSTERS:
            cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
                Msg("Only {total} clusters (fewer than about ten): clustered inference is fragile.", total=total))
    if amended:
        cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
            Msg("The analysis plan was amended after it was locked (amendment published)."))
    return Grade(ceiling, tuple(reasons))

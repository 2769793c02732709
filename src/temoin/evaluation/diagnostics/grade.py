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

from collections.abc import Sequence
from dataclasses import dataclass

from temoin.contract.model import Design
from temoin.evaluation.diagnostics.attrition import AttritionReport
from temoin.evaluation.diagnostics.balance import BalanceReport
from temoin.evaluation.diagnostics.representativeness import CreamingReport, MarginReport
from temoin.evaluation.estimators.degenerate import FEW_CLUSTERS
from temoin.evaluation.result import EvidenceGrade

__all__ = ["Grade", "evidence_grade"]

_ORDER = [EvidenceGrade.DOES_NOT_MEET, EvidenceGrade.MEETS_WITH_RESERVATIONS, EvidenceGrade.MEETS]


@dataclass(frozen=True)
class Grade:
    grade: EvidenceGrade
    reasons_fr: tuple[str, ...]
    reasons_en: tuple[str, ...]

    def reasons(self) -> tuple[str, ...]:
        """Each reason as 'français / English' (what ``ImpactResult.grade_reasons`` carries)."""
        return tuple(f"{fr} / {en}" for fr, en in zip(self.reasons_fr, self.reasons_en, strict=True))

    def to_dict(self) -> dict[str, object]:
        return {"grade": self.grade.value, "label_fr": self.grade.label_fr, "label_en": self.grade.label_en,
                "reasons_fr": list(self.reasons_fr), "reasons_en": list(self.reasons_en)}


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
    fr: list[str] = []
    en: list[str] = []
    ceiling = EvidenceGrade.MEETS

    def cap(grade: EvidenceGrade, why_fr: str, why_en: str) -> None:
        nonlocal ceiling
        fr.append(why_fr)
        en.append(why_en)
        if _ORDER.index(grade) < _ORDER.index(ceiling):
            ceiling = grade

    if not design.has_counterfactual:
        cap(EvidenceGrade.DOES_NOT_MEET,
            "Sans groupe de comparaison, ce dispositif ne peut pas montrer d'impact (seulement un résultat brut).",
            "Without a comparison group this design cannot show impact (only a raw outcome).")
    if attrition is not None:
        fr.append(attrition.verdict.fr)
        en.append(attrition.verdict.en)
    if design.randomised:
        if attrition is None:
            cap(EvidenceGrade.DOES_NOT_MEET, "Attrition inconnue : aucune donnée de suivi.", "Attrition unknown: no follow-up data.")
        elif not attrition.low:
            if balance is not None and balance.equivalent:
                cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
                    "Attrition élevée, mais les personnes suivies restent comparables au départ.",
                    "High attrition, but the people still followed remain comparable at baseline.")
            else:
                cap(EvidenceGrade.DOES_NOT_MEET,
                    "Attrition élevée et équivalence initiale non établie : l'essai ne permet plus une comparaison fiable.",
                    "High attrition and baseline equivalence not established: the trial no longer gives a reliable comparison.")
    elif design in (Design.MATCHED_COMPARISON, Design.DIFF_IN_DIFF):
        if balance is not None and balance.equivalent:
            cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
                "Comparaison non randomisée : groupes comparables au départ, mais des différences non observées restent possibles.",
                "Non-randomised comparison: groups comparable at baseline, but unobserved differences remain possible.")
        else:
            cap(EvidenceGrade.DOES_NOT_MEET,
                "Comparaison non randomisée sans équivalence initiale établie.",
                "Non-randomised comparison without established baseline equivalence.")
    elif design in (Design.BENCHMARK, Design.HISTORICAL):
        cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
            "Comparaison à une référence externe : pas de groupe témoin suivi en même temps ; l'équivalence ne peut être vérifiée.",
            "Comparison with an external reference: no control cohort followed at the same time; equivalence cannot be checked.")
        if attrition is not None and not attrition.low:
            cap(EvidenceGrade.DOES_NOT_MEET, "Trop de participants sans résultat pour comparer à la référence.",
                "Too many participants without an outcome to compare with the reference.")
        if creaming is not None and creaming.flagged:
            cap(EvidenceGrade.DOES_NOT_MEET,
                "Écrémage : des profils plus faciles gonflent la comparaison avec la référence.",
                "Creaming: easier profiles inflate the comparison with the reference.")
    if creaming is not None and creaming.flagged and design not in (Design.BENCHMARK, Design.HISTORICAL):
        cap(EvidenceGrade.MEETS_WITH_RESERVATIONS, creaming.verdict.fr, creaming.verdict.en)
    for margin in representativeness:
        if margin.verdict.level == "fail":
            cap(EvidenceGrade.MEETS_WITH_RESERVATIONS, margin.verdict.fr, margin.verdict.en)
    if not estimable:
        cap(EvidenceGrade.DOES_NOT_MEET,
            "Effet non estimable : son erreur type est nulle aux arrondis près, infinie ou indéfinie ; "
            "aucune preuve d'impact ne peut en être tirée.",
            "Effect not estimable: its standard error is zero up to rounding, infinite or undefined; "
            "no evidence of impact can be drawn from it.")
    if clusters is not None:
        total, treated, control = clusters
        if min(treated, control) <= 1:
            cap(EvidenceGrade.DOES_NOT_MEET,
                f"Une seule grappe dans le groupe {'programme' if treated <= 1 else 'témoin'} : l'effet se confond "
                "avec cette grappe (règle « n = 1 » du WWC).",
                f"A single cluster in the {'programme' if treated <= 1 else 'control'} group: the effect is "
                "confounded with that cluster (the WWC's 'n = 1' rule).")
        elif total < FEW_CLUSTERS:
            cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
                f"Seulement {total} grappes (moins d'une dizaine) : l'inférence par grappe est fragile.",
                f"Only {total} clusters (fewer than about ten): clustered inference is fragile.")
    if amended:
        cap(EvidenceGrade.MEETS_WITH_RESERVATIONS,
            "Le plan d'analyse a été modifié après son verrouillage (amendement publié).",
            "The analysis plan was amended after it was locked (amendment published).")
    return Grade(ceiling, tuple(fr), tuple(en))

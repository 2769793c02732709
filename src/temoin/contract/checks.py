"""Safeguard checks: does a contract carry the guarantees civil society asks of a CIS?

Each rule has a stable code, a severity, a message in French and English and how to fix it.
A rule returns ``None`` when the contract satisfies it, or a :class:`Finding` when it does not.
``check_contract`` runs them all and returns one :class:`Outcome` per rule, passed or not, so a
report can show what holds as well as what fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from temoin.contract.model import Contract, Design, Role, Seat

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title_fr: str
    title_en: str
    check: Callable[[Contract], tuple[str, str, str, str] | None]
    """Returns None when satisfied, else (message_fr, message_en, fix_fr, fix_en)."""


@dataclass(frozen=True)
class Outcome:
    code: str
    severity: Severity
    passed: bool
    title_fr: str
    title_en: str
    message_fr: str = ""
    message_en: str = ""
    fix_fr: str = ""
    fix_en: str = ""

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity == "error"

    def to_dict(self, lang: str = "fr") -> dict[str, object]:
        fr = lang == "fr"
        return {
            "code": self.code,
            "severity": self.severity,
            "passed": self.passed,
            "title": self.title_fr if fr else self.title_en,
            "message": self.message_fr if fr else self.message_en,
            "fix": self.fix_fr if fr else self.fix_en,
        }


def _counterfactual(c: Contract) -> tuple[str, str, str, str] | None:
    d = c.evaluation.design
    if d.has_counterfactual:
        return None
    name = {"absolute_target": ("une cible absolue", "an absolute target"), "pre_post": ("un avant-après", "a pre-post comparison")}[d.value]
    return (
        f"Le contrat est évalué par {name[0]}, sans groupe de comparaison : il ne peut pas prouver un impact. "
        "Un résultat atteint peut venir de la conjoncture ou du public choisi.",
        f"The contract is evaluated by {name[1]}, with no comparison group: it cannot prove impact. "
        "A target met may come from the context or from who was enrolled.",
        "Adoptez un essai randomisé (éventuellement stratifié ou par grappes), ou à défaut une comparaison appariée ou des doubles différences.",
        "Use a randomised trial (stratified or clustered if needed) or, failing that, a matched comparison or difference-in-differences.",
    )


def _weak_counterfactual(c: Contract) -> tuple[str, str, str, str] | None:
    if c.evaluation.design not in (Design.BENCHMARK, Design.HISTORICAL):
        return None
    return (
        "La comparaison à un taux de référence ou à une période passée ne garantit pas que les publics soient comparables.",
        "Comparing with a reference rate or a past period does not guarantee that the publics are comparable.",
        "Ajustez sur les caractéristiques des participants et justifiez la comparabilité, ou randomisez.",
        "Adjust for participants' characteristics and justify comparability, or randomise.",
    )


def _savings_cap(c: Contract) -> tuple[str, str, str, str] | None:
    if not c.caps.payments_within_realised_savings:
        return (
            "Les paiements ne sont pas plafonnés aux économies publiques réellement réalisées.",
            "Payments are not capped at the public savings actually realised.",
            "Fixez caps.payments_within_realised_savings: true et décrivez le modèle d'économies (savings).",
            "Set caps.payments_within_realised_savings: true and describe the savings model (savings).",
        )
    paid = {p.indicator for p in c.payments.indicators}
    costed = {s.indicator for s in c.savings}
    # a rate-card outcome carries its own saving (unit_saving)
    missing = sorted(paid - costed) + [i.outcome for i in c.payments.rate_card if i.unit_saving is None]
    if missing or not (paid or c.payments.rate_card):
        missing = missing or ["(aucun indicateur payé)"]
        return (
            f"Le plafond aux économies réalisées est demandé, mais le coût public évité manque pour : {', '.join(missing)}.",
            f"The realised-savings cap is on, but the public cost avoided is missing for: {', '.join(missing)}.",
            "Ajoutez une entrée savings (coût unitaire et source) par indicateur payé, et unit_saving à chaque "
            "résultat de la grille tarifaire.",
            "Add a savings entry (unit cost and source) for each paid indicator, and a unit_saving to each "
            "rate-card outcome.",
        )
    return None


def _return_cap(c: Contract) -> tuple[str, str, str, str] | None:
    if c.caps.investor_return is not None:
        return None
    return (
        "Aucun plafond de rémunération des investisseurs (TRI ou multiple).",
        "No cap on investors' return (IRR or multiple).",
        "Ajoutez caps.investor_return, par exemple {kind: irr, value: 0.05}.",
        "Add caps.investor_return, e.g. {kind: irr, value: 0.05}.",
    )


def _independent_evaluator(c: Contract) -> tuple[str, str, str, str] | None:
    evaluators = c.parties_with(Role.EVALUATOR)
    if not evaluators:
        return ("Aucun évaluateur indépendant n'est désigné.", "No independent evaluator is named.",
                "Ajoutez une partie avec le rôle evaluator.", "Add a party with the evaluator role.")
    interested = {p.id for p in c.parties if {Role.INVESTOR, Role.OPERATOR, Role.STRUCTURER} & set(p.roles)}
    bad = []
    for ev in evaluators:
        linked = set(ev.affiliated_with) | {p.id for p in c.parties if ev.id in p.affiliated_with}
        if ev.id in interested or linked & interested:
            bad.append(ev.name)
    if not bad:
        return None
    return (
        f"L'évaluateur n'est pas indépendant des investisseurs, de l'opérateur ou du structureur : {', '.join(bad)}.",
        f"The evaluator is not independent of investors, operator or structurer: {', '.join(bad)}.",
        "Confiez l'évaluation à une organisation sans lien avec eux.",
        "Give the evaluation to an organisation with no link to them.",
    )


def _civil_society_on_committees(c: Contract) -> tuple[str, str, str, str] | None:
    missing = []
    for kind in ("selection", "monitoring"):
        committees = [k for k in c.governance.committees if k.kind == kind]
        if not committees:
            missing.append(kind)
            continue
        for k in committees:
            seats = sum(1 for m in k.members if m.seat in (Seat.CIVIL_SOCIETY, Seat.BENEFICIARY))
            if seats < max(1, k.min_civil_society_seats):
                missing.append(k.id)
    if not missing:
        return None
    return (
        f"La société civile ne siège pas (ou pas assez) dans : {', '.join(missing)}.",
        f"Civil society has no (or too few) seats on: {', '.join(missing)}.",
        "Prévoyez des comités de sélection et de suivi avec des sièges civil_society (associations, têtes de réseau).",
        "Provide selection and monitoring committees with civil_society seats (associations, networks).",
    )


def _declarations(c: Contract) -> tuple[str, str, str, str] | None:
    declared = {d.person for d in c.governance.declarations}
    members = sorted({m.person for k in c.governance.committees for m in k.members})
    missing = [p for p in members if p not in declared]
    if not members or not missing:
        return None if members else (
            "Aucun membre de comité, donc aucune déclaration d'intérêts.",
            "No committee members, hence no conflict-of-interest declarations.",
            "Composez les comités et recueillez une déclaration d'intérêts de chaque membre.",
            "Form the committees and collect a declaration from each member.")
    return (
        f"Déclaration d'intérêts manquante pour : {', '.join(missing)}.",
        f"Conflict-of-interest declaration missing for: {', '.join(missing)}.",
        "Recueillez une déclaration (même vide) de chaque membre dans governance.declarations.",
        "Collect a declaration (even an empty one) from each member in governance.declarations.",
    )


def _plan_complete(c: Contract) -> tuple[str, str, str, str] | None:
    p = c.evaluation.analysis_plan
    missing = [name for name in ("primary_outcome", "estimator", "se_type", "alpha", "sidedness", "minimum_effect")
               if getattr(p, name) is None]
    if c.evaluation.design.has_control_cohort and p.se_type is not None and c.evaluation.design == Design.CLUSTER_RCT \
            and not p.se_type.startswith("CR"):
        missing.append("se_type (CR0/CR1/CR2 for a cluster design)")
    if not missing:
        return None
    return (
        f"Plan d'analyse pré-enregistré incomplet : {', '.join(missing)}.",
        f"Pre-registered analysis plan incomplete: {', '.join(missing)}.",
        "Complétez evaluation.analysis_plan avant tout résultat.",
        "Complete evaluation.analysis_plan before any outcome exists.",
    )


def _longitudinal(c: Contract) -> tuple[str, str, str, str] | None:
    ev = c.evaluation
    if ev.design.has_control_cohort and ev.longitudinal_follow_up and ev.follow_up_waves:
        return None
    if ev.alternative_design_justification is not None and ev.design.has_counterfactual:
        return None
    return (
        "Aucune cohorte témoin suivie dans le temps (mêmes personnes à chaque vague), et aucune alternative justifiée.",
        "No control cohort followed over time (the same people at each wave), and no justified alternative.",
        "Suivez les cohortes expérimentale et témoin sur des vagues (follow_up_waves, longitudinal_follow_up: true), "
        "ou justifiez un autre plan (alternative_design_justification).",
        "Follow programme and control cohorts over waves (follow_up_waves, longitudinal_follow_up: true), "
        "or justify another design (alternative_design_justification).",
    )


def _representativeness(c: Contract) -> tuple[str, str, str, str] | None:
    if c.population.reference_margins:
        return None
    return (
        "Aucune population de référence : impossible de vérifier que le public servi représente les besoins réels (écrémage).",
        "No reference population: one cannot check that those served represent real needs (creaming).",
        "Ajoutez population.reference_margins (âge, sexe, niveau de risque… dans le territoire), avec leur source.",
        "Add population.reference_margins (age, sex, risk level… in the territory), with their source.",
    )


def _budget_lines(c: Contract) -> tuple[str, str, str, str] | None:
    if any(line.mandatory for line in c.governance.protected_budget_lines):
        return None
    return (
        "Le contrat ne nomme pas les lignes budgétaires du payeur (dont les dépenses obligatoires) qu'il ne doit pas évincer.",
        "The contract does not name the payer's budget lines (mandatory ones included) that it must not displace.",
        "Ajoutez governance.protected_budget_lines avec au moins une ligne obligatoire.",
        "Add governance.protected_budget_lines with at least one mandatory line.",
    )


def _pays_only_with_evidence(c: Contract) -> tuple[str, str, str, str] | None:
    if not c.payments.pay_without_evidence_standard:
        return None
    return (
        "Le contrat prévoit de payer même si l'évaluation ne satisfait pas aux standards de preuve.",
        "The contract pays even when the evaluation does not meet evidence standards.",
        "Retirez payments.pay_without_evidence_standard.",
        "Remove payments.pay_without_evidence_standard.",
    )


def _observers(c: Contract) -> tuple[str, str, str, str] | None:
    if c.parties_with(Role.OBSERVER) and c.parties_with(Role.BENEFICIARY_REP):
        return None
    return (
        "Observateurs de la société civile ou représentants des personnes accompagnées absents des parties.",
        "Civil-society observers or beneficiary representatives are missing from the parties.",
        "Ajoutez une partie civil_society_observer et une partie beneficiary_representative.",
        "Add a civil_society_observer party and a beneficiary_representative party.",
    )


def _prudent_basis(c: Contract) -> tuple[str, str, str, str] | None:
    if c.payments.basis == "lower_confidence_bound" or not c.evaluation.design.has_counterfactual:
        return None
    return (
        "Le paiement repose sur l'estimation ponctuelle : un effet nul a une chance sur deux d'être payé s'il dépasse le seuil par hasard.",
        "Payment uses the point estimate: a null effect can be paid when it crosses the threshold by chance.",
        "Payez sur la borne basse de l'intervalle de confiance (payments.basis: lower_confidence_bound).",
        "Pay on the lower confidence bound (payments.basis: lower_confidence_bound).",
    )


RULES: tuple[Rule, ...] = (
    Rule("S01", "error", "Contrefactuel", "Counterfactual", _counterfactual),
    Rule("S02", "warning", "Contrefactuel robuste", "Robust counterfactual", _weak_counterfactual),
    Rule("S03", "error", "Plafond aux économies réalisées", "Cap at realised savings", _savings_cap),
    Rule("S04", "error", "Plafond de rendement", "Return cap", _return_cap),
    Rule("S05", "error", "Évaluateur indépendant", "Independent evaluator", _independent_evaluator),
    Rule("S06", "error", "Société civile dans les comités", "Civil society on committees", _civil_society_on_committees),
    Rule("S07", "error", "Déclarations d'intérêts", "Conflict-of-interest declarations", _declarations),
    Rule("S08", "error", "Plan d'analyse complet", "Complete analysis plan", _plan_complete),
    Rule("S09", "error", "Suivi longitudinal", "Longitudinal follow-up", _longitudinal),
    Rule("S10", "error", "Représentativité", "Representativeness", _representativeness),
    Rule("S11", "error", "Dépenses obligatoires protégées", "Mandatory spending protected", _budget_lines),
    Rule("S12", "warning", "Paiement conditionné à la preuve", "Payment conditional on evidence", _pays_only_with_evidence),
    Rule("S13", "warning", "Observateurs et personnes accompagnées", "Observers and beneficiaries", _observers),
    Rule("S14", "info", "Base de paiement prudente", "Prudent payment basis", _prudent_basis),
)


def check_contract(contract: Contract) -> list[Outcome]:
    """Run every safeguard rule; one outcome per rule, in rule order."""
    out = []
    for rule in RULES:
        found = rule.check(contract)
        if found is None:
            out.append(Outcome(rule.code, rule.severity, True, rule.title_fr, rule.title_en))
        else:
            out.append(Outcome(rule.code, rule.severity, False, rule.title_fr, rule.title_en, *found))
    return out


def has_blocking(outcomes: list[Outcome]) -> bool:
    return any(o.blocking for o in outcomes)

"""Safeguard checks: does a contract carry the guarantees civil society asks of a CIS?

Each rule has a stable code, a severity, a title and, when it fails, a message and how to fix
it, all as :class:`~temoin.messages.Msg` (rendered in the reader's language by the entry points).
A rule returns ``None`` when the contract satisfies it, or a (message, fix) pair when it does
not. ``check_contract`` runs them all and returns one :class:`Outcome` per rule, passed or not,
so a report can show what holds as well as what fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from temoin.contract.model import Contract, Design, Role, Seat
from temoin.messages import Msg

Severity = Literal["error", "warning", "info"]
Found = tuple[Msg, Msg] | None
"""None when the rule is satisfied, else (message, fix)."""


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: Msg
    check: Callable[[Contract], Found]


@dataclass(frozen=True)
class Outcome:
    code: str
    severity: Severity
    passed: bool
    title: Msg
    message: Msg | None = None
    fix: Msg | None = None

    @property
    def blocking(self) -> bool:
        return not self.passed and self.severity == "error"

    def to_dict(self) -> dict[str, object]:
        """As data: the code, severity and outcome, and the messages as :meth:`Msg.to_dict`."""
        return {
            "code": self.code, "severity": self.severity, "passed": self.passed, "title": self.title.to_dict(),
            "message": None if self.message is None else self.message.to_dict(),
            "fix": None if self.fix is None else self.fix.to_dict(),
        }


def _label(kind: str, code: str) -> Msg:
    """The label of a code of a closed set, as a message (``label:<kind>:<code>`` in the catalogue)."""
    return Msg(f"label:{kind}:{code}")


def _counterfactual(c: Contract) -> Found:
    d = c.evaluation.design
    if d.has_counterfactual:
        return None
    return (
        Msg("The contract is evaluated by a design without a comparison group ({design}): it cannot prove impact. "
            "A target met may come from the context or from who was enrolled.", design=d),
        Msg("Use a randomised trial (stratified or clustered if needed) or, failing that, a matched comparison or "
            "difference-in-differences."),
    )


def _weak_counterfactual(c: Contract) -> Found:
    if c.evaluation.design not in (Design.BENCHMARK, Design.HISTORICAL):
        return None
    return (
        Msg("Comparing with a reference rate or a past period does not guarantee that the publics are comparable."),
        Msg("Adjust for participants' characteristics and justify comparability, or randomise."),
    )


def _savings_cap(c: Contract) -> Found:
    if not c.caps.payments_within_realised_savings:
        return (
            Msg("Payments are not capped at the public savings actually realised."),
            Msg("Cap the payments at the public savings actually realised, and give the public cost each paid outcome avoids."),
        )
    paid = {p.indicator for p in c.payments.indicators}
    costed = {s.indicator for s in c.savings}
    # a rate-card outcome carries its own saving (unit_saving)
    missing = sorted(paid - costed) + [i.outcome for i in c.payments.rate_card if i.unit_saving is None]
    if missing or not (paid or c.payments.rate_card):
        return (
            Msg("The realised-savings cap is on, but the public cost avoided is missing for: {missing}.",
                missing=missing or [Msg("(no paid indicator)")]),
            Msg("Give, for each paid indicator and each outcome of the price list, the public cost it avoids (unit cost and its source)."),
        )
    return None


def _return_cap(c: Contract) -> Found:
    if c.caps.investor_return is not None:
        return None
    return (
        Msg("No cap on investors' return (IRR or multiple)."),
        Msg("Cap the investors' return, for example at an internal rate of return of 5 % a year."),
    )


def _independent_evaluator(c: Contract) -> Found:
    evaluators = c.parties_with(Role.EVALUATOR)
    if not evaluators:
        return (Msg("No independent evaluator is named."),
                Msg("Add a party with the role {role}.", role=Role.EVALUATOR))
    interested = {p.id for p in c.parties if {Role.INVESTOR, Role.OPERATOR, Role.STRUCTURER} & set(p.roles)}
    bad = []
    for ev in evaluators:
        linked = set(ev.affiliated_with) | {p.id for p in c.parties if ev.id in p.affiliated_with}
        if ev.id in interested or linked & interested:
            bad.append(ev.name)
    if not bad:
        return None
    return (
        Msg("The evaluator is not independent of investors, operator or structurer: {evaluators}.", evaluators=bad),
        Msg("Give the evaluation to an organisation with no link to them."),
    )


def _civil_society_on_committees(c: Contract) -> Found:
    missing: list[Msg | str] = []
    for kind in ("selection", "monitoring"):
        committees = [k for k in c.governance.committees if k.kind == kind]
        if not committees:
            missing.append(_label("committee_kind", kind))
            continue
        for k in committees:
            seats = sum(1 for m in k.members if m.seat in (Seat.CIVIL_SOCIETY, Seat.BENEFICIARY))
            if seats < max(1, k.min_civil_society_seats):
                missing.append(k.id)
    if not missing:
        return None
    return (
        Msg("Civil society has no (or too few) seats on: {committees}.", committees=missing),
        Msg("Give civil society (associations, networks) seats on the selection and monitoring committees."),
    )


def _declarations(c: Contract) -> Found:
    declared = {d.person for d in c.governance.declarations}
    members = sorted({m.person for k in c.governance.committees for m in k.members})
    missing = [p for p in members if p not in declared]
    if not members:
        return (Msg("No committee members, hence no conflict-of-interest declarations."),
                Msg("Form the committees and collect a declaration from each member."))
    if not missing:
        return None
    return (
        Msg("Conflict-of-interest declaration missing for: {people}.", people=missing),
        Msg("Collect a declaration of interests (even an empty one) from each committee member."),
    )


def _plan_complete(c: Contract) -> Found:
    p = c.evaluation.analysis_plan
    missing: list[Msg | str] = [name for name in ("primary_outcome", "estimator", "se_type", "alpha", "sidedness",
                                                  "minimum_effect") if getattr(p, name) is None]
    if c.evaluation.design == Design.CLUSTER_RCT and p.se_type is not None and not p.se_type.startswith("CR"):
        missing.append(Msg("se_type (CR0, CR1 or CR2 for a cluster design)"))
    if not missing:
        return None
    return (
        Msg("Pre-registered analysis plan incomplete: {missing}.", missing=missing),
        Msg("Complete the analysis plan (main outcome, estimator, standard errors, risk of error, one- or two-sided test, minimum effect) before any outcome exists."),
    )


def _longitudinal(c: Contract) -> Found:
    ev = c.evaluation
    if ev.design.has_control_cohort and ev.longitudinal_follow_up and ev.follow_up_waves:
        return None
    if ev.alternative_design_justification is not None and ev.design.has_counterfactual:
        return None
    return (
        Msg("No control cohort followed over time (the same people at each wave), and no justified alternative."),
        Msg("Follow the same people, in the programme and in the comparison group, at each follow-up wave, or justify another design in the contract."),
    )


def _representativeness(c: Contract) -> Found:
    if c.population.reference_margins:
        return None
    return (
        Msg("No reference population: one cannot check that those served represent real needs (creaming)."),
        Msg("Describe the population of the territory that the people served should represent (age, sex, risk level…), with its source."),
    )


def _budget_lines(c: Contract) -> Found:
    if any(line.mandatory for line in c.governance.protected_budget_lines):
        return None
    return (
        Msg("The contract does not name the payer's budget lines (mandatory ones included) that it must not displace."),
        Msg("Name the payer's budget lines that the contract must not displace, at least one of them mandatory."),
    )


def _pays_only_with_evidence(c: Contract) -> Found:
    if not c.payments.pay_without_evidence_standard:
        return None
    return (
        Msg("The contract pays even when the evaluation does not meet evidence standards."),
        Msg("Pay only when the evaluation meets the evidence standards."),
    )


def _observers(c: Contract) -> Found:
    if c.parties_with(Role.OBSERVER) and c.parties_with(Role.BENEFICIARY_REP):
        return None
    return (
        Msg("Civil-society observers or beneficiary representatives are missing from the parties."),
        Msg("Add a party with the role {observer} and one with the role {representative}.", observer=Role.OBSERVER,
            representative=Role.BENEFICIARY_REP),
    )


def _prudent_basis(c: Contract) -> Found:
    if c.payments.basis == "lower_confidence_bound" or not c.evaluation.design.has_counterfactual:
        return None
    return (
        Msg("Payment uses the point estimate: a null effect can be paid when it crosses the threshold by chance."),
        Msg("Pay on the lower confidence bound: the effect the evaluation vouches for at the chosen confidence level, not the point estimate."),
    )


def _sensitive_purpose(c: Contract) -> Found:
    """Minimisation: a sensitive attribute (health, justice) is processed only for a stated purpose."""
    missing = [a.name for a in c.population.attributes if a.data_class is not None and a.data_class.sensitive
               and a.name not in c.evaluation.analysis_plan.purposes]
    if not missing:
        return None
    return (
        Msg("Sensitive attribute(s) without a stated purpose: {names} (health or justice data, GDPR art. 9 and 10).",
            names=", ".join(missing)),
        Msg("Say in the analysis plan's purposes why the evaluation needs each one, or remove it from the population."),
    )


def _classes_declared(c: Contract) -> bool:
    return any(a.data_class is not None for a in c.population.attributes)


RULES: tuple[Rule, ...] = (
    Rule("S01", "error", Msg("Counterfactual"), _counterfactual),
    Rule("S02", "warning", Msg("Robust counterfactual"), _weak_counterfactual),
    Rule("S03", "error", Msg("Cap at realised savings"), _savings_cap),
    Rule("S04", "error", Msg("Return cap"), _return_cap),
    Rule("S05", "error", Msg("Independent evaluator"), _independent_evaluator),
    Rule("S06", "error", Msg("Civil society on committees"), _civil_society_on_committees),
    Rule("S07", "error", Msg("Conflict-of-interest declarations"), _declarations),
    Rule("S08", "error", Msg("Complete analysis plan"), _plan_complete),
    Rule("S09", "error", Msg("Longitudinal follow-up"), _longitudinal),
    Rule("S10", "error", Msg("Representativeness"), _representativeness),
    Rule("S11", "error", Msg("Mandatory spending protected"), _budget_lines),
    Rule("S12", "warning", Msg("Payment conditional on evidence"), _pays_only_with_evidence),
    Rule("S13", "warning", Msg("Observers and beneficiaries"), _observers),
    Rule("S14", "info", Msg("Prudent payment basis"), _prudent_basis),
)
DATA_RULES: tuple[Rule, ...] = (
    Rule("S15", "error", Msg("Sensitive data only for a stated purpose"), _sensitive_purpose),
)
"""Rules that apply once the contract classes its attributes (a contract without classes is checked
as before, so its report does not change)."""


def check_contract(contract: Contract) -> list[Outcome]:
    """Run every safeguard rule; one outcome per rule, in rule order."""
    out = []
    for rule in (*RULES, *(DATA_RULES if _classes_declared(contract) else ())):
        found = rule.check(contract)
        if found is None:
            out.append(Outcome(rule.code, rule.severity, True, rule.title))
        else:
            out.append(Outcome(rule.code, rule.severity, False, rule.title, *found))
    return out


def has_blocking(outcomes: list[Outcome]) -> bool:
    return any(o.blocking for o in outcomes)

"""Cross-field rules of a contract document that pydantic's per-field checks cannot see.

Each problem names the field path (``payments.periods[1].end_date``) and what to do, as messages.
These make a document *invalid* (it cannot be stored); the safeguard checks in
:mod:`temoin.contract.checks` judge a *valid* contract against civil society's demands.

Each rule is a small generator, run on its own: on a document whose other parts failed pydantic's
checks (:mod:`temoin.contract._lenient`), a rule that reads a part that did not validate stops
with :class:`~temoin.contract._lenient.Unknowable` and says nothing, while the others still speak,
so that every problem of a document is reported in one pass.
"""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Callable, Iterator
from decimal import Decimal

from temoin.contract._lenient import Unknowable
from temoin.contract.model import Contract, Role
from temoin.errors import TemoinError
from temoin.messages import Amount, Msg

__all__ = ["consistency_problems"]

Found = Iterator[TemoinError]


def _problem(code: str, path: str, message: Msg, hint: Msg) -> TemoinError:
    return TemoinError(f"contract.{code}", message, path=path, hint=hint)


_UNKNOWN = {
    "party": Msg("Unknown party: '{value}'."),
    "attribute": Msg("Unknown attribute: '{value}'."),
    "indicator": Msg("Unknown indicator: '{value}'."),
    "wave": Msg("Unknown wave: '{value}'."),
}


def _exact(x: float) -> Decimal:
    """A float to six significant digits as an exact number, for a message (``0.5`` reads ``0,5``, not ``0,50``)."""
    return Decimal(f"{x:g}")


def _unknown(kind: str, path: str, value: str, known: list[str]) -> TemoinError:
    """A reference to something the contract does not declare, with the nearest name if one is close."""
    value, known = str(value), [str(k) for k in known]  # a part that did not validate stops here
    close = difflib.get_close_matches(value, known, n=1)
    if close:
        hint = Msg("Did you mean '{suggestion}'? Choose one of {choices}.", suggestion=close[0], choices=known)
    elif known:
        hint = Msg("Choose one of {choices}.", choices=known)
    else:
        hint = Msg("None is declared yet: declare it first.")
    return _problem(f"unknown_{kind}", path, Msg(_UNKNOWN[kind].id, value=value), hint)


def _dates(c: Contract) -> Found:
    if c.end_date <= c.start_date:
        yield _problem("dates_order", "end_date", Msg("The end date is not after the start date."),
                       Msg("Fix start_date or end_date."))
    if c.signed_date and c.signed_date > c.start_date:
        yield _problem("dates_order", "signed_date", Msg("The contract is signed after it starts."),
                       Msg("Signature must come before start_date."))


def _parties(c: Contract) -> Found:
    party_ids = [p.id for p in c.parties]
    for dup in sorted({x for x in party_ids if party_ids.count(x) > 1}):
        yield _problem("duplicate_party", "parties", Msg("Duplicate party: '{party}'.", party=dup),
                       Msg("Give each party a unique id."))
    for i, p in enumerate(c.parties):
        for j, a in enumerate(p.affiliated_with):
            if a not in party_ids:
                yield _unknown("party", f"parties[{i}].affiliated_with[{j}]", a, party_ids)


def _payer(c: Contract) -> Found:
    if not c.parties_with(Role.OUTCOME_PAYER):
        yield _problem("no_payer", "parties", Msg("No outcome payer."),
                       Msg("Add a party with the role {role} (roles: [{code}]).", role=Role.OUTCOME_PAYER,
                           code=Role.OUTCOME_PAYER.value))


def _population(c: Contract) -> Found:
    attr_names = [a.name for a in c.population.attributes]
    for i, rule in enumerate(c.population.eligibility):
        if rule.attribute not in attr_names:
            yield _unknown("attribute", f"population.eligibility[{i}].attribute", rule.attribute, attr_names)
    for i, m in enumerate(c.population.reference_margins):
        attr = c.population.attribute(m.attribute)
        if attr is None:
            yield _unknown("attribute", f"population.reference_margins[{i}].attribute", m.attribute, attr_names)
        elif attr.type == "categorical" and set(m.shares) - set(attr.categories):
            extra = sorted(set(m.shares) - set(attr.categories))
            yield _problem("unknown_category", f"population.reference_margins[{i}].shares",
                           Msg("Unknown categories for {attribute}: {categories}.", attribute=m.attribute,
                               categories=extra),
                           Msg("Use {choices}.", choices=list(attr.categories)))
    for i, a in enumerate(c.population.attributes):
        if set(a.category_labels) - set(a.categories):
            extra = sorted(set(a.category_labels) - set(a.categories))
            yield _problem("unknown_category", f"population.attributes[{i}].category_labels",
                           Msg("Unknown categories for {attribute}: {categories}.", attribute=a.name, categories=extra),
                           Msg("Use {choices}.", choices=list(a.categories)))


def _evaluation_attributes(c: Contract) -> Found:
    attr_names = [a.name for a in c.population.attributes]
    ev = c.evaluation
    for k, s in enumerate(ev.strata):
        if s not in attr_names:
            yield _unknown("attribute", f"evaluation.strata[{k}]", s, attr_names)
    if ev.cluster and ev.cluster not in attr_names:
        yield _unknown("attribute", "evaluation.cluster", ev.cluster, attr_names)
    for k, cov in enumerate(ev.analysis_plan.covariates):
        if cov not in attr_names:
            yield _unknown("attribute", f"evaluation.analysis_plan.covariates[{k}]", cov, attr_names)


def _plan_outcomes(c: Contract) -> Found:
    ind_ids = [i.id for i in c.indicators]
    plan = c.evaluation.analysis_plan
    if plan.primary_outcome and plan.primary_outcome not in ind_ids:
        yield _unknown("indicator", "evaluation.analysis_plan.primary_outcome", plan.primary_outcome, ind_ids)
    for k, o in enumerate(plan.secondary_outcomes):
        if o not in ind_ids:
            yield _unknown("indicator", f"evaluation.analysis_plan.secondary_outcomes[{k}]", o, ind_ids)


def _waves(c: Contract) -> Found:
    months = [w.months_after_enrolment for w in c.evaluation.follow_up_waves]
    if months != sorted(months) or len(set(months)) != len(months):
        yield _problem("waves_order", "evaluation.follow_up_waves", Msg("Follow-up waves are not in increasing order."),
                       Msg("Order them by months_after_enrolment."))


def _priced_indicators(c: Contract) -> Found:
    ind_ids = [i.id for i in c.indicators]
    for k, ip in enumerate(c.payments.indicators):
        base = f"payments.indicators[{k}]"
        if ip.indicator not in ind_ids:
            yield _unknown("indicator", f"{base}.indicator", ip.indicator, ind_ids)
        for j, gate in enumerate(ip.requires):
            if gate.indicator not in ind_ids:
                yield _unknown("indicator", f"{base}.requires[{j}].indicator", gate.indicator, ind_ids)


def _tiers(c: Contract) -> Found:
    for k, ip in enumerate(c.payments.indicators):
        base = f"payments.indicators[{k}]"
        aboves = [t.above for t in ip.bonus_tiers]
        if aboves != sorted(aboves):
            yield _problem("tiers_order", f"{base}.bonus_tiers", Msg("Bonus tiers are not in increasing order."),
                           Msg("Order tiers by their threshold."))
        for j, tier in enumerate(ip.bonus_tiers):
            if tier.above < ip.threshold:
                yield _problem("tier_below_threshold", f"{base}.bonus_tiers[{j}].above",
                               Msg("The bonus tier ({tier}) is below the payment threshold ({threshold}): it could never "
                                   "apply on its own.", tier=_exact(tier.above), threshold=_exact(ip.threshold)),
                               Msg("Put the tier above the threshold, or lower the threshold."))


def _grids(c: Contract) -> Found:
    for k, ip in enumerate(c.payments.indicators):
        if not ip.grid:
            continue
        base = f"payments.indicators[{k}]"
        steps = [g.at_least for g in ip.grid]
        amounts = [g.amount for g in ip.grid]
        if any(b <= a for a, b in itertools.pairwise(steps)) or any(b < a for a, b in itertools.pairwise(amounts)):
            yield _problem("grid_order", f"{base}.grid",
                           Msg("The grid is not increasing: each step needs a higher threshold and an amount at least the "
                               "previous one's."), Msg("Order the steps by threshold."))
        if ip.price_per_unit or ip.bonus_tiers:
            yield _problem("grid_and_price", f"{base}.grid",
                           Msg("A grid replaces the unit price and the bonuses: do not give both."),
                           Msg("Remove price_per_unit and bonus_tiers, or the grid."))


def _pooled(c: Contract) -> Found:
    for k, ip in enumerate(c.payments.indicators):
        if ip.pooled is None:
            continue
        base = f"payments.indicators[{k}]"
        if c.payments.accumulation != "by_cohort":
            yield _problem("pooled_without_cohorts", f"{base}.pooled",
                           Msg("A pooled result only makes sense with payments by cohort."),
                           Msg("Write payments.accumulation: by_cohort, or remove pooled."))
        wave_ids = [w.id for w in c.evaluation.follow_up_waves]
        if ip.pooled.wave not in wave_ids:
            yield _unknown("wave", f"{base}.pooled.wave", ip.pooled.wave, wave_ids)


def _cohort_waves(c: Contract) -> Found:
    if c.payments.accumulation == "by_cohort":
        cohort_waves = [p.wave for p in c.payments.periods]
        if None in cohort_waves or len(set(cohort_waves)) != len(cohort_waves):
            yield _problem("cohort_waves", "payments.periods",
                           Msg("With payments by cohort, each period settles its own wave (its cohort)."),
                           Msg("Give each period a different wave."))


def _periods(c: Contract) -> Found:
    previous = None
    for k, period in enumerate(c.payments.periods):
        base = f"payments.periods[{k}]"
        if period.end_date < c.start_date:
            yield _problem("dates_order", f"{base}.end_date", Msg("The period ends before the contract starts."),
                           Msg("It must come after start_date."))
        if period.payment_date < period.end_date:
            yield _problem("dates_order", f"{base}.payment_date", Msg("The payment is due before the period ends."),
                           Msg("payment_date must follow end_date."))
        if previous is not None and period.end_date <= previous:
            yield _problem("dates_order", f"{base}.end_date", Msg("Periods are not in chronological order."),
                           Msg("Order them by end date."))
        previous = period.end_date


def _period_waves(c: Contract) -> Found:
    wave_ids = [w.id for w in c.evaluation.follow_up_waves]
    for k, period in enumerate(c.payments.periods):
        if period.wave and period.wave not in wave_ids:
            yield _unknown("wave", f"payments.periods[{k}].wave", period.wave, wave_ids)


def _savings(c: Contract) -> Found:
    ind_ids = [i.id for i in c.indicators]
    for k, s in enumerate(c.savings):
        if s.indicator not in ind_ids:
            yield _unknown("indicator", f"savings[{k}].indicator", s.indicator, ind_ids)


def _return_cap(c: Contract) -> Found:
    if c.caps.investor_return is not None and not c.investments:
        yield _problem("return_cap_without_investment", "caps.investor_return", Msg("A return cap with no investments."),
                       Msg("Add the investments or remove the cap."))


def _payer_shares(c: Contract) -> Found:
    payers = c.parties_with(Role.OUTCOME_PAYER)
    shares = [p.payment_share for p in payers]
    if len(payers) > 1 or any(x is not None for x in shares):
        total = sum(x or 0.0 for x in shares)
        if any(x is None for x in shares) or abs(total - 1.0) > 1e-9:
            yield _problem("payer_shares", "parties",
                           Msg("The outcome payers' shares must be given for each of them and add up to 1 (they add up "
                               "to {total}).", total=_exact(total)),
                           Msg("Give each payer a payment_share, for example 0.5 and 0.5."))


def _payer_maximum(c: Contract) -> Found:
    payer_max = [p.max_commitment for p in c.parties_with(Role.OUTCOME_PAYER) if p.max_commitment is not None]
    cap = c.caps.total_outcome_payments
    if cap is not None and payer_max:
        limit = sum(payer_max, Decimal(0))
        if cap > limit:
            yield _problem("cap_above_payer_maximum", "caps.total_outcome_payments",
                           Msg("The cap ({cap}) is above the payer's maximum commitment ({limit}).",
                               cap=Amount(cap, str(c.currency)), limit=Amount(limit, str(c.currency))),
                           Msg("Lower the cap or raise the payer's max_commitment."))


def _investments(c: Contract) -> Found:
    party_ids = [p.id for p in c.parties]
    for k, inv in enumerate(c.investments):
        party = c.party(inv.investor)
        if party is None:
            yield _unknown("party", f"investments[{k}].investor", inv.investor, party_ids)
        elif Role.INVESTOR not in party.roles:
            yield _problem("not_an_investor", f"investments[{k}].investor",
                           Msg("'{party}' does not hold the role {role}.", party=inv.investor, role=Role.INVESTOR),
                           Msg("Add {code} to its roles.", code=Role.INVESTOR.value))
        if inv.guarantee and inv.guarantee.guarantor not in party_ids:
            yield _unknown("party", f"investments[{k}].guarantee.guarantor", inv.guarantee.guarantor, party_ids)


def _guarantees(c: Contract) -> Found:
    for k, inv in enumerate(c.investments):
        if not inv.guarantee:
            continue
        principal = sum((t.amount for t in inv.tranches), Decimal(0))
        if inv.guarantee.amount is not None and inv.guarantee.amount > principal:
            yield _problem("guarantee_above_principal", f"investments[{k}].guarantee.amount",
                           Msg("The guarantee ({guarantee}) is above the principal invested ({principal}).",
                               guarantee=Amount(inv.guarantee.amount, str(c.currency)),
                               principal=Amount(principal, str(c.currency))),
                           Msg("A guarantee covers at most the principal: lower it."))
        if inv.instrument == "grant":
            yield _problem("guarantee_on_grant", f"investments[{k}].guarantee",
                           Msg("A grant is not repaid: it cannot be guaranteed."),
                           Msg("Remove the guarantee, or change the instrument."))


def _tranches(c: Contract) -> Found:
    for k, inv in enumerate(c.investments):
        dates = [t.date for t in inv.tranches]
        if dates != sorted(dates):
            yield _problem("dates_order", f"investments[{k}].tranches", Msg("Tranches are not in date order."),
                           Msg("Order them by date."))
        for j, t in enumerate(inv.tranches):
            if t.date > c.end_date:
                yield _problem("dates_order", f"investments[{k}].tranches[{j}].date",
                               Msg("Tranche disbursed after the contract ends."), Msg("It must come before end_date."))


def _costs(c: Contract) -> Found:
    party_ids = [p.id for p in c.parties]
    for k, cost in enumerate(c.costs):
        if cost.paid_by not in party_ids:
            yield _unknown("party", f"costs[{k}].paid_by", cost.paid_by, party_ids)


def _committees(c: Contract) -> Found:
    party_ids = [p.id for p in c.parties]
    for k, com in enumerate(c.governance.committees):
        for j, member in enumerate(com.members):
            if member.organisation not in party_ids:
                yield _unknown("party", f"governance.committees[{k}].members[{j}].organisation", member.organisation,
                               party_ids)


RULES: tuple[Callable[[Contract], Found], ...] = (
    _dates, _parties, _payer, _population, _evaluation_attributes, _plan_outcomes, _waves, _priced_indicators, _tiers,
    _grids, _pooled, _cohort_waves, _periods, _period_waves, _savings, _return_cap, _payer_shares, _payer_maximum,
    _investments, _guarantees, _tranches, _costs, _committees,
)


def consistency_problems(c: Contract) -> list[TemoinError]:
    """Every cross-field problem of ``c``, in the order of the document's sections.

    On a contract made leniently from a document with invalid parts, a rule that reads one of them
    stops there (what it found before stays): its question cannot be answered yet."""
    out: list[TemoinError] = []
    for rule in RULES:
        try:
            for problem in rule(c):
                out.append(problem)
        except Unknowable:
            continue
    return out

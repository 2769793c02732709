"""Every payment decision in words, from the payment rule's own result.

A settlement (recorded, or a preview) holds, period by period, what the payment rule decided: each
priced indicator's verified impact and its status (paid, below the threshold, …), the gross amount,
what each cap held back and the amount due. :func:`explain_settlement` says each of these in the
reader's words, beside the numbers, without computing anything again: every value it quotes is read
from the settlement; from the contract it takes only what names them (the bound the contract pays
on, at the plan's level and sidedness, and the threshold the rule compared the bound with,
:func:`temoin.settlement.rule.payment_threshold`).

The same sentences are shown on the evaluation, overview and settlement pages and in both reports
(internal and public), so that every page names the same bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from temoin.contract.model import Contract, IndicatorPrice
from temoin.i18n import Translator
from temoin.i18n.contract_labels import unit_label
from temoin.settlement.payments import EntitlementStatus
from temoin.settlement.rule import payment_threshold

__all__ = ["bound_name", "explain_settlement", "extra_cost_sentence", "impact_value"]


def bound_name(contract: Contract, words: Translator) -> str:
    """The bound the contract pays on, named as a reader reads it: « la borne basse unilatérale à 95 % »,
    « la borne basse de l'intervalle de confiance bilatéral à 90 % », « l'estimation ponctuelle »."""
    if contract.payments.basis == "point_estimate":
        return words("the point estimate")
    plan = contract.evaluation.analysis_plan
    level = words.share(1 - (plan.alpha or 0.05), 0)
    if (plan.sidedness or "two_sided") == "one_sided":
        return words("the one-sided lower bound at {level}", level=level)
    return words("the lower bound of the two-sided {level} confidence interval", level=level)


def impact_value(value: float | None, unit: str, words: Translator, decimals: int | None = 1,
                 contract: Contract | None = None) -> str:
    """An impact (or, with ``decimals=None``, a threshold as written) in the indicator's unit:
    « 5,8 jours », « 10 jours », « +3,2 points »."""
    if value is None:
        return words("not estimable")
    if unit.startswith("share"):
        return words.points(value)
    shown = words.number(value, decimals)
    return words("{value} {unit}", value=shown, unit=unit_label(contract, unit, words)) if unit else shown


def _price(contract: Contract, indicator: str) -> IndicatorPrice | None:
    return next((p for p in contract.payments.indicators if p.indicator == indicator), None)


def _threshold(contract: Contract, price: IndicatorPrice | None, wave: str | None, last_period: bool) -> float | None:
    """The threshold the rule compared this line with (a pooled result has its own)."""
    if price is None:
        return None
    if last_period and price.pooled is not None and wave == price.pooled.wave:
        return price.pooled.threshold
    return payment_threshold(price)


def _money(words: Translator, value: Any, currency: str) -> str:
    return words.money(Decimal(str(value)), currency)


def extra_cost_sentence(words: Translator, extra: Any, share: float | None, amount: str) -> str:
    """The comparison with direct funding in words: the CIS cost ``amount`` (already formatted, the
    absolute value of ``extra``) more or less than funding the programme directly, and by what share
    of it. A negative extra cost is a saving, never shown as a negative « surcoût »."""
    value = Decimal(str(extra))
    if value == 0:
        return words("The CIS cost the payer as much as funding the programme directly.")
    more = value > 0
    if share is None:
        return (words("The CIS cost the payer {amount} more than funding the programme directly.", amount=amount)
                if more else
                words("The CIS cost the payer {amount} less than funding the programme directly.", amount=amount))
    pct = words.share(abs(float(share)), 1)
    return (words("The CIS cost the payer {amount} ({share}) more than funding the programme directly.",
                  amount=amount, share=pct)
            if more else
            words("The CIS cost the payer {amount} ({share}) less than funding the programme directly.",
                  amount=amount, share=pct))


def _line(contract: Contract, e: Mapping[str, Any], period: str, currency: str, last: bool, words: Translator) -> str:
    """One priced indicator at one period: what the rule decided, and why."""
    indicator = e["indicator"]
    ind = contract.indicator(indicator)
    name = (ind.label.get(words.lang) if ind else indicator) or indicator
    unit = ind.unit if ind else ""
    price = _price(contract, indicator)
    bound = bound_name(contract, words)
    value = impact_value(e.get("verified_impact"), unit, words, contract=contract)
    limit = _threshold(contract, price, e.get("wave"), last)
    threshold = impact_value(limit, unit, words, None, contract) if limit is not None else "—"
    amount = _money(words, e["amount"], currency)
    status = EntitlementStatus(e["status"])
    if status is EntitlementStatus.BELOW_THRESHOLD:
        return words("{Bound} ({value}) is below the threshold of {threshold}: nothing is due for {indicator} in {period}.",
                     Bound=_capital(bound), value=value, threshold=threshold, indicator=name, period=period)
    if status is EntitlementStatus.NO_IMPROVEMENT:
        return words("{Bound} ({value}) is not above zero: no improvement is shown, nothing is due for {indicator} in "
                     "{period}.", Bound=_capital(bound), value=value, indicator=name, period=period)
    if status is EntitlementStatus.EVIDENCE_INSUFFICIENT:
        return words("The evaluation of {indicator} does not meet the evidence standards: nothing is due in {period}, "
                     "whatever the estimate ({value}).", indicator=name, period=period, value=value)
    if status is EntitlementStatus.NOT_ESTIMABLE:
        return words("The effect on {indicator} could not be estimated: nothing is due in {period}.",
                     indicator=name, period=period)
    if status is EntitlementStatus.REQUIREMENT_NOT_MET:
        return words("{indicator}: another indicator the payment requires does not reach its value: nothing is due in "
                     "{period}.", indicator=name, period=period)
    if status is EntitlementStatus.PENDING:
        return words("{indicator}: no result yet for this period; the entitlement stays at {amount}, the previous one.",
                     indicator=name, amount=amount)
    paid = words("{Bound} ({value}) reaches the threshold of {threshold}: {indicator} entitles to {amount} in all "
                 "since enrolment.", Bound=_capital(bound), value=value, threshold=threshold, indicator=name, amount=amount)
    if price is not None and not price.grid:
        units = words.number(Decimal(str(e["priced_units"])), 1)
        paid += " " + words("That is {units} units of verified impact at {price} each.", units=units,
                            price=_money(words, e["price_per_unit"], currency))
        if Decimal(str(e.get("bonus") or 0)) > 0:
            paid += " " + words("With a bonus of {bonus}.", bonus=_money(words, e["bonus"], currency))
    if status is EntitlementStatus.PAID_WITHOUT_EVIDENCE_STANDARD:
        paid += " " + words("Paid although the evaluation does not meet the evidence standards, because the contract "
                            "says so: this payment proves no impact.")
    return paid


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def explain_settlement(contract: Contract, data: Mapping[str, Any], words: Translator) -> list[dict[str, Any]]:
    """Each period of a settlement (its ``to_dict`` form, as recorded) in words: ``{"period", "label",
    "lines", "conclusion", "due"}``; ``lines`` say each indicator's decision, the gross amount and each
    cap that held something back; ``conclusion`` what is due."""
    currency = str(data.get("currency") or contract.currency)
    periods: Sequence[Mapping[str, Any]] = data.get("periods") or []
    last_id = contract.payments.periods[-1].id if contract.payments.periods else None
    out = []
    for p in periods:
        label = words.pick(p["label_fr"], p["label_en"])
        period = words("the period “{period}”", period=label)
        lines = [_line(contract, e, period, currency, p["period"] == last_id, words) for e in p.get("entitlements") or []]
        card = Decimal(str(p.get("rate_card_entitlement") or 0))
        if card > 0:
            lines.append(words("The rate card's outcomes entitle to {amount} in all.", amount=_money(words, card, currency)))
        gross = Decimal(str(p["gross"]))
        before = Decimal(str(p["paid_before"]))
        cumulative = Decimal(str(p["cumulative_entitlement"]))
        if cumulative > 0:
            lines.append(words("Entitlement since enrolment {entitlement}, less {before} already paid: {gross} before the "
                               "caps.", entitlement=_money(words, cumulative, currency),
                               before=_money(words, before, currency), gross=_money(words, gross, currency)))
        held = [c for c in p.get("caps") or [] if Decimal(str(c["reduction"])) > 0]
        for c in held:
            lines.append(words("The cap “{cap}” ({limit} in all, {room} left) holds back {reduction}.",
                               cap=words.label("cap", c["name"]), limit=_money(words, c["limit"], currency),
                               room=_money(words, c["room"], currency), reduction=_money(words, c["reduction"], currency)))
        if gross > 0 and not held:
            lines.append(words("No cap holds anything back."))
        savings = next((c for c in p.get("caps") or [] if c["name"] == "realised_savings"), None)
        if savings is not None and gross > 0 and savings not in held:
            lines.append(words("Payments stay within the realised public savings ({savings}).",
                               savings=_money(words, savings["limit"], currency)))
        due = Decimal(str(p["amount_due"]))
        conclusion = (words("{amount} is due for {period}.", amount=_money(words, due, currency), period=period) if due > 0
                      else words("Nothing is due for {period}.", period=period))
        out.append({"period": p["period"], "label": label, "lines": lines, "conclusion": conclusion,
                    "due": str(p["amount_due"])})
    return out

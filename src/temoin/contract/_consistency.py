"""Cross-field rules of a contract document that pydantic's per-field checks cannot see.

Each problem names the field path (``payments.periods[1].end_date``) and what to do.
These make a document *invalid* (it cannot be stored); the safeguard checks in
:mod:`temoin.contract.checks` judge a *valid* contract against civil society's demands.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from temoin.contract.model import Contract, Role
from temoin.errors import TemoinError


def _problem(code: str, path: str, fr: str, en: str, hint_fr: str, hint_en: str) -> TemoinError:
    return TemoinError(f"contract.{code}", fr, en, path=path, hint_fr=hint_fr, hint_en=hint_en)


def consistency_problems(c: Contract) -> list[TemoinError]:
    out: list[TemoinError] = []
    add = out.append

    if c.end_date <= c.start_date:
        add(_problem("dates_order", "end_date", "La date de fin précède la date de début.",
                     "The end date is not after the start date.",
                     "Corrigez start_date ou end_date.", "Fix start_date or end_date."))
    if c.signed_date and c.signed_date > c.start_date:
        add(_problem("dates_order", "signed_date", "Le contrat est signé après son début.",
                     "The contract is signed after it starts.",
                     "La signature doit précéder start_date.", "Signature must come before start_date."))

    party_ids = [p.id for p in c.parties]
    for dup in {x for x in party_ids if party_ids.count(x) > 1}:
        add(_problem("duplicate_party", "parties", f"Partie en double : « {dup} ».", f"Duplicate party: '{dup}'.",
                     "Chaque partie a un identifiant unique.", "Give each party a unique id."))
    for i, p in enumerate(c.parties):
        for j, a in enumerate(p.affiliated_with):
            if a not in party_ids:
                add(_unknown("party", f"parties[{i}].affiliated_with[{j}]", a, party_ids))
    if not c.parties_with(Role.OUTCOME_PAYER):
        add(_problem("no_payer", "parties", "Aucun payeur aux résultats.", "No outcome payer.",
                     "Ajoutez une partie avec le rôle outcome_payer.", "Add a party with role outcome_payer."))

    attr_names = [a.name for a in c.population.attributes]
    for i, rule in enumerate(c.population.eligibility):
        if rule.attribute not in attr_names:
            add(_unknown("attribute", f"population.eligibility[{i}].attribute", rule.attribute, attr_names))
    for i, m in enumerate(c.population.reference_margins):
        attr = c.population.attribute(m.attribute)
        if attr is None:
            add(_unknown("attribute", f"population.reference_margins[{i}].attribute", m.attribute, attr_names))
        elif attr.type == "categorical" and set(m.shares) - set(attr.categories):
            extra = sorted(set(m.shares) - set(attr.categories))
            add(_problem("unknown_category", f"population.reference_margins[{i}].shares",
                         f"Catégories inconnues pour {m.attribute} : {extra}.",
                         f"Unknown categories for {m.attribute}: {extra}.",
                         f"Utilisez {attr.categories}.", f"Use {attr.categories}."))

    ind_ids = [i.id for i in c.indicators]
    ev = c.evaluation
    for name, path in [(s, f"evaluation.strata[{k}]") for k, s in enumerate(ev.strata)] + (
        [(ev.cluster, "evaluation.cluster")] if ev.cluster else []
    ):
        if name not in attr_names:
            add(_unknown("attribute", path, name, attr_names))
    plan = ev.analysis_plan
    if plan.primary_outcome and plan.primary_outcome not in ind_ids:
        add(_unknown("indicator", "evaluation.analysis_plan.primary_outcome", plan.primary_outcome, ind_ids))
    for k, o in enumerate(plan.secondary_outcomes):
        if o not in ind_ids:
            add(_unknown("indicator", f"evaluation.analysis_plan.secondary_outcomes[{k}]", o, ind_ids))
    for k, cov in enumerate(plan.covariates):
        if cov not in attr_names:
            add(_unknown("attribute", f"evaluation.analysis_plan.covariates[{k}]", cov, attr_names))
    wave_ids = [w.id for w in ev.follow_up_waves]
    months = [w.months_after_enrolment for w in ev.follow_up_waves]
    if months != sorted(months) or len(set(months)) != len(months):
        add(_problem("waves_order", "evaluation.follow_up_waves", "Les vagues de suivi ne sont pas dans l'ordre.",
                     "Follow-up waves are not in increasing order.",
                     "Classez-les par months_after_enrolment croissant.", "Order them by months_after_enrolment."))

    for k, ip in enumerate(c.payments.indicators):
        base = f"payments.indicators[{k}]"
        if ip.indicator not in ind_ids:
            add(_unknown("indicator", f"{base}.indicator", ip.indicator, ind_ids))
        aboves = [t.above for t in ip.bonus_tiers]
        if aboves != sorted(aboves):
            add(_problem("tiers_order", f"{base}.bonus_tiers", "Les paliers de bonus ne sont pas croissants.",
                         "Bonus tiers are not in increasing order.", "Classez les paliers par seuil croissant.",
                         "Order tiers by their threshold."))
        for j, tier in enumerate(ip.bonus_tiers):
            if tier.above < ip.threshold:
                add(_problem("tier_below_threshold", f"{base}.bonus_tiers[{j}].above",
                             f"Le palier de bonus ({tier.above:g}) est sous le seuil de paiement ({ip.threshold:g}) : il ne "
                             "serait jamais atteint seul.",
                             f"The bonus tier ({tier.above:g}) is below the payment threshold ({ip.threshold:g}): it could never "
                             "apply on its own.", "Placez le palier au-dessus du seuil, ou abaissez le seuil.",
                             "Put the tier above the threshold, or lower the threshold."))
        if ip.grid:
            steps = [g.at_least for g in ip.grid]
            amounts = [g.amount for g in ip.grid]
            if any(b <= a for a, b in itertools.pairwise(steps)) or any(
                    b < a for a, b in itertools.pairwise(amounts)):
                add(_problem("grid_order", f"{base}.grid",
                             "La grille n'est pas croissante : chaque palier doit avoir un seuil plus haut et un montant au "
                             "moins égal au précédent.",
                             "The grid is not increasing: each step needs a higher threshold and an amount at least the "
                             "previous one's.", "Classez les paliers par seuil croissant.", "Order the steps by threshold."))
            if ip.price_per_unit or ip.bonus_tiers:
                add(_problem("grid_and_price", f"{base}.grid",
                             "Une grille remplace le prix unitaire et les bonus : ne donnez pas les deux.",
                             "A grid replaces the unit price and the bonuses: do not give both.",
                             "Retirez price_per_unit et bonus_tiers, ou la grille.",
                             "Remove price_per_unit and bonus_tiers, or the grid."))
        for j, gate in enumerate(ip.requires):
            if gate.indicator not in ind_ids:
                add(_unknown("indicator", f"{base}.requires[{j}].indicator", gate.indicator, ind_ids))
        if ip.pooled is not None:
            if c.payments.accumulation != "by_cohort":
                add(_problem("pooled_without_cohorts", f"{base}.pooled",
                             "Un résultat groupé n'a de sens que si les paiements se font par cohorte.",
                             "A pooled result only makes sense with payments by cohort.",
                             "Écrivez payments.accumulation: by_cohort, ou retirez pooled.",
                             "Write payments.accumulation: by_cohort, or remove pooled."))
            if ip.pooled.wave not in [w.id for w in c.evaluation.follow_up_waves]:
                add(_unknown("wave", f"{base}.pooled.wave", ip.pooled.wave, [w.id for w in c.evaluation.follow_up_waves]))
    if c.payments.accumulation == "by_cohort":
        cohort_waves = [p.wave for p in c.payments.periods]
        if None in cohort_waves or len(set(cohort_waves)) != len(cohort_waves):
            add(_problem("cohort_waves", "payments.periods",
                         "Avec des paiements par cohorte, chaque période règle sa propre vague (sa cohorte).",
                         "With payments by cohort, each period settles its own wave (its cohort).",
                         "Donnez à chaque période une vague différente.", "Give each period a different wave."))
    previous = None
    for k, period in enumerate(c.payments.periods):
        base = f"payments.periods[{k}]"
        if period.end_date < c.start_date:
            add(_problem("dates_order", f"{base}.end_date", "La période finit avant le début du contrat.",
                         "The period ends before the contract starts.", "Elle doit suivre start_date.",
                         "It must come after start_date."))
        if period.payment_date < period.end_date:
            add(_problem("dates_order", f"{base}.payment_date", "Le paiement précède la fin de la période.",
                         "The payment is due before the period ends.", "payment_date doit suivre end_date.",
                         "payment_date must follow end_date."))
        if previous is not None and period.end_date <= previous:
            add(_problem("dates_order", f"{base}.end_date", "Les périodes ne sont pas dans l'ordre.",
                         "Periods are not in chronological order.", "Classez-les par date de fin.",
                         "Order them by end date."))
        if period.wave and period.wave not in wave_ids:
            add(_unknown("wave", f"{base}.wave", period.wave, wave_ids))
        previous = period.end_date

    for k, s in enumerate(c.savings):
        if s.indicator not in ind_ids:
            add(_unknown("indicator", f"savings[{k}].indicator", s.indicator, ind_ids))

    if c.caps.investor_return is not None and not c.investments:
        add(_problem("return_cap_without_investment", "caps.investor_return",
                     "Plafond de rendement sans aucun investissement.", "A return cap with no investments.",
                     "Ajoutez les investissements ou retirez ce plafond.", "Add the investments or remove the cap."))
    payers = c.parties_with(Role.OUTCOME_PAYER)
    shares = [p.payment_share for p in payers]
    if len(payers) > 1 or any(x is not None for x in shares):
        total = sum(x or 0.0 for x in shares)
        if any(x is None for x in shares) or abs(total - 1.0) > 1e-9:
            add(_problem("payer_shares", "parties",
                         f"Les parts des payeurs aux résultats doivent être données pour chacun et faire 1 (elles font {total:g}).",
                         f"The outcome payers' shares must be given for each of them and add up to 1 (they add up to {total:g}).",
                         "Donnez payment_share à chaque payeur, par exemple 0.5 et 0.5.",
                         "Give each payer a payment_share, for example 0.5 and 0.5."))
    payer_max = [p.max_commitment for p in payers if p.max_commitment is not None]
    if c.caps.total_outcome_payments is not None and payer_max:
        limit = sum(payer_max, Decimal(0))
        if c.caps.total_outcome_payments > limit:
            add(_problem("cap_above_payer_maximum", "caps.total_outcome_payments",
                         f"Le plafond ({c.caps.total_outcome_payments}) dépasse l'engagement maximal du payeur ({limit}).",
                         f"The cap ({c.caps.total_outcome_payments}) is above the payer's maximum commitment ({limit}).",
                         "Abaissez le plafond ou relevez max_commitment du payeur.",
                         "Lower the cap or raise the payer's max_commitment."))

    for k, inv in enumerate(c.investments):
        party = c.party(inv.investor)
        if party is None:
            add(_unknown("party", f"investments[{k}].investor", inv.investor, party_ids))
        elif Role.INVESTOR not in party.roles:
            add(_problem("not_an_investor", f"investments[{k}].investor", f"« {inv.investor} » n'a pas le rôle investor.",
                         f"'{inv.investor}' does not hold the investor role.", "Ajoutez-lui le rôle investor.",
                         "Give it the investor role."))
        if inv.guarantee and inv.guarantee.guarantor not in party_ids:
            add(_unknown("party", f"investments[{k}].guarantee.guarantor", inv.guarantee.guarantor, party_ids))
        principal = sum((t.amount for t in inv.tranches), Decimal(0))
        if inv.guarantee and inv.guarantee.amount is not None and inv.guarantee.amount > principal:
            add(_problem("guarantee_above_principal", f"investments[{k}].guarantee.amount",
                         f"La garantie ({inv.guarantee.amount}) dépasse le capital investi ({principal}).",
                         f"The guarantee ({inv.guarantee.amount}) is above the principal invested ({principal}).",
                         "Une garantie couvre au plus le capital : abaissez-la.", "A guarantee covers at most the principal: lower it."))
        if inv.guarantee and inv.instrument == "grant":
            add(_problem("guarantee_on_grant", f"investments[{k}].guarantee",
                         "Une subvention n'est pas remboursée : elle ne peut pas être garantie.",
                         "A grant is not repaid: it cannot be guaranteed.", "Retirez la garantie, ou changez l'instrument.",
                         "Remove the guarantee, or change the instrument."))
        dates = [t.date for t in inv.tranches]
        if dates != sorted(dates):
            add(_problem("dates_order", f"investments[{k}].tranches", "Les tranches ne sont pas dans l'ordre.",
                         "Tranches are not in date order.", "Classez-les par date.", "Order them by date."))
        for j, t in enumerate(inv.tranches):
            if not (c.start_date <= t.date <= c.end_date) and t.date > c.end_date:
                add(_problem("dates_order", f"investments[{k}].tranches[{j}].date",
                             "Tranche versée après la fin du contrat.", "Tranche disbursed after the contract ends.",
                             "Elle doit précéder end_date.", "It must come before end_date."))
    for k, cost in enumerate(c.costs):
        if cost.paid_by not in party_ids:
            add(_unknown("party", f"costs[{k}].paid_by", cost.paid_by, party_ids))

    for k, com in enumerate(c.governance.committees):
        for j, member in enumerate(com.members):
            if member.organisation not in party_ids:
                add(_unknown("party", f"governance.committees[{k}].members[{j}].organisation", member.organisation, party_ids))
    return out


def _unknown(kind: str, path: str, value: str, known: list[str]) -> TemoinError:
    fr_kind = {"party": "partie", "attribute": "attribut", "indicator": "indicateur", "wave": "vague"}[kind]
    return _problem(f"unknown_{kind}", path, f"{fr_kind.capitalize()} inconnu(e) : « {value} ».",
                    f"Unknown {kind}: '{value}'.", f"Choisissez parmi {known}.", f"Choose one of {known}.")

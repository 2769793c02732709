"""The contract model: a CIS as typed, validated data (pydantic v2), authored in YAML.

Keys are English; labels and texts carry French and English (:class:`Text`). Amounts are
``Decimal`` in the contract's currency; an amount may be written ``"1500000.00"`` (the contract
currency) or ``"1500000.00 EUR"``, and a currency other than the contract's is refused.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    model_validator,
)

from temoin.contract.data_protection import DataClass, DataProtection
from temoin.errors import TemoinError
from temoin.messages import Msg
from temoin.money import ISO_4217, Money, to_decimal


class InvalidValue(ValueError):
    """A validator's refusal as messages: pydantic keeps the exception in the error's context, and
    :func:`temoin.contract.loading.parse_contract` reports its message and hint."""

    def __init__(self, msg: Msg, hint: Msg | None = None) -> None:
        super().__init__(str(msg))
        self.msg = msg
        self.hint = hint


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


def _parse_amount(value: Any, info: ValidationInfo) -> Any:
    """Accept 1500000, "1 500 000.00" or "1500000.00 EUR"; refuse a currency other than the contract's."""
    if isinstance(value, str):
        parts = value.strip().rsplit(" ", 1)
        if len(parts) == 2 and parts[1].isalpha() and len(parts[1]) == 3:
            expected = (info.context or {}).get("currency", "EUR")
            if parts[1].upper() != expected:
                raise InvalidValue(Msg("An amount in {written} in a contract in {expected}: mixed currencies.",
                                       written=parts[1].upper(), expected=expected),
                                   Msg("Write the amount in {expected}, or without a currency.", expected=expected))
            value = parts[0]
    if isinstance(value, (int, float, str, Decimal)) and not isinstance(value, bool):
        try:
            return to_decimal(value)
        except TemoinError as exc:
            raise InvalidValue(exc.msg, exc.hint_msg) from None
    return value


def _iso_currency(code: str) -> str:
    if code not in ISO_4217:
        raise InvalidValue(Msg("'{code}' is not an ISO 4217 currency code in use.", code=code),
                           Msg("Write it in capitals, for example EUR, GBP or USD."))
    return code


def _amount_to_yaml(value: Decimal) -> str:
    return format(Decimal(value), "f")


Amount = Annotated[
    Decimal,
    BeforeValidator(_parse_amount),
    PlainSerializer(_amount_to_yaml, return_type=str, when_used="always"),
    Field(json_schema_extra={"type": ["string", "number"], "description": "Amount, e.g. 1500000.00 or '1500000.00 EUR'"}),
]
NonNegAmount = Annotated[Amount, Field(ge=0)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$", max_length=80)]


class Text(_Strict):
    """A label or text in French and English."""

    fr: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str = "fr") -> str:
        return self.fr if lang == "fr" else self.en


# --- parties -----------------------------------------------------------------------------------


class Role(StrEnum):
    OUTCOME_PAYER = "outcome_payer"
    OPERATOR = "operator"
    INVESTOR = "investor"
    EVALUATOR = "evaluator"
    STRUCTURER = "structurer"
    OBSERVER = "civil_society_observer"
    BENEFICIARY_REP = "beneficiary_representative"
    GUARANTOR = "guarantor"


class Party(_Strict):
    id: Identifier
    name: str = Field(min_length=1)
    roles: list[Role] = Field(min_length=1)
    kind: Literal["public_body", "association", "company", "foundation", "bank", "research", "network", "other"] = "other"
    affiliated_with: list[Identifier] = Field(
        default_factory=list,
        description="Parties this one belongs to, owns, or is owned or funded by (used for independence checks).",
    )
    max_commitment: NonNegAmount | None = Field(
        None, description="For an outcome payer: the most it may pay under this contract (a cap on its payments)."
    )
    payment_share: float | None = Field(
        None, gt=0, le=1,
        description="For one of several outcome payers: its share of every outcome payment (the shares add up to 1).",
    )
    public: bool = True


# --- population --------------------------------------------------------------------------------


class Attribute(_Strict):
    name: Identifier
    label: Text
    type: Literal["numeric", "categorical", "boolean"]
    categories: list[str] = Field(default_factory=list)
    category_labels: dict[str, Text] = Field(
        default_factory=dict,
        description="Categorical attributes: each category's label in French and English, shown instead of its code "
        "(e.g. very_high: {fr: très élevé, en: very high}) and accepted in uploaded files.")
    quasi_identifier: bool = Field(False, description="Could re-identify someone when combined with others.")
    data_class: DataClass | None = Field(
        None, description="identifying, quasi_identifying, ordinary, or sensitive: health, justice (GDPR art. 9, 10).")
    minimum: float | None = Field(
        0.0, description="Numeric attributes: smallest value a participant file may hold (0 by default: an age, a "
        "count, a duration); null for one that may be negative. Smaller values are refused.")
    maximum: float | None = Field(None, description="Numeric attributes: largest value a participant file may hold.")
    difficulty_when: list[str] = Field(
        default_factory=list,
        description="Categorical values that mark a harder profile (used by the creaming indicator).",
    )


class EligibilityRule(_Strict):
    attribute: Identifier
    op: Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "between"]
    value: Any
    label: Text | None = None

    @model_validator(mode="after")
    def _value_fits_op(self) -> EligibilityRule:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise InvalidValue(Msg("The operator '{op}' needs a list of values.", op=self.op),
                               Msg("Write the values as a list, for example [a, b]."))
        if self.op == "between" and not (isinstance(self.value, list) and len(self.value) == 2):
            raise InvalidValue(Msg("The operator 'between' needs two values."),
                               Msg("Write them as [low, high], for example [0, 17]."))
        return self

    def admits(self, participant: dict[str, Any]) -> bool:
        v = participant.get(self.attribute)
        if v is None:
            return False
        op, ref = self.op, self.value
        if op == "eq":
            return bool(v == ref)
        if op == "ne":
            return bool(v != ref)
        if op == "in":
            return v in ref
        if op == "not_in":
            return v not in ref
        if op == "between":
            return bool(ref[0] <= v <= ref[1])
        return bool({"gt": v > ref, "gte": v >= ref, "lt": v < ref, "lte": v <= ref}[op])


class ReferenceMargin(_Strict):
    """The distribution of one attribute in the population the programme should serve."""

    attribute: Identifier
    source: str = Field(min_length=1)
    shares: dict[str, float] = Field(min_length=2)

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> ReferenceMargin:
        total = sum(self.shares.values())
        if any(s < 0 for s in self.shares.values()) or abs(total - 1.0) > 1e-6:
            raise InvalidValue(Msg("The shares must be non-negative and add up to 1; they add up to {total}.",
                                   total=Decimal(f"{total:g}")),
                               Msg("Give each category its share of the reference population, for example 0.4 and 0.6."))
        return self


class Population(_Strict):
    description: Text
    attributes: list[Attribute] = Field(min_length=1)
    eligibility: list[EligibilityRule] = Field(default_factory=list)
    reference_margins: list[ReferenceMargin] = Field(default_factory=list)
    expected_size: int = Field(gt=0, description="Participants the contract plans to enrol.")

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    def is_eligible(self, participant: dict[str, Any]) -> bool:
        return all(rule.admits(participant) for rule in self.eligibility)


# --- outcomes ----------------------------------------------------------------------------------


class Indicator(_Strict):
    id: Identifier
    label: Text
    definition: Text
    unit: str = Field(min_length=1, description="e.g. 'days', 'percentage points', 'people'")
    unit_label: Text | None = Field(
        None, description="The unit in French and English as people read it (e.g. {fr: nuitées, en: nights}).")
    direction: Literal["increase", "decrease"] = Field(description="Which way is an improvement.")
    measured_at: str = Field(min_length=1, description="When it is measured, e.g. '24 months after enrolment'.")
    method: str = Field(min_length=1, description="How it is measured.")
    data_source: Literal["administrative", "survey", "operator_records", "evaluator_collection"]
    minimum: float | None = Field(
        0.0, description="Smallest value a measurement may take: 0 by default (a count, a duration, a share); "
        "null for an indicator that may be negative (a change, a balance). Wave files with a smaller value are refused.")
    maximum: float | None = Field(None, description="Largest value a measurement may take (e.g. 1 for a 0/1 indicator).")

    @model_validator(mode="after")
    def _range_in_order(self) -> Indicator:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"minimum {self.minimum} is above maximum {self.maximum}")
        return self


# --- evaluation --------------------------------------------------------------------------------


class Design(StrEnum):
    INDIVIDUAL_RCT = "individual_rct"
    STRATIFIED_RCT = "stratified_rct"
    CLUSTER_RCT = "cluster_rct"
    MATCHED_COMPARISON = "matched_comparison"
    DIFF_IN_DIFF = "difference_in_differences"
    BENCHMARK = "benchmark_comparison"
    HISTORICAL = "historical_comparison"
    PRE_POST = "pre_post"
    ABSOLUTE_TARGET = "absolute_target"

    @property
    def randomised(self) -> bool:
        return self in (Design.INDIVIDUAL_RCT, Design.STRATIFIED_RCT, Design.CLUSTER_RCT)

    @property
    def has_control_cohort(self) -> bool:
        return self.randomised or self in (Design.MATCHED_COMPARISON, Design.DIFF_IN_DIFF)

    @property
    def has_counterfactual(self) -> bool:
        return self not in (Design.PRE_POST, Design.ABSOLUTE_TARGET)


class Enrolment(_Strict):
    """Whether people join over time, each randomised with the batch they enrol in, and until when."""

    rolling: bool = Field(False, description="People enrol over months and are randomised in batches as they join.")
    closes: dt.date | None = Field(None, description="The last enrolment date: a later enrolment is refused.")

    @model_validator(mode="after")
    def _closes_when_rolling(self) -> Enrolment:
        if self.rolling and self.closes is None:
            raise InvalidValue(Msg("Rolling enrolment needs its closing date."),
                               Msg("Add 'closes: YYYY-MM-DD' under 'enrolment'."))
        return self


class AnalysisPlan(_Strict):
    primary_outcome: Identifier | None = None
    secondary_outcomes: list[Identifier] = Field(default_factory=list)
    estimator: Literal["diff_in_means", "ols", "lin", "did", "twfe", "matching", "ipw", "benchmark", "target"] | None = None
    covariates: list[Identifier] = Field(default_factory=list)
    se_type: Literal["classical", "HC0", "HC1", "HC2", "HC3", "CR0", "CR1", "CR2"] | None = None
    df_method: Literal["imbens_kolesar", "bell_mccaffrey"] = Field(
        "imbens_kolesar",
        description="Degrees of freedom of CR2's t reference: Imbens-Kolesar (cluster random-effects working "
        "model) or Bell-McCaffrey (independent errors, as R's estimatr and clubSandwich).",
    )
    alpha: float | None = Field(None, gt=0, lt=0.5)
    sidedness: Literal["one_sided", "two_sided"] | None = None
    minimum_effect: float | None = Field(
        None, description="Effect (in the indicator's unit, improvement positive) that triggers payment."
    )
    multiplicity: Literal["none", "holm", "bh"] = "holm"
    missing_outcomes: Literal["drop_and_report", "lee_bounds"] = "drop_and_report"
    purposes: dict[Identifier, Text] = Field(
        default_factory=dict, description="Why each sensitive attribute (health, justice) is needed by the evaluation.")
    enrolment: Enrolment | None = Field(
        None, description="Rolling enrolment (people randomised in batches as they join) and its closing date; "
        "absent: one cohort randomised once.")

    @property
    def rolling(self) -> bool:
        return self.enrolment is not None and self.enrolment.rolling


class FollowUpWave(_Strict):
    id: Identifier
    months_after_enrolment: int = Field(gt=0)


class Benchmark(_Strict):
    reference_rate: float = Field(ge=0, le=1)
    reference_std_error: float = Field(ge=0)
    source: str = Field(min_length=1)


class Target(_Strict):
    successes: int = Field(ge=0)
    out_of: int = Field(gt=0)


class Evaluation(_Strict):
    design: Design
    allocation_ratio: float = Field(0.5, gt=0, lt=1, description="Share assigned to the programme.")
    strata: list[Identifier] = Field(default_factory=list)
    cluster: Identifier | None = None
    longitudinal_follow_up: bool = Field(
        False, description="Programme and control cohorts are the same individuals followed over time."
    )
    alternative_design_justification: Text | None = Field(
        None, description="Why a design without a longitudinal control cohort gives serious guarantees here."
    )
    attrition_boundary: Literal["cautious", "optimistic"] = "cautious"
    follow_up_waves: list[FollowUpWave] = Field(default_factory=list)
    benchmark: Benchmark | None = None
    target: Target | None = None
    expected_effect: float | None = Field(None, description="Effect the design was powered for (indicator units).")
    outcome_sd: float | None = Field(None, gt=0, description="Expected standard deviation of the primary outcome.")
    icc: float | None = Field(None, ge=0, lt=1)
    expected_attrition: float = Field(0.0, ge=0, lt=1)
    analysis_plan: AnalysisPlan = Field(default_factory=AnalysisPlan)

    @model_validator(mode="after")
    def _design_needs(self) -> Evaluation:
        needs = {Design.CLUSTER_RCT: ("cluster", not self.cluster,
                                      Msg("Add 'cluster': the attribute that names each cluster.")),
                 Design.STRATIFIED_RCT: ("strata", not self.strata,
                                         Msg("Add 'strata': the attributes randomisation is stratified on.")),
                 Design.BENCHMARK: ("benchmark", self.benchmark is None,
                                    Msg("Add 'benchmark': the reference rate, its standard error and its source.")),
                 Design.ABSOLUTE_TARGET: ("target", self.target is None,
                                          Msg("Add 'target': the successes expected out of how many."))}
        if self.design in needs:
            key, missing, hint = needs[self.design]
            if missing:
                raise InvalidValue(Msg("The design {design} needs '{key}'.", design=self.design, key=key), hint)
        return self


# --- payments, savings, caps --------------------------------------------------------------------


class BonusTier(_Strict):
    above: float = Field(description="Verified impact (indicator units) above which the bonus is due.")
    bonus: NonNegAmount


class GridStep(_Strict):
    at_least: float = Field(description="Verified impact (indicator units) at or above which this amount is due.")
    amount: NonNegAmount = Field(description="The cumulative amount due for this indicator at this step.")


class Gate(_Strict):
    indicator: Identifier
    at_least: float = Field(description="Verified value of that indicator, at the same wave, needed for any payment.")


class PooledFallback(_Strict):
    wave: Identifier = Field(description="The wave whose result pools every cohort.")
    threshold: float = Field(description="Verified pooled impact at or above which the pooled entitlement is due.")


class IndicatorPrice(_Strict):
    indicator: Identifier
    price_per_unit: NonNegAmount = Field(
        Decimal(0), description="Paid per unit of verified impact per treated participant.")
    threshold: float = Field(0.0, description="Verified impact below which nothing is paid (at or above it pays).")
    bonus_tiers: list[BonusTier] = Field(default_factory=list)
    grid: list[GridStep] = Field(
        default_factory=list,
        description="A stepped grid instead of a price: the amount of the highest step reached (steps increasing).",
    )
    requires: list[Gate] = Field(
        default_factory=list, description="Other indicators that must reach a value at the same wave for any payment.")
    pooled: PooledFallback | None = Field(
        None, description="With payments by cohort: a pooled result over all cohorts that pays if the cohorts did not.")


class RateCardItem(_Strict):
    outcome: Identifier
    label: Text
    price: NonNegAmount
    unit_saving: NonNegAmount | None = Field(
        None, description="Public cost avoided each time this outcome is achieved (for the savings cap).")
    expected_rate: float | None = Field(
        None, ge=0, le=1, description="Share of participants expected to achieve it (for the risk simulation).")


class Period(_Strict):
    id: Identifier
    label: Text
    end_date: dt.date
    wave: Identifier | None = Field(None, description="Follow-up wave whose outcomes this period settles.")
    payment_date: dt.date


class Payments(_Strict):
    basis: Literal["point_estimate", "lower_confidence_bound"] = "lower_confidence_bound"
    accumulation: Literal["cumulative", "by_cohort"] = Field(
        "cumulative",
        description="cumulative: each period's result is cumulative since enrolment (later waves of the same people); "
                    "by_cohort: each period's wave is a separate cohort and entitlements add up across periods.",
    )
    pay_without_evidence_standard: bool = Field(
        False, description="Pay even when the evaluation does not meet evidence standards (shown loudly)."
    )
    indicators: list[IndicatorPrice] = Field(default_factory=list)
    rate_card: list[RateCardItem] = Field(default_factory=list)
    periods: list[Period] = Field(min_length=1)


class SavingsItem(_Strict):
    indicator: Identifier
    unit_cost: NonNegAmount = Field(description="Public cost avoided per unit of outcome.")
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)


class ReturnCap(_Strict):
    kind: Literal["irr", "multiple"]
    value: float = Field(gt=0)


class Caps(_Strict):
    total_outcome_payments: NonNegAmount | None = None
    payments_within_realised_savings: bool = False
    investor_return: ReturnCap | None = None
    per_participant: NonNegAmount | None = None


# --- money in and out --------------------------------------------------------------------------


class Tranche(_Strict):
    date: dt.date
    amount: NonNegAmount


class Guarantee(_Strict):
    """A guarantor covers an investor's principal not repaid at the end: a share of it, or a fixed amount."""

    guarantor: Identifier
    share_of_principal: float | None = Field(None, gt=0, le=1)
    amount: NonNegAmount | None = Field(None, description="A fixed amount guaranteed (at most the principal).")

    @model_validator(mode="after")
    def _one_form(self) -> Guarantee:
        if (self.share_of_principal is None) == (self.amount is None):
            raise InvalidValue(Msg("A guarantee is either a share of the principal or an amount."),
                               Msg("Give exactly one of share_of_principal and amount."))
        return self


class Investment(_Strict):
    investor: Identifier
    instrument: Literal["debt", "equity", "grant"] = "debt"
    seniority: Literal["senior", "junior", "first_loss"] = "senior"
    tranches: list[Tranche] = Field(min_length=1)
    guarantee: Guarantee | None = None


class Cost(_Strict):
    kind: Literal["structuring", "evaluation", "intermediation", "legal", "other"]
    amount: NonNegAmount
    paid_by: Identifier
    date: dt.date


# --- governance ----------------------------------------------------------------------------------


class Seat(StrEnum):
    CIVIL_SOCIETY = "civil_society"
    BENEFICIARY = "beneficiary"
    PAYER = "payer"
    OPERATOR = "operator"
    INVESTOR = "investor"
    EVALUATOR = "evaluator"
    EXPERT = "expert"


class Member(_Strict):
    person: str = Field(min_length=1)
    organisation: Identifier
    seat: Seat


class Committee(_Strict):
    id: Identifier
    kind: Literal["selection", "monitoring", "evaluation"]
    members: list[Member] = Field(min_length=1)
    min_civil_society_seats: int = Field(1, ge=0)


class Interest(_Strict):
    organisation: Identifier
    nature: str = Field(min_length=1)


class Declaration(_Strict):
    person: str = Field(min_length=1)
    date: dt.date
    interests: list[Interest] = Field(default_factory=list)


class BudgetLine(_Strict):
    code: str = Field(min_length=1)
    label: Text
    mandatory: bool


class Governance(_Strict):
    committees: list[Committee] = Field(default_factory=list)
    declarations: list[Declaration] = Field(default_factory=list)
    protected_budget_lines: list[BudgetLine] = Field(default_factory=list)


# --- the contract ------------------------------------------------------------------------------


class ResearchRelease(_Strict):
    """What a research extract releases. Every column it releases counts as a quasi-identifier
    (k-anonymity is reached on all of them) unless named here with the reason an outsider could not
    know it; ``withheld`` columns are never released."""

    withheld: list[Identifier] = Field(default_factory=list, description="Columns never released (e.g. enrolment_date).")
    not_quasi_identifiers: dict[Identifier, Text] = Field(
        default_factory=dict,
        description="Released columns (or indicators: every wave of them) that are not quasi-identifiers, each with the "
        "reason no outsider could know them (e.g. an outcome measured only in case records).")


class Contract(_Strict):
    """A social impact contract (contrat à impact social)."""

    id: Identifier
    title: Text
    summary: Text
    policy_sector: Literal["child_protection", "housing", "employment", "health", "education", "justice", "other"]
    jurisdiction: str = Field(min_length=1, description="e.g. 'FR-59' (Nord) or 'FR'.")
    currency: Annotated[str, AfterValidator(_iso_currency)] = Field(
        "EUR", description="ISO 4217 code of every amount in the contract (EUR, GBP, USD…).")
    signed_date: dt.date | None = None
    start_date: dt.date
    end_date: dt.date
    synthetic: bool = Field(False, description="An illustrative contract, not a signed one.")
    parties: list[Party] = Field(min_length=1)
    population: Population
    indicators: list[Indicator] = Field(min_length=1)
    evaluation: Evaluation
    payments: Payments
    savings: list[SavingsItem] = Field(default_factory=list)
    caps: Caps = Field(default_factory=Caps)
    investments: list[Investment] = Field(default_factory=list)
    costs: list[Cost] = Field(default_factory=list)
    direct_delivery_cost: NonNegAmount | None = Field(
        None, description="What the programme would cost the payer if funded directly (for the public-cost comparison)."
    )
    governance: Governance = Field(default_factory=Governance)
    research_extract: ResearchRelease = Field(default_factory=ResearchRelease)
    data_protection: DataProtection | None = Field(
        None, description="Controller, legal basis and retention periods of the personal data (GDPR).")

    # -- helpers used across the core --
    def parties_with(self, role: Role) -> list[Party]:
        return [p for p in self.parties if role in p.roles]

    def party(self, party_id: str) -> Party | None:
        return next((p for p in self.parties if p.id == party_id), None)

    def indicator(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)

    def money(self, amount: Decimal) -> Money:
        return Money(amount, self.currency)

    @property
    def invested(self) -> Money:
        total = sum((t.amount for inv in self.investments for t in inv.tranches), Decimal(0))
        return self.money(total)

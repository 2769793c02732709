"""The evaluation part of a report: cohort flow, plan, quality diagnostics and impact, from the store.

Shapes what the evaluation service stored (participants, the locked plan and its amendments, the
latest run's results and diagnostics), which the report service reads and passes here. In the public version every count of people goes through
small-cell suppression (:mod:`temoin.reports._public`), and what a hidden count would give back
(a rate, the attrition of that wave, the arms' means) is left out too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from temoin.contract.model import Contract
from temoin.evaluation.diagnostics import Verdict
from temoin.evaluation.plan import PlanStatus
from temoin.evaluation.result import ImpactResult
from temoin.evaluation.text import say
from temoin.i18n import Translator
from temoin.i18n.contract_labels import category_label, wave_label
from temoin.i18n.contract_labels import unit_label as _unit_label
from temoin.messages import Msg
from temoin.opendata.suppression import SuppressionConflict
from temoin.reports._public import Exposure, small, suppress_flow, suppress_pair

__all__ = ["evaluation_section"]

def _hidden_waves(flow: dict[str, Any]) -> set[str]:
    out = set()
    for w in flow.get("waves") or []:
        if w.get("treated") is None or ("control" in w and w.get("control") is None):
            out.add(str(w["wave"]))
    arms = flow.get("randomised")
    if isinstance(arms, dict) and (arms.get("treated") is None or arms.get("control") is None):
        out |= {str(w["wave"]) for w in flow.get("waves") or []}
    return out


def _indicator_label(contract: Contract, indicator: str | None, lang: str) -> str | None:
    """An indicator by its label in the reader's language (its id when the contract does not define it)."""
    if not indicator:
        return None
    ind = contract.indicator(indicator)
    return ind.label.get(lang) if ind else indicator


def variable_label(contract: Contract, variable: str, words: Translator) -> str:
    """A balance or margin variable (``risk_level=very_high``, ``prior_placement``) in words: the
    attribute's label and the category's label (``Niveau de risque = très élevé``)."""
    name, _, category = variable.partition("=")
    attr = contract.population.attribute(name.strip())
    text = attr.label.get(words.lang) if attr else name.strip()
    if category:
        text += " = " + category_label(contract, category.strip(), words, name.strip())
    return text


def unit_label(unit: str, words: Translator, contract: Contract | None = None) -> str:
    """An indicator's unit (free text in the contract, English) in the reader's words: the contract's
    own label, else the catalogue's (:func:`temoin.i18n.contract_labels.unit_label`)."""
    return _unit_label(contract, unit, words)


def _small(n: float, threshold: int) -> bool:
    return 0 < round(n) < threshold


def _verdict(stored: dict[str, Any], words: Translator, contract: Contract | None = None) -> str:
    """A stored verdict (a message, or the older French and English texts) in the reader's language;
    with ``contract``, the variables it names are shown by their labels."""
    message = Verdict.from_dict(stored).message
    if contract is not None and isinstance(message, Msg):
        message = _labelled(message, contract, words)
    return say(words, message)


def _said(text: Any, contract: Contract, words: Translator) -> str:
    """A stored reason or note in the reader's words, the variables and categories it names by their labels."""
    return say(words, _labelled(text, contract, words) if isinstance(text, Msg) else text)


def _labelled(message: Msg, contract: Contract, words: Translator) -> Msg:
    """``message`` with the variables and categories it names shown by their labels, in the messages it
    holds too (a creaming verdict lists one message per attribute)."""
    params = dict(message.params)
    attribute = params.get("attribute")
    if isinstance(attribute, str):
        params["attribute"] = variable_label(contract, attribute, words)
        if isinstance(params.get("values"), str):  # the categories of that attribute, written a/b
            params["values"] = "/".join(category_label(contract, v, words, attribute) for v in params["values"].split("/"))
    if isinstance(params.get("variables"), str):
        params["variables"] = ", ".join(variable_label(contract, v, words) for v in params["variables"].split(", "))
    if isinstance(params.get("wave"), str):  # a follow-up wave: "à 12 mois"
        params["wave"] = wave_label(contract, params["wave"], words)
    if isinstance(params.get("waves"), str):
        params["waves"] = ", ".join(wave_label(contract, w, words) for w in params["waves"].split(", "))
    for key, value in params.items():
        if isinstance(value, list | tuple) and any(isinstance(v, Msg) for v in value):
            params[key] = [_labelled(v, contract, words) if isinstance(v, Msg) else v for v in value]
    return Msg(message.id, **params)


def _margin(m: dict[str, Any], *, lang: str, public: bool, threshold: int, contract: Contract | None = None) -> dict[str, Any]:
    """One reference margin. Public: a category with few enrolled people is hidden (its standardised
    difference gives its share back exactly, since the reference share is public), and so is the
    verdict that quotes the largest gap."""
    n = int(m.get("n") or 0)
    hidden = sorted(c for c, share in (m.get("enrolled_shares") or {}).items() if public and _small(share * n, threshold))
    shown = {c: d for c, d in (m.get("std_differences") or {}).items() if c not in hidden}
    words = Translator(lang)
    verdict = _verdict(m["verdict"], words, contract)
    if hidden:
        verdict = words("{attribute}: comparison partly suppressed (small cells: {categories}).",
                        attribute=m.get("attribute_label") or m["attribute"],
                        categories=", ".join(category_label(contract, c, words, m["attribute"]) for c in hidden))
    return {"attribute": m["attribute"], "attribute_label": m.get("attribute_label") or m["attribute"],
            "source": m["source"], "verdict": verdict,
            "level": m["verdict"]["level"], "std_differences": shown, "hidden_categories": hidden}


def _creaming(cream: dict[str, Any] | None, *, lang: str, public: bool, threshold: int,
              contract: Contract | None = None) -> dict[str, Any] | None:
    """The creaming verdict. Public: withheld when a harder-profile count behind it is a small cell."""
    if not cream:
        return None
    if public:
        for row in cream.get("rows") or []:
            counts = [row["share_harder_enrolled"] * row["n_enrolled"], row["share_harder_not_enrolled"] * row["n_not_enrolled"],
                      (1 - row["share_harder_enrolled"]) * row["n_enrolled"],
                      (1 - row["share_harder_not_enrolled"]) * row["n_not_enrolled"]]
            if any(_small(c, threshold) for c in counts):
                return {"verdict": Translator(lang)("Creaming: verdict suppressed (small cells)."), "level": "warning"}
    return {"verdict": _verdict(cream["verdict"], Translator(lang), contract), "level": cream["verdict"]["level"]}


def _public_flow(flow: dict[str, Any], contract: Contract, exposure: Exposure | None,
                 threshold: int) -> tuple[dict[str, Any], int, bool]:
    """The suppressed flow, its hidden counts, and whether the amounts must be withheld: the counts
    the amounts give back are kept published when the flow can stay safe around them, else the
    amounts go (and the flow is suppressed as if they were not published)."""
    if exposure is None or (not exposure.counts and not exposure.rate_card):
        return (*suppress_flow(flow, threshold), False)
    primary = contract.evaluation.analysis_plan.primary_outcome or ""
    programme = {str(w["wave"]): int(w["treated"]) for w in flow.get("waves") or []}
    forced: set[str] = set()
    withhold = exposure.rate_card
    for (indicator, wave), n in exposure.counts.items():
        shown = programme.get(wave)
        if indicator == primary or shown == n:
            forced.add(wave)  # the flow's own count, given back: keep it published
        elif small(n, threshold) or shown is None or small(abs(n - shown), threshold):
            withhold = True  # another count, a small gap away from the flow's (or not comparable with it)
    if not withhold:
        try:
            return (*suppress_flow(flow, threshold, forced_waves=forced), False)
        except SuppressionConflict:
            pass
    return (*suppress_flow(flow, threshold), True)


def evaluation_section(contract: Contract, *, flow: dict[str, Any] | None, results: Sequence[ImpactResult],
                       diagnostics: dict[str, dict[str, Any]], status: PlanStatus, lang: str, public: bool,
                       threshold: int, exposure: Exposure | None = None) -> dict[str, Any]:
    """Everything the report says about the evaluation, from what the evaluation service stored:
    the cohort flow, the latest run's results and diagnostics, and the plan's status. In the public
    version, ``exposure`` names the counts the published amounts give back (see
    :mod:`temoin.reports._public`); ``amounts_withheld`` says when the amounts must go instead."""
    words = Translator(lang)
    plan = contract.evaluation.analysis_plan
    section: dict[str, Any] = {
        "design": words.label(contract.evaluation.design),
        "plan": {"locked": status.locked, "hash": status.plan_hash, "locked_at": status.locked_at,
                 "current_hash": status.current_hash, "estimator": plan.estimator, "se_type": plan.se_type,
                 "alpha": plan.alpha, "sidedness": plan.sidedness, "primary": plan.primary_outcome,
                 "primary_label": _indicator_label(contract, plan.primary_outcome, lang),
                 "estimator_label": words.label("estimator", plan.estimator) if plan.estimator else None,
                 "se_type_label": words.label("se_type", plan.se_type) if plan.se_type else None,
                 "sidedness_label": words.label("sidedness", plan.sidedness) if plan.sidedness else None,
                 "covariates": list(plan.covariates),
                 "covariate_labels": [variable_label(contract, v, words) for v in plan.covariates], "minimum_effect": plan.minimum_effect,
                 "amendments": [{"at": a.at, "reason": a.reason, "from": a.from_hash, "to": a.to_hash,
                                 "changes": list(a.changes)} for a in status.amendments]},
        "hidden": 0, "amounts_withheld": False,
    }
    raw = flow
    if flow is not None and public:
        flow, section["hidden"], section["amounts_withheld"] = _public_flow(flow, contract, exposure, threshold)
    elif public and exposure is not None and (exposure.counts or exposure.rate_card):
        section["amounts_withheld"] = True  # no flow to compare the counts with: the amounts go
    section["flow"] = flow
    hidden_waves = _hidden_waves(flow) if (flow is not None and public) else set()
    programme = {str(w["wave"]): (w.get("treated"), w.get("control")) for w in (raw or {}).get("waves") or []}
    rows = []
    for r in results:
        n_t: int | None = r.effect.n_treated
        n_c: int | None = r.effect.n_control
        if public:
            # the same people as the wave's flow: hidden there, hidden here; and a count a small gap
            # away from the flow's (another indicator measured for a few people fewer) is hidden too
            n_t, n_c = (None, None) if r.wave in hidden_waves else suppress_pair(r.effect.n_treated, r.effect.n_control, threshold)
            flow_t, flow_c = programme.get(r.wave, (None, None))
            if n_t is not None and flow_t is not None and small(abs(n_t - int(flow_t)), threshold):
                n_t = None
            if n_c is not None and flow_c is not None and small(abs(n_c - int(flow_c)), threshold):
                n_c = None
            section["hidden"] += (n_t is None) + (n_c is None)
        ind = contract.indicator(r.indicator)
        # the interval of the raw estimate, turned the way the improvement is (> 0 is better)
        sign = 1.0 if abs(r.improvement - r.effect.estimate) <= abs(r.improvement + r.effect.estimate) else -1.0
        lo, hi = sorted((sign * r.effect.ci_low, sign * r.effect.ci_high))
        rows.append({"indicator": r.indicator, "label": (ind.label.get(lang) if ind else r.indicator), "wave": r.wave,
                     "unit": unit_label(ind.unit, words, contract) if ind else "", "unit_code": ind.unit if ind else "",
                     "improvement": r.improvement, "lower": r.improvement_lower,
                     "ci_low": lo, "ci_high": hi, "p_value": r.effect.p_value,
                     "se_type": r.effect.se_type, "n_treated": n_t, "n_control": n_c,
                     "grade": r.grade.value, "grade_label": words.label(r.grade),
                     "reasons": [_said(x, contract, words) for x in r.grade_reasons], "plan_hash": r.plan_hash,
                     "amendments": [_said(x, contract, words) for x in r.amendments], "notes": [say(words, x) for x in r.effect.notes],
                     "result_hash": r.result_hash})
    section["results"] = rows
    attrition, quality = [], []
    for key, diag in diagnostics.items():
        att = diag.get("attrition")
        if att and att.get("indicator") == (plan.primary_outcome or att.get("indicator")):
            if str(att["wave"]) in hidden_waves:
                attrition.append({"wave": att["wave"], "hidden": True})
            else:
                attrition.append({"wave": att["wave"], "overall_pct": att["overall_pct"], "differential_pp": att["differential_pp"],
                                  "limit_pp": att["limit_pp"], "low": att["low"], "hidden": False,
                                  "verdict": _verdict(att["verdict"], words, contract)})
        quality.append((key, diag))
    section["attrition"] = sorted(attrition, key=lambda a: str(a["wave"]))
    section["boundary"] = contract.evaluation.attrition_boundary
    first = quality[0][1] if quality else {}
    bal = first.get("balance")
    section["balance"] = None if not bal else {
        "verdict": _verdict(bal["verdict"], words, contract), "level": bal["verdict"]["level"],
        "joint_p": bal["joint_test"]["p_value"],
        "rows": [{"label": variable_label(contract, row["variable"], words), "effect_size": row["effect_size"], "band": row["band"],
                  "band_label": words.label("balance_band", row["band"]),
                  "mean_treated": None if public else row["mean_treated"],
                  "mean_control": None if public else row["mean_control"]} for row in bal["rows"]]}
    section["balance_by_batch"] = [
        {"batch": batch, "verdict": _verdict(b["verdict"], words, contract), "level": b["verdict"]["level"]}
        for batch, b in sorted((first.get("balance_by_batch") or {}).items(), key=lambda kv: int(kv[0]))]
    margins = [{**m, "attribute_label": variable_label(contract, m["attribute"], words)}
               for m in first.get("representativeness") or []]
    section["representativeness"] = [_margin(m, lang=lang, public=public, threshold=threshold, contract=contract)
                                      for m in margins]
    section["hidden"] += sum(len(m["hidden_categories"]) for m in section["representativeness"])
    section["representativeness_by_batch"] = [
        {"batch": batch, "margins": [_margin({**m, "attribute_label": variable_label(contract, m["attribute"], words)},
                                             lang=lang, public=public, threshold=threshold, contract=contract)
                                     for m in rows]}
        for batch, rows in sorted((first.get("representativeness_by_batch") or {}).items(), key=lambda kv: int(kv[0]))]
    section["hidden"] += sum(len(m["hidden_categories"]) for b in section["representativeness_by_batch"] for m in b["margins"])
    section["creaming"] = _creaming(first.get("creaming"), lang=lang, public=public, threshold=threshold, contract=contract)
    section["creaming_by_batch"] = [
        {"batch": batch, **said} for batch, cream in sorted((first.get("creaming_by_batch") or {}).items(), key=lambda kv: int(kv[0]))
        if (said := _creaming(cream, lang=lang, public=public, threshold=threshold, contract=contract)) is not None]
    vol = first.get("volatility")
    section["volatility"] = None if not vol else {"verdict": _verdict(vol["verdict"], words, contract), "level": vol["verdict"]["level"]}
    return section

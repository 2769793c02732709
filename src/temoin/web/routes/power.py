"""The power page: the contract's design and assumptions, editable, and what they give (the power to
find the expected effect, the smallest effect found with 80 % power, the people needed). The
computation takes milliseconds (:mod:`temoin.evaluation.power`): no job, the page answers itself."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from temoin.errors import InvalidInputError, TemoinError
from temoin.evaluation.power import mde, power, sample_size
from temoin.evaluation.text import significant
from temoin.messages import Msg
from temoin.services.contracts import get_contract
from temoin.services.job_kinds import number_field
from temoin.web.access import READ
from temoin.web.context import CtxDep
from temoin.web.layout import contract_page

router = APIRouter(include_in_schema=False)

FIELDS = ("n", "effect", "sd", "alpha", "attrition", "icc", "cluster_size")
SCALES = (0.5, 1.0, 1.5, 2.0)


@router.get("/contracts/{contract_id}/power")
def power_page(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(READ, contract_id)
    contract = get_contract(ctx.engine, contract_id).contract
    ev = contract.evaluation
    defaults: dict[str, Any] = {"n": contract.population.expected_size, "effect": ev.expected_effect, "sd": ev.outcome_sd,
                                "alpha": ev.analysis_plan.alpha or 0.05, "attrition": ev.expected_attrition,
                                "icc": ev.icc or 0.0, "cluster_size": 1.0,
                                "sidedness": ev.analysis_plan.sidedness or "two_sided"}
    asked = {k: v for k, v in request.query_params.items() if k in (*FIELDS, "sidedness")}
    form = {**defaults, **asked}
    values: dict[str, Any] = {"form": form, "defaults": defaults, "allocation": ev.allocation_ratio, "result": None,
                              "error": None}
    try:
        values["result"] = _compute(form, ev.allocation_ratio)
    except TemoinError as exc:
        values["error"] = exc
    return contract_page(ctx, contract_id, "power.html", status=422 if values["error"] and asked else 200, **values)


def _compute(form: dict[str, Any], allocation: float) -> dict[str, Any]:
    if form.get("effect") in (None, "") or form.get("sd") in (None, ""):
        raise InvalidInputError("power.missing_assumption",
                                Msg("The contract gives no expected effect or outcome standard deviation."),
                                path="effect", hint=Msg("Fill in the expected effect and the standard deviation."))
    nums = {k: number_field(form, k) for k in FIELDS}
    n = nums["n"]
    if n != int(n) or n < 4:
        raise InvalidInputError("power.n", Msg("Out of range: {value}.", value=str(form.get("n"))), path="n",
                                hint=Msg("A whole number from {low} to {high}.", low=4, high=10**9))
    sided = "one_sided" if form.get("sidedness") == "one_sided" else "two_sided"
    return _figures(int(n), nums["effect"], nums["sd"], allocation, nums["alpha"], sided, nums["attrition"], nums["icc"],
                    nums["cluster_size"])


@lru_cache(maxsize=256)
def _figures(n: int, effect: float, sd: float, allocation: float, alpha: float, sided: str, attrition: float,
             icc: float, cluster_size: float) -> dict[str, Any]:
    """The page's figures, kept for the same assumptions (a pure function of them: each reader of the
    contract asks for its own assumptions first)."""
    kw: dict[str, Any] = {"allocation": allocation, "alpha": alpha, "sidedness": sided, "attrition": attrition,
                          "icc": icc, "cluster_size": cluster_size}
    p = power(effect=effect, sd=sd, n=n, **kw)
    m = mde(sd=sd, n=n, **kw)
    try:
        n80: int | None = sample_size(effect=effect, sd=sd, **kw) if effect > 0 else None
    except InvalidInputError:
        n80 = None
    curve = []
    for scale in SCALES:
        size = max(4, round(n * scale))
        try:
            curve.append((size, power(effect=effect, sd=sd, n=size, **kw)))
        except InvalidInputError:
            continue
    return {"n": n, "effect": significant(effect, 6), "power": p, "mde": significant(m, 4), "n_for_80": n80,
            "effect_positive": effect > 0, "curve": curve, "sidedness": sided}

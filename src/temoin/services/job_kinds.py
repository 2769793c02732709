"""The platform's kinds of background job, and the checks made before one is queued.

- ``risk_simulation``: :func:`temoin.settlement.risk.simulate` on the contract's latest version with
  the assumptions given (the result is the report's JSON form, as ``temoin simulate --json``).
- ``import_participants``, ``import_wave``: a large upload imported (:mod:`temoin.services.import_jobs`).
- ``diagnosis``: :func:`temoin.services.diagnosis.diagnose` (the contract's evaluation and payment rule
  simulated, with an expected enrolment if given); the result is the report's JSON form, its assumptions
  said in each language, and the audit ledger's head it was made at (the page says when the data
  changed since).
- ``report``: the transparency report (public or internal, up to a period, HTML or PDF, in French
  or English), kept as a file with its SHA-256.

To add a kind: write its function here (``(engine, settings, arguments, progress) -> JobOutput``),
add it to :data:`KINDS`, and give it a ``submit_…`` function that checks the arguments and calls
:func:`temoin.services.jobs.submit` (see CONTRIBUTING.md, "Adding a kind of background job").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from temoin.errors import InvalidInputError
from temoin.i18n import LANGUAGES, Translator
from temoin.messages import Msg
from temoin.reports import report as report_parts
from temoin.reports.report import render_html, render_pdf
from temoin.services import import_jobs
from temoin.services.contracts import get_contract
from temoin.services.diagnosis import DIAGNOSIS_SIMS, diagnose, expected_curve
from temoin.services.jobs import JobOutput, JobView, Kind, Progress, submit
from temoin.services.reports import build_report
from temoin.settings import Settings
from temoin.settlement.risk import RiskAssumptions, default_assumptions, simulate
from temoin.store import ledger, read_scope

__all__ = [
    "DIAGNOSIS",
    "KINDS",
    "REPORT",
    "SIMULATION",
    "check_simulation",
    "number_field",
    "simulation_defaults",
    "submit_diagnosis",
    "submit_report",
    "submit_simulation",
]

SIMULATION = "risk_simulation"
DIAGNOSIS = "diagnosis"
REPORT = "report"
ASSUMPTIONS = ("effect_mean", "effect_sd", "enrolment_low", "attrition_mean")


def simulation_defaults(engine: Engine, contract_id: str) -> dict[str, Any]:
    """The contract's own assumptions (as ``temoin simulate`` takes them), 100,000 scenarios, seed 2026."""
    contract = get_contract(engine, contract_id).contract
    a = default_assumptions(contract)
    return {"scenarios": 100_000, "seed": 2026, **{k: getattr(a, k) for k in ASSUMPTIONS}}


def _invalid(name: str, message: Msg, hint: Msg) -> InvalidInputError:
    return InvalidInputError(f"simulation.{name}", message, path=name, hint=hint)


def number_field(form: Mapping[str, Any], name: str) -> float:
    raw = str(form.get(name, "")).strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    try:
        value = float(raw)
    except ValueError:
        raise _invalid(name, Msg("Not a number: '{value}'.", value=str(form.get(name, ""))),
                       Msg("Write a number, e.g. 0.25.")) from None
    if not math.isfinite(value):
        raise _invalid(name, Msg("Not a number: '{value}'.", value=raw), Msg("Write a number, e.g. 0.25."))
    return value


def _whole(form: Mapping[str, Any], name: str, low: int, high: int) -> int:
    value = number_field(form, name)
    if value != int(value) or not low <= value <= high:
        raise _invalid(name, Msg("Out of range: {value}.", value=str(form.get(name))),
                       Msg("A whole number from {low} to {high}.", low=low, high=high))
    return int(value)


def check_simulation(engine: Engine, contract_id: str, form: Mapping[str, Any], *, settings: Settings) -> dict[str, Any]:
    """The simulation's arguments read from ``form``, each checked (the field named in the error); the
    contract itself is checked by simulating one scenario, so that a contract the simulation does not
    cover is said at once, not after a wait."""
    args: dict[str, Any] = {"scenarios": _whole(form, "scenarios", 1_000, settings.max_simulation_scenarios),
                            "seed": _whole(form, "seed", 0, 2**32 - 1)}
    for name in ASSUMPTIONS:
        args[name] = number_field(form, name)
    if args["effect_sd"] < 0:
        raise _invalid("effect_sd", Msg("Out of range: {value}.", value=str(form.get("effect_sd"))),
                       Msg("An uncertainty is 0 or more."))
    if not 0 < args["enrolment_low"] <= 1:
        raise _invalid("enrolment_low", Msg("Out of range: {value}.", value=str(form.get("enrolment_low"))),
                       Msg("A share of the expected number of participants, above 0 and at most 1."))
    if not 0 <= args["attrition_mean"] < 1:
        raise _invalid("attrition_mean", Msg("Out of range: {value}.", value=str(form.get("attrition_mean"))),
                       Msg("A share of the people followed, from 0 to less than 1."))
    contract = get_contract(engine, contract_id).contract
    simulate(contract, 1, args["seed"], _assumptions(args), zero_effect=False)
    return args


def _assumptions(args: Mapping[str, Any]) -> RiskAssumptions:
    return RiskAssumptions(**{k: float(args[k]) for k in ASSUMPTIONS})


def submit_simulation(engine: Engine, contract_id: str, form: Mapping[str, Any], *, settings: Settings,
                      actor: str) -> JobView:
    args = check_simulation(engine, contract_id, form, settings=settings)
    return submit(engine, SIMULATION, contract_id=contract_id, arguments=args, actor=actor)


def _run_simulation(engine: Engine, _settings: Settings, args: Mapping[str, Any], progress: Progress) -> JobOutput:
    contract = get_contract(engine, str(args["contract_id"])).contract
    r = simulate(contract, int(args["scenarios"]), int(args["seed"]), _assumptions(args), progress=progress)
    return JobOutput(result=r.to_dict())


def submit_report(engine: Engine, contract_id: str, *, public: bool, fmt: str, lang: str, period: str | None,
                  actor: str) -> JobView:
    """Queue a report, its variant checked first (format, language, period)."""
    if fmt not in ("html", "pdf"):
        raise InvalidInputError("report.format", Msg("Unknown format: '{format}'.", format=fmt), path="format",
                                hint=Msg("Choose html or pdf."))
    report_parts.check_language(lang)
    report_parts.payment_period(get_contract(engine, contract_id).contract, period)
    return submit(engine, REPORT, contract_id=contract_id, actor=actor,
                  arguments={"public": public, "format": fmt, "lang": lang, "period": period})


def _run_report(engine: Engine, settings: Settings, args: Mapping[str, Any], progress: Progress) -> JobOutput:
    contract_id, period = str(args["contract_id"]), args.get("period")
    data = build_report(engine, contract_id, settings=settings, lang=str(args["lang"]), public=bool(args["public"]),
                        period=period)
    progress(0.5)
    name = f"temoin-{contract_id}{'-' + period if period else ''}{'-public' if args['public'] else ''}-{args['lang']}"
    if args["format"] == "html":
        return JobOutput(file=render_html(data).encode("utf-8"), file_name=f"{name}.html",
                         file_type="text/html; charset=utf-8")
    return JobOutput(file=render_pdf(data), file_name=f"{name}.pdf", file_type="application/pdf")


def submit_diagnosis(engine: Engine, contract_id: str, form: Mapping[str, Any], *, actor: str) -> JobView:
    """Queue a design diagnosis, its form checked first: the number of trials one of those offered,
    the expected enrolment readable (people per month, closing date)."""
    raw = str(form.get("sims", "")).strip().replace("\u202f", "").replace(" ", "")
    sims = int(raw) if raw.isdigit() else None
    if sims is None or sims not in DIAGNOSIS_SIMS:
        raise InvalidInputError("web.diagnosis_sims", Msg("Number of simulations not offered: {sims}.", sims=sims if sims is not None else raw),
                                path="sims",
                                hint=Msg("Choose one of {choices}.", choices=list(DIAGNOSIS_SIMS)))
    per_month, closes = str(form.get("per_month", "")), str(form.get("closes", ""))
    contract = get_contract(engine, contract_id).contract
    expected_curve(contract, per_month, closes)
    return submit(engine, DIAGNOSIS, contract_id=contract_id, actor=actor,
                  arguments={"sims": sims, "per_month": per_month.strip(), "closes": closes.strip()})


def _run_diagnosis(engine: Engine, _settings: Settings, args: Mapping[str, Any], progress: Progress) -> JobOutput:
    contract_id = str(args["contract_id"])
    with read_scope(engine) as db:
        head = ledger.head_seq(db)
    contract = get_contract(engine, contract_id).contract
    curve = expected_curve(contract, str(args.get("per_month", "")), str(args.get("closes", "")))
    report = diagnose(engine, contract_id, sims=int(args["sims"]), curve=curve, progress=progress)
    # the assumptions said in each language now: a message's dates would come back from JSON as text
    said = {lang: [Translator(lang).render(a) for a in report.assumptions] for lang in LANGUAGES}
    return JobOutput(result={"report": report.to_dict(), "assumptions": said, "ledger_head": head})


KINDS: dict[str, Kind] = {SIMULATION: _run_simulation, REPORT: _run_report, DIAGNOSIS: _run_diagnosis,
                          **import_jobs.KINDS}

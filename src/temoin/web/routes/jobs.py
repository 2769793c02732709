"""Long work as background jobs: the risk simulation page (the contract's assumptions editable), the
reports page (every variant), and each job's status, polled by htmx until its result is kept.

A request only queues the job (:mod:`temoin.services.job_kinds`) and answers at once; the web
process's worker threads (:mod:`temoin.web.job_workers`) run it. Everyone who reads the contract may
ask for a simulation or a report and read the results (reading is all they do).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup, escape

from temoin.contract.model import Contract
from temoin.errors import InvalidInputError, TemoinError
from temoin.i18n import Translator
from temoin.messages import Msg
from temoin.services import import_jobs, job_kinds, jobs
from temoin.services.contracts import get_contract
from temoin.services.jobs import JobView
from temoin.web import import_views
from temoin.web.access import READ
from temoin.web.context import CSRF_HEADER, Ctx, CtxDep
from temoin.web.diagnosis_view import diagnosis_values
from temoin.web.errors import status_of
from temoin.web.layout import contract_page
from temoin.web.render import render

router = APIRouter(include_in_schema=False)


async def _form(ctx: Ctx, request: Request) -> dict[str, str]:
    form = await request.form()
    ctx.check_csrf(str(form.get("csrf_token") or request.headers.get(CSRF_HEADER) or ""))
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _queued(ctx: Ctx, job: JobView, page: str) -> Response:
    workers = getattr(ctx.request.app.state, "job_workers", None)
    if workers is not None:
        workers.wake()
    return RedirectResponse(f"/contracts/{job.contract_id}/{page}?job={job.id}", status_code=303)


def _shown(ctx: Ctx, contract_id: str, listed: list[JobView], job: int | None) -> JobView | None:
    if job is not None:
        return jobs.get_job(ctx.engine, job, contract_id=contract_id, kind=job_kinds.SIMULATION)
    return listed[0] if listed else None


# --- risk simulation -------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/simulation")
def simulation_page(ctx: CtxDep, contract_id: str, job: int | None = None) -> Response:
    ctx.require(READ, contract_id)
    return _simulation(ctx, contract_id, job=job)


def _simulation(ctx: Ctx, contract_id: str, *, job: int | None = None, form: dict[str, Any] | None = None,
                error: TemoinError | None = None) -> Response:
    listed = jobs.list_jobs(ctx.engine, contract_id, (job_kinds.SIMULATION,), limit=10)
    shown = _shown(ctx, contract_id, listed, job)
    defaults: dict[str, Any] = {}
    try:
        defaults = job_kinds.simulation_defaults(ctx.engine, contract_id)
    except TemoinError as exc:  # a contract without the assumptions the simulation needs: said on the page
        error = error or exc
    values = form if form is not None else (shown.arguments if shown is not None else defaults)
    status = status_of(error) if form is not None and error is not None else 200
    return contract_page(ctx, contract_id, "simulation.html", status=status,
                         form=values, defaults=defaults, jobs=listed, job=shown, error=error,
                         limit=ctx.settings.max_simulation_scenarios, **_job_values(ctx, shown))


@router.post("/contracts/{contract_id}/simulation")
async def simulation_submit(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(READ, contract_id)
    form = await _form(ctx, request)
    try:
        job = job_kinds.submit_simulation(ctx.engine, contract_id, form, settings=ctx.settings, actor=ctx.actor)
    except TemoinError as exc:  # answered on the page, the form as it was filled in
        return _simulation(ctx, contract_id, form=form, error=exc)
    return _queued(ctx, job, "simulation")


# --- reports ---------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/reports")
def reports_page(ctx: CtxDep, contract_id: str) -> Response:
    ctx.require(READ, contract_id)
    return _reports(ctx, contract_id)


def _reports(ctx: Ctx, contract_id: str, *, form: dict[str, str] | None = None,
             error: TemoinError | None = None) -> Response:
    contract = get_contract(ctx.engine, contract_id).contract
    periods = [(p.id, p.label.get(ctx.lang)) for p in contract.payments.periods]
    listed = jobs.list_jobs(ctx.engine, contract_id, (job_kinds.REPORT,), limit=30)
    return contract_page(ctx, contract_id, "reports.html", status=status_of(error) if error is not None else 200,
                         periods=periods, jobs=listed, error=error, form=form or {"lang": ctx.lang})


@router.post("/contracts/{contract_id}/reports")
async def reports_submit(ctx: CtxDep, contract_id: str, request: Request) -> Response:
    ctx.require(READ, contract_id)
    form = await _form(ctx, request)
    variant = form.get("variant", "")
    try:
        if variant not in ("internal", "public"):
            raise InvalidInputError("report.variant", Msg("Unknown report variant: '{variant}'.", variant=variant),
                                    path="variant", hint=Msg("Choose the internal or the public report."))
        job = job_kinds.submit_report(ctx.engine, contract_id, public=variant == "public",
                                      fmt=form.get("format", ""), lang=form.get("lang", ""),
                                      period=form.get("period") or None, actor=ctx.actor)
    except TemoinError as exc:
        return _reports(ctx, contract_id, form=form, error=exc)
    return _queued(ctx, job, "reports")


# --- each job ----------------------------------------------------------------------------------


@router.get("/contracts/{contract_id}/jobs/{job_id}")
def job_status(ctx: CtxDep, contract_id: str, job_id: int, request: Request) -> Response:
    """A job's status, its progress while it runs (htmx asks again every second), then its result;
    without htmx, the page the job belongs to."""
    ctx.require(READ, contract_id)
    job = jobs.get_job(ctx.engine, job_id, contract_id=contract_id)
    values = _job_values(ctx, job)
    if job.kind in import_jobs.IMPORTS:  # an import: followed by those who may send such a file
        ctx.require(import_views.permission_of(job.kind), contract_id)
        values = import_views.of_job(ctx, job)
    if not request.headers.get("HX-Request"):  # a person following the link: the job on its page
        page = {job_kinds.SIMULATION: f"simulation?job={job.id}", job_kinds.DIAGNOSIS: f"diagnosis?job={job.id}",
                job_kinds.REPORT: "reports"}.get(job.kind, f"data?job={job.id}")
        return RedirectResponse(f"/contracts/{contract_id}/{page}", status_code=303)
    return render(ctx, "job_status.html", job=job, contract_id=contract_id, **values)


@router.get("/contracts/{contract_id}/jobs/{job_id}/file")
def job_download(ctx: CtxDep, contract_id: str, job_id: int) -> Response:
    ctx.require(READ, contract_id)
    name, media_type, data = jobs.job_file(ctx.engine, job_id, contract_id=contract_id)
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _job_values(ctx: Ctx, job: JobView | None) -> dict[str, Any]:
    if job is None or job.result is None or job.kind != job_kinds.SIMULATION:
        return {"risk": None, **diagnosis_values(ctx, job)}
    contract = get_contract(ctx.engine, job.contract_id).contract if job.contract_id else None
    return {"risk": risk_words(job.result, ctx.t, contract), "diag": None}


def _investor(contract: Contract | None, investor: str, t: Translator) -> Markup:
    """An investor by its name (marked as a name, which is not translated) and its rank
    ("Fonds X (senior)"), or its id when the contract does not name it."""
    if contract is None:
        return Markup("{}").format(investor)
    name = Markup('<span translate="no">{}</span>').format(
        next((p.name for p in contract.parties if p.id == investor), investor))
    ranks = sorted({i.seniority for i in contract.investments if i.investor == investor})
    if not ranks:
        return name
    return Markup(escape(t.gettext("{investor} ({rank})"))).format(
        investor=name, rank=", ".join(t.label("seniority", r) for r in ranks))


def risk_words(r: dict[str, Any], t: Translator, contract: Contract | None = None) -> dict[str, Any]:
    """A kept simulation's figures, and the same said in words (the payer's questions first, then the
    investors'), in the reader's language: the sentences of ``temoin simulate``."""
    cur = str(r["currency"])

    def money(v: Any) -> str:
        return t.money(Decimal(str(v)), cur)

    def pct(x: Any) -> str:
        return "—" if x is None or x != x else t.share(float(x), 2)

    cost = {k: money(v) for k, v in r["payer_cost"].items()}
    payer = []
    if r.get("prob_paid_without_effect") is not None:
        payer.append(t("Probability that something is paid although the programme has no real effect: {p}",
                       p=pct(r["prob_paid_without_effect"])))
    extra, direct = r.get("expected_extra_cost"), r.get("direct_cost")
    if extra is not None and direct is not None:
        more = Decimal(str(extra)) > 0
        template = ("Expected cost of the CIS {cost} against {direct} funded directly: {delta} more" if more else
                    "Expected cost of the CIS {cost} against {direct} funded directly: {delta} less")
        payer.append(t(template, cost=cost["mean"], direct=money(direct), delta=money(abs(Decimal(str(extra))))))
    else:
        payer.append(t("Expected cost of the CIS: {cost}", cost=cost["mean"]))
    payer.append(t("Cost to the payer: 5% of scenarios below {p5}, half below {p50}, 95% below {p95}",
                   p5=cost["p5"], p50=cost["p50"], p95=cost["p95"]))
    if r.get("prob_cis_costs_more_than_direct") is not None:
        payer.append(t("Probability the CIS costs more than direct funding: {p}", p=pct(r["prob_cis_costs_more_than_direct"])))
    payer.append(t("Probability nothing is paid: {p}", p=pct(r["prob_no_payment"])))
    irr = r["investor_irr"]
    investors = [t("Median IRR: {irr}; probability of a loss: {p}", irr=pct(irr["p50"]), p=pct(r["prob_investor_loss"]))]
    investors += [Markup(escape(t.gettext("{investor}: {p}"))).format(investor=_investor(contract, k, t), p=pct(v))
                  for k, v in r["prob_loss_by_investor"].items()]
    investors.append(t("Probability a guarantee is called: {p}", p=pct(r["prob_guarantee_called"])))
    rows = [(t(label), [money(r[key][k]) for k in ("p5", "p50", "p95", "mean")])
            for label, key in (("Cost to the payer", "payer_cost"), ("Outcome payments", "outcome_payments"),
                               ("Realised savings", "realised_savings"))]
    rows.append((t("Investors' IRR"), [pct(irr["p5"]), pct(irr["p50"]), pct(irr["p95"]), "—"]))
    return {"payer": payer, "investors": investors, "rows": rows, "scenarios": r["scenarios"], "seed": r["seed"],
            "exceed": t("Probability payments would exceed savings without that cap: {p}",
                        p=pct(r["prob_payments_exceed_savings_without_cap"])),
            "notes": [t.render(Msg.from_dict(n)) for n in r.get("notes", [])]}

"""The transparency report of a contract for a period: gathered once, rendered as HTML or PDF.

The report service (:func:`temoin.services.reports.build_report`) reads everything (contract and
safeguards, evaluation, settlement, budget watch, audit ledger) and builds a :class:`ReportData`
with :func:`new_report` and the ``add_*`` functions here, which shape each section and draw its
charts; ``render_html`` fills the Jinja2 template; ``render_pdf`` prints that HTML with
WeasyPrint. A section whose data do not exist yet (no evaluation run, no budget imported) says so
in the report: it is never invented.

The public version (``public=True``) applies small-cell suppression to every count of people
(the settings' ``small_cell_threshold``, 10 by default) and leaves out what would give a hidden
count back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from temoin.contract import Contract, check_contract
from temoin.errors import InvalidInputError
from temoin.governance.budget import BudgetWatch
from temoin.governance.ledger import ChainStatus
from temoin.i18n import Translator
from temoin.i18n.contract_labels import category_label, unit_label
from temoin.messages import Msg
from temoin.reports import charts
from temoin.reports.charts._svg import num as chart_num
from temoin.reports.explain import explain_settlement, extra_cost_sentence
from temoin.reports.notices import notice_text, rendered_watch
from temoin.settlement import Notice
from temoin.store.contracts import StoredContract

__all__ = ["ReportData", "add_absent", "add_budget", "add_evaluation", "add_ledger", "add_settlement", "check_language",
           "new_report", "payment_period", "render_html", "render_pdf", "withheld_reason"]

HERE = Path(__file__).resolve().parent


@dataclass
class ReportData:
    """Everything a transparency report shows, in one language, already suppressed when public."""

    lang: str
    public: bool
    generated_at: str
    contract: dict[str, Any]
    period: dict[str, Any] | None
    safeguards: list[dict[str, Any]]
    evaluation: dict[str, Any] | None
    settlement: dict[str, Any] | None
    budget: dict[str, Any] | None
    ledger: dict[str, Any]
    threshold: int
    charts: dict[str, str] = field(default_factory=dict)
    absent: list[dict[str, str]] = field(default_factory=list)
    erasures: list[tuple[Any, Any, int]] = field(default_factory=list)
    """Personal data erased (date, rule, people): aggregates published before are not recomputed."""
    """Sections left out, with the reason in the report's language."""

    @property
    def hidden_counts(self) -> int:
        return int((self.evaluation or {}).get("hidden", 0))


def payment_period(contract: Any, period: str | None) -> Any:
    """The contract's payment period ``period`` (None: none asked), or a clear error listing them."""
    if period is None:
        return None
    for p in contract.payments.periods:
        if p.id == period:
            return p
    ids = [p.id for p in contract.payments.periods]
    raise InvalidInputError("report.unknown_period", Msg("Unknown period: '{period}'.", period=period),
                            path="period", hint=Msg("Choose one of: {periods}.", periods=", ".join(ids)))


def check_language(lang: str) -> None:
    if lang not in ("fr", "en"):
        raise InvalidInputError("report.lang", Msg("Unknown language: '{lang}'.", lang=lang),
                                path="lang", hint=Msg("Choose fr or en."))


def new_report(stored: StoredContract, *, lang: str, public: bool, period: Any, threshold: int) -> ReportData:
    """A report with its contract, period and safeguard sections; the other sections are added by
    the ``add_*`` functions from what the services read."""
    c = stored.contract
    contract = {
        "id": c.id, "version": stored.version, "content_hash": stored.content_hash, "title": c.title.get(lang),
        "summary": c.summary.get(lang), "jurisdiction": c.jurisdiction, "sector": c.policy_sector,
        "synthetic": c.synthetic, "start": c.start_date.isoformat(), "end": c.end_date.isoformat(),
        "currency": c.currency, "expected_size": c.population.expected_size,
        "parties": [{"id": pt.id, "name": pt.name, "roles": [r.value for r in pt.roles]} for pt in c.parties],
        "caps": c.caps.model_dump(mode="json"), "basis": c.payments.basis,
        "invested": str(c.invested.amount) if c.investments else None,
    }
    return ReportData(
        lang=lang, public=public, generated_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        contract=contract, period=None if period is None else {"id": period.id, "label": period.label.get(lang),
                                                               "payment_date": period.payment_date.isoformat()},
        safeguards=_safeguards(c, Translator(lang)), evaluation=None, settlement=None, budget=None,
        ledger={}, threshold=threshold)


def _safeguards(c: Contract, t: Translator) -> list[dict[str, Any]]:
    return [{"code": o.code, "severity": o.severity, "passed": o.passed, "title": t.render(o.title),
             "message": t.render(o.message), "fix": t.render(o.fix)} for o in check_contract(c)]


def add_absent(data: ReportData, section: str, reason: Msg | str) -> None:
    """Say in the report that a section is left out, and why (never invented): ``section`` is the
    catalogue's name of the section; ``reason`` a message, or a text already in the report's
    language (a rendered error)."""
    t = Translator(data.lang)
    data.absent.append({"section": t(section), "reason": t.render(reason) if isinstance(reason, Msg) else reason})


def add_evaluation(data: ReportData, contract: Contract, ev: dict[str, Any]) -> None:
    """The evaluation section (from :func:`temoin.reports._evaluation.evaluation_section`) and its charts."""
    lang = data.lang
    data.evaluation = ev
    if ev["flow"] is not None:
        data.charts["consort"] = charts.consort(ev["flow"], lang=lang)
    else:
        add_absent(data, "Cohort flow", Msg("no participant recorded"))
    shown_attrition = [a for a in ev["attrition"] if not a["hidden"]]
    if shown_attrition:
        data.charts["attrition"] = charts.attrition_chart(shown_attrition, lang=lang, boundary=ev["boundary"])
    if ev["balance"]:
        data.charts["balance"] = charts.love_plot(ev["balance"]["rows"], lang=lang, label_field="label")
    t = Translator(lang)
    margins = [{"label": f"{m['attribute_label']} = {category_label(contract, cat, t, m['attribute'])}", "effect_size": d}
               for m in ev["representativeness"] for cat, d in m["std_differences"].items()]
    if margins:
        data.charts["representativeness"] = charts.love_plot(
            margins, lang=lang, bands=(0.1, 0.25), label_field="label",
            title=t("Representativeness: enrolled vs reference population (standardised differences)"),
            legend_labels=(t("representative"), t("noticeable gap"), t("not representative")))
    if ev["results"]:
        price = next((ip for ip in contract.payments.indicators), None)
        primary = [r for r in ev["results"] if price is None or r["indicator"] == price.indicator] or ev["results"]
        data.charts["impact"] = charts.impact_chart(
            [{**r, "label": f"{r['label']} — {r['wave']}"} for r in primary], lang=lang, unit=primary[0]["unit"],
            threshold=price.threshold if price else None)
    else:
        add_absent(data, "Impact", Msg("no evaluation recorded"))


WITHHELD = Msg("amounts withheld (statistical confidentiality): with the published verified impact, they would give "
               "back a count of people that is hidden or too small to publish")


def withheld_reason(lang: str) -> str:
    return Translator(lang).render(WITHHELD)


def add_settlement(data: ReportData, settlement: dict[str, Any], *, withheld: bool = False,
                   contract: Contract | None = None) -> None:
    """The settlement section: a recorded settlement's outputs, or a preview (said so), and its
    charts; ``withheld`` (public version): its amounts would give a hidden count back, so only the
    record (number, sign-offs, fingerprint) is shown.

    Its notices are rendered here in the report's language (``notices``), from the recorded form
    (a message, or the French and English texts of a settlement recorded before); with ``contract``,
    each period's payment decision is said in words (``explained``: :mod:`temoin.reports.explain`)."""
    if withheld:
        data.settlement = {**{k: v for k, v in settlement.items() if k != "data"}, "data": None,
                           "withheld": withheld_reason(data.lang)}
        return
    t = Translator(data.lang)
    sd = settlement["data"]
    notices = [Notice.from_dict(n) for n in sd.get("notices", [])]
    data.settlement = {**settlement, "notices": [{"level": n.level, "text": notice_text(t, n)} for n in notices],
                       "explained": [] if contract is None else explain_settlement(contract, sd, t),
                       "extra_cost_words": _extra_cost_words(t, sd.get("public_cost") or {}, str(sd.get("currency") or "EUR")),
                       "break_even_unit": unit_label(contract, str((sd.get("public_cost") or {}).get("break_even_unit") or ""), t)}
    if sd["periods"]:
        data.charts["waterfall"] = charts.settlement_waterfall(sd, lang=data.lang)
    if sd["investors"]:
        names = {p["id"]: p["name"] for p in data.contract.get("parties") or [] if "id" in p}
        investors = [{**i, "investor": names.get(i["investor"], i["investor"])} for i in sd["investors"]]
        data.charts["investors"] = charts.investor_flows(investors, lang=data.lang, currency=sd["currency"])
    data.charts["public_cost"] = charts.public_cost_chart(sd["public_cost"], lang=data.lang, currency=sd["currency"])


def _extra_cost_words(t: Translator, pc: dict[str, Any], currency: str) -> str | None:
    extra = pc.get("extra_cost")
    if extra is None:
        return None
    share = pc.get("extra_cost_share")
    return extra_cost_sentence(t, extra, None if share is None else float(share), t.money(abs(Decimal(str(extra))), currency))


def add_budget(data: ReportData, watch: BudgetWatch) -> None:
    data.budget = rendered_watch(Translator(data.lang), watch.to_dict(data.lang))
    data.charts["budget"] = charts.budget_watch(data.budget, lang=data.lang, currency=str(data.contract["currency"]))


def add_ledger(data: ReportData, status: ChainStatus) -> None:
    data.ledger = {"whole": status.whole, "entries": status.entries, "head": status.head,
                   "describe": Translator(data.lang).render(status.describe())}


@lru_cache(maxsize=1)
def _env() -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(HERE / "templates")), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    return env


def render_html(data: ReportData) -> str:
    """The report as one standalone HTML page (CSS inlined, charts inline SVG), every word, number,
    amount and date in the report's language (:class:`~temoin.i18n.Translator`)."""
    from markupsafe import Markup

    t = Translator(data.lang)
    cur = str(data.contract.get("currency") or "EUR")
    tpl = _env().get_template("report.html")

    def money(v: Any) -> str:
        return t.money(Decimal(str(v)), cur) if v is not None else t("n/a")

    def num(v: Any, d: int = 0) -> str:
        return chart_num(t, Decimal(str(v)) if isinstance(v, str) else v, d) if v is not None else t("suppressed")

    names = {p["id"]: p["name"] for p in data.contract.get("parties") or [] if "id" in p}

    def pct(v: Any, d: int = 1) -> str:
        return t.share(float(v), d) if v is not None else t("n/a")

    def date(v: Any) -> str:
        try:
            return t.date(dt.date.fromisoformat(str(v)[:10])) if v else "—"
        except ValueError:  # not a date: shown as recorded
            return str(v)

    def datetime(v: Any) -> str:
        try:
            return t.datetime(v if isinstance(v, dt.datetime) else str(v)) if v else "—"
        except ValueError:
            return str(v)

    return str(tpl.render(
        r=data, lang=data.lang, css=Markup((HERE / "templates" / "report.css").read_text(encoding="utf-8")),
        svg=lambda name: Markup(data.charts[name]) if name in data.charts else "",
        t=t, label=t.label, party=lambda pid: names.get(pid, pid), money=money, num=num, pct=pct, date=date, datetime=datetime,
    ))


def render_pdf(data: ReportData) -> bytes:
    """The report printed to PDF by WeasyPrint (A4, page numbers, ledger head in the footer)."""
    from weasyprint import HTML

    return bytes(HTML(string=render_html(data), base_url=str(HERE)).write_pdf())

"""Rendering open data for people (rich): an import's summary, the registry, an INDIGO project's
sheet, the observatory's comparison and the registry's safeguard counts.

Used by ``temoin import indigo``, ``temoin registry`` and ``temoin observatory``.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from temoin.i18n import Translator

if TYPE_CHECKING:
    from temoin.i18n import Translator
    from temoin.opendata.observatory import Comparison, SafeguardCounts
    from temoin.opendata.project_sheet import ProjectSheet
    from temoin.opendata.registry import RegistryEntry
    from temoin.services.opendata import IndigoImportSummary

__all__ = ["metric_value", "render_comparison", "render_counts", "render_import", "render_project", "render_registry"]

SHOWN_WARNINGS = 30


def _money(reader: Translator, amount: str | float | Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    return reader.money(Decimal(str(amount)), currency or "EUR", cents=False)


def metric_value(reader: Translator, x: float | None, unit: str) -> str:
    """A figure of the observatory in the reader's format: an amount in its currency, a percentage, months."""
    if x is None:
        return "—"
    if unit == "%":
        return reader.share(x / 100)
    if unit == "months":
        return reader("{n} months", n=round(x, 1))
    if len(unit) == 3 and unit.isalpha() and unit.isupper():
        return reader.money(Decimal(str(round(x, 2))), unit, cents=False)
    return f"{reader.number(x, 2)} {unit}"


def _yes_no(reader: Translator, value: bool | None) -> str:
    return "—" if value is None else reader.value(value)


def render_import(summary: IndigoImportSummary, out: Console, err: Console, reader: Translator, *,
                  all_warnings: bool) -> None:
    """What was read (files, rows), what changed (new, updated, unchanged), and the warnings."""
    t = reader
    res = summary.result
    counts = summary.counts()
    out.print(escape(t("{projects} project(s) imported from {source} ({added} new, {updated} updated, {unchanged} "
                       "unchanged), {warnings} warning(s).", projects=len(res.projects), source=str(res.source),
                       added=len(summary.added), updated=len(summary.updated), unchanged=len(summary.unchanged),
                       warnings=len(res.warnings))))
    kinds = {"organisation": "{n} organisation(s): {added} new, {updated} updated.",
             "fund": "{n} fund(s): {added} new, {updated} updated."}
    for kind, message in kinds.items():
        n = sum(counts[kind].values())
        if n:
            out.print(t(message, n=n, added=counts[kind]["added"], updated=counts[kind]["updated"]))
    if res.files:
        out.print(t("{files} file(s) read, {rows} row(s).", files=len(res.files), rows=sum(f.rows for f in res.files)))
    by_code = Counter(w.code for w in res.warnings)
    if len(res.warnings) > SHOWN_WARNINGS and not all_warnings:
        kinds_seen = ", ".join(f"{code} {reader.number(n)}" for code, n in by_code.most_common())
        err.print(escape(t("Warnings by kind: {kinds}", kinds=kinds_seen)), soft_wrap=True)
    shown = res.warnings if all_warnings else res.warnings[:SHOWN_WARNINGS]
    for w in shown:
        err.print(f"[yellow]{escape(t('Warning'))}[/] {escape(reader.render(w.describe()))}", soft_wrap=True)
    if len(shown) < len(res.warnings):
        err.print(escape(t("… and {n} more: --all-warnings to see them all, --json to process them.",
                           n=len(res.warnings) - len(shown))))


def render_registry(entries: list[RegistryEntry], out: Console, reader: Translator) -> None:
    t = reader
    table = Table(title=t("Public registry of contracts"))
    for col in (t("Id"), t("Name"), t("Country"), t("Sector"), t("Max. payment"), t("Duration (months)"),
                t("Max. return"), t("Validation"), t("Results")):
        table.add_column(col)
    for e in entries:
        table.add_row(
            e.id, escape(e.name), e.country or "—", escape(e.sector or "—"),
            _money(reader, e.max_outcome_payment, e.currency),
            reader.number(e.duration_months) if e.duration_months is not None else "—",
            reader.share(e.max_return_pct / 100) if e.max_return_pct is not None else "—",
            escape(e.validation_method or "—"), _yes_no(reader, e.has_published_results),
        )
    out.print(table)


def render_project(sheet: ProjectSheet, out: Console, reader: Translator) -> None:
    """An INDIGO project's sheet: summary, parties, outcome metrics, prices, payments, results, sources."""
    t = reader
    e = sheet.entry
    out.print(f"[bold]{escape(e.name)}[/] ({e.id})")
    out.print(escape(t("Country: {country} · sector: {sector} · stage: {stage} · signed: {signed} · service: {start} → {end}",
                       country=e.country or "—", sector=e.sector or "—", stage=sheet.stage or "—",
                       signed=str(sheet.signed or "—"), start=str(e.start or "—"), end=str(e.end or "—"))))
    parties = Table(title=t("Parties"), title_justify="left")
    for col in (t("Organisation"), t("Role"), t("Category"), t("Amount")):
        parties.add_column(col)
    for p in sheet.parties:
        parties.add_row(escape(p.name), reader.label("indigo_party_role", p.role),
                        escape(reader.label("indigo_organisation_type", p.category) if p.category else "—"),
                        _money(reader, p.amount, p.currency))
    out.print(parties)
    metrics = Table(title=t("Outcome metrics"), title_justify="left")
    for col in (t("Id"), t("Definition"), t("Validation method"), t("Real counterfactual")):
        metrics.add_column(col)
    for m in sheet.metrics:
        metrics.add_row(m.id, escape((m.definition or "—").splitlines()[0]), escape(m.validation_method or "—"),
                        _yes_no(reader, m.real_counterfactual))
    out.print(metrics)
    prices = Table(title=t("Prices"), title_justify="left")
    for col in (t("Metric"), t("Price per unit"), t("Maximum if all targets met")):
        prices.add_column(col)
    for pr in sheet.prices:
        prices.add_row(pr.metric_id or "—", _money(reader, pr.price_per_unit, pr.currency),
                       _money(reader, pr.maximum_if_all_targets, pr.currency))
    out.print(prices)
    for kind, by in sheet.payments_total.items():
        amounts = ", ".join(_money(reader, v, c) for c, v in by.items())
        message = {"Actual": "Outcome payments made: {amounts}", "Planned": "Outcome payments planned: {amounts}"}.get(
            kind, "Outcome payments: {amounts}")
        out.print(escape(t(message, amounts=amounts)))
    results = Table(title=t("Results"), title_justify="left")
    for col in (t("Metric"), t("Period"), t("Type"), t("Achieved"), t("Engaged"), t("Positive")):
        results.add_column(col)
    for r in sheet.results:
        results.add_row(r.metric_id or "—", f"{r.start or '?'} → {r.end or '?'}", escape(r.kind or "—"),
                        escape(str(r.achieved if r.achieved is not None else "—"))[:60], escape(str(r.engaged or "—")),
                        escape(str(r.positive or "—")))
    out.print(results)
    out.print(t("Sources: {sources}; documents: {documents}.", sources=len(sheet.sources), documents=len(sheet.documents)))
    for s in sheet.sources:
        out.print(f"  {escape(f'[{s.id}]')} {escape(s.name or '—')}" + (f" {escape(s.url)}" if s.url else ""), soft_wrap=True)


def render_counts(counts: dict[str, SafeguardCounts], out: Console, reader: Translator) -> None:
    """The registry's safeguard counts: real counterfactual, cap at realised savings, published results."""
    t = reader
    table = Table(title=t("What the registry shows"))
    for col in ("", t("Contracts"), t("Method known"), t("Real counterfactual"), t("Capped at realised savings"),
                t("Published results")):
        table.add_column(col)
    names = {"all": t("Whole registry"), "temoin": "Témoin", "indigo": "INDIGO"}
    for key, c in counts.items():
        cap = "—" if not c.cap_known else f"{c.capped_at_savings}/{c.cap_known}"
        if c.cap_known != c.entries:
            cap += " " + t("({n} not recorded)", n=c.entries - c.cap_known)
        table.add_row(names.get(key, key), reader.number(c.entries), reader.number(c.validation_known),
                      f"{c.real_counterfactual}/{c.validation_known}", cap, f"{c.published_results}/{c.results_known}")
    out.print(table)


def render_comparison(cmp: Comparison, contract: str, out: Console, reader: Translator) -> None:
    t = reader
    table = Table(title=escape(t("'{contract}' against its peers: {group} ({n})", contract=contract,
                                 group=reader.label(cmp.peer_group), n=len(cmp.peers))))
    for col in (t("Term"), t("This contract"), t("Median"), t("Min."), t("Max."), t("Share below"), "n", t("Excluded")):
        table.add_column(col)

    for m in cmp.metrics:
        label = reader.label("observatory_metric", m.key)

        def fmt(x: float | None, unit: str = m.unit) -> str:
            return metric_value(reader, x, unit)

        table.add_row(escape(label), fmt(m.value), fmt(m.median), fmt(m.minimum), fmt(m.maximum),
                      "—" if m.share_below is None else reader.share(m.share_below, 0), reader.number(m.n),
                      reader.number(m.excluded))
    out.print(table)
    if cmp.group_sizes.get("sector_country", 0) == 0:
        out.print(escape(t("No other contract of the same sector ({sector}) and country ({country}): comparison widened.",
                           sector=cmp.sector or "?", country=cmp.country or "?")))
    designs = ", ".join(f"{k}: {v}" for k, v in cmp.designs.items()) or "—"
    out.print(escape(t("Validation methods in the registry: {designs}; unknown: {unknown}. With a real counterfactual: "
                       "{real}/{size}.", designs=designs, unknown=cmp.designs_unknown, real=str(cmp.with_real_counterfactual),
                       size=str(cmp.registry_size))))
    out.print(escape(t("Payments capped at realised savings: {capped} (not recorded: {unknown}); published results: "
                       "{published}/{size}.", capped=cmp.capped_at_savings, unknown=cmp.cap_at_savings_unknown,
                       published=str(cmp.published_results), size=str(cmp.registry_size))))
    out.print(escape(t("This contract: {design}; payments capped at realised savings: {capped}.",
                       design=cmp.contract_design or "—", capped=_yes_no(reader, cmp.contract_capped_at_savings))))

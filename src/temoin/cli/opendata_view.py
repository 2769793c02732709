"""Rendering open data for people (rich): an import's summary, the registry, an INDIGO project's
sheet, the observatory's comparison and the registry's safeguard counts.

Used by ``temoin import indigo``, ``temoin registry`` and ``temoin observatory``.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from temoin.i18n import Translator

if TYPE_CHECKING:
    from temoin.opendata.observatory import Comparison, SafeguardCounts
    from temoin.opendata.project_sheet import ProjectSheet
    from temoin.opendata.registry import RegistryEntry
    from temoin.services.opendata import IndigoImportSummary

__all__ = ["render_comparison", "render_counts", "render_import", "render_project", "render_registry"]

SHOWN_WARNINGS = 30


def _tr(fr: bool, a: str, b: str) -> str:
    return a if fr else b


def render_import(summary: IndigoImportSummary, out: Console, err: Console, language: str, *, all_warnings: bool) -> None:
    """What was read (files, rows), what changed (new, updated, unchanged), and the warnings."""
    fr = language == "fr"
    res = summary.result
    counts = summary.counts()
    out.print(_tr(fr, f"{len(res.projects)} projet(s) importé(s) depuis {res.source} ({len(summary.added)} nouveau(x), "
                      f"{len(summary.updated)} mis à jour, {len(summary.unchanged)} inchangé(s)), "
                      f"{len(res.warnings)} avertissement(s).",
                  f"{len(res.projects)} project(s) imported from {res.source} ({len(summary.added)} new, "
                  f"{len(summary.updated)} updated, {len(summary.unchanged)} unchanged), {len(res.warnings)} warning(s)."))
    for kind, label_fr, label_en in (("organisation", "organisation(s)", "organisation(s)"), ("fund", "fonds", "fund(s)")):
        n = sum(counts[kind].values())
        if n:
            out.print(_tr(fr, f"{n} {label_fr} : {counts[kind]['added']} nouvelle(s), {counts[kind]['updated']} mise(s) à jour.",
                          f"{n} {label_en}: {counts[kind]['added']} new, {counts[kind]['updated']} updated."))
    if res.files:
        rows = sum(f.rows for f in res.files)
        out.print(_tr(fr, f"{len(res.files)} fichier(s) lu(s), {rows} ligne(s).", f"{len(res.files)} file(s) read, {rows} row(s)."))
    by_code = Counter(w.code for w in res.warnings)
    if len(res.warnings) > SHOWN_WARNINGS and not all_warnings:
        err.print(_tr(fr, "Avertissements par type : ", "Warnings by kind: ")
                  + ", ".join(f"{code} {n}" for code, n in by_code.most_common()), soft_wrap=True)
    shown = res.warnings if all_warnings else res.warnings[:SHOWN_WARNINGS]
    for w in shown:
        err.print(f"[yellow]{_tr(fr, 'Avertissement', 'Warning')}[/] {escape(Translator(language).render(w.describe()))}", soft_wrap=True)
    if len(shown) < len(res.warnings):
        err.print(_tr(fr, f"… et {len(res.warnings) - len(shown)} autre(s) : --all-warnings pour tout voir, --json pour les traiter.",
                      f"… and {len(res.warnings) - len(shown)} more: --all-warnings to see them all, --json to process them."))


def render_registry(entries: list[RegistryEntry], out: Console, language: str) -> None:
    fr = language == "fr"
    table = Table(title=_tr(fr, "Registre public des contrats", "Public registry of contracts"))
    for col in (_tr(fr, "Identifiant", "Id"), _tr(fr, "Nom", "Name"), _tr(fr, "Pays", "Country"), _tr(fr, "Secteur", "Sector"),
                _tr(fr, "Paiement max.", "Max. payment"), _tr(fr, "Durée (mois)", "Duration (months)"),
                _tr(fr, "Rendement max.", "Max. return"), _tr(fr, "Validation", "Validation"), _tr(fr, "Résultats", "Results")):
        table.add_column(col)
    for e in entries:
        table.add_row(
            e.id, escape(e.name), e.country or "—", e.sector or "—",
            f"{e.max_outcome_payment:,.0f} {e.currency}" if e.max_outcome_payment is not None else "—",
            f"{e.duration_months:g}" if e.duration_months is not None else "—",
            f"{e.max_return_pct:g} %" if e.max_return_pct is not None else "—",
            e.validation_method or "—",
            "—" if e.has_published_results is None else _tr(fr, "oui", "yes") if e.has_published_results else _tr(fr, "non", "no"),
        )
    out.print(table)


def _money(amount: str | None, currency: str | None) -> str:
    return "—" if amount is None else f"{float(amount):,.0f} {currency or ''}".strip()


def render_project(sheet: ProjectSheet, out: Console, language: str) -> None:
    """An INDIGO project's sheet: summary, parties, outcome metrics, prices, payments, results, sources."""
    fr = language == "fr"
    e = sheet.entry
    out.print(f"[bold]{escape(e.name)}[/] ({e.id})")
    out.print(_tr(fr, f"Pays : {e.country or '—'} · secteur : {e.sector or '—'} · stade : {sheet.stage or '—'} · "
                      f"signé : {sheet.signed or '—'} · accompagnement : {e.start or '—'} → {e.end or '—'}",
                  f"Country: {e.country or '—'} · sector: {e.sector or '—'} · stage: {sheet.stage or '—'} · "
                  f"signed: {sheet.signed or '—'} · service: {e.start or '—'} → {e.end or '—'}"))
    parties = Table(title=_tr(fr, "Parties", "Parties"), title_justify="left")
    for col in (_tr(fr, "Organisation", "Organisation"), _tr(fr, "Rôle", "Role"), _tr(fr, "Catégorie", "Category"),
                _tr(fr, "Montant", "Amount")):
        parties.add_column(col)
    for p in sheet.parties:
        parties.add_row(escape(p.name), p.role_fr if fr else p.role_en, p.category or "—", _money(p.amount, p.currency))
    out.print(parties)
    metrics = Table(title=_tr(fr, "Indicateurs de résultat", "Outcome metrics"), title_justify="left")
    for col in ("Id", _tr(fr, "Définition", "Definition"), _tr(fr, "Méthode de validation", "Validation method"),
                _tr(fr, "Contrefactuel réel", "Real counterfactual")):
        metrics.add_column(col)
    for m in sheet.metrics:
        real = "—" if m.real_counterfactual is None else _tr(fr, "oui", "yes") if m.real_counterfactual else _tr(fr, "non", "no")
        metrics.add_row(m.id, escape((m.definition or "—").splitlines()[0]), escape(m.validation_method or "—"), real)
    out.print(metrics)
    prices = Table(title=_tr(fr, "Prix", "Prices"), title_justify="left")
    for col in (_tr(fr, "Indicateur", "Metric"), _tr(fr, "Prix par unité", "Price per unit"),
                _tr(fr, "Maximum si tout est atteint", "Maximum if all targets met")):
        prices.add_column(col)
    for pr in sheet.prices:
        prices.add_row(pr.metric_id or "—", _money(pr.price_per_unit, pr.currency), _money(pr.maximum_if_all_targets, pr.currency))
    out.print(prices)
    for kind, by in sheet.payments_total.items():
        label = {"Actual": _tr(fr, "payés", "made"), "Planned": _tr(fr, "prévus", "planned")}.get(kind, kind)
        out.print(_tr(fr, f"Paiements aux résultats {label} : ", f"Outcome payments {label}: ")
                  + ", ".join(_money(v, c) for c, v in by.items()))
    results = Table(title=_tr(fr, "Résultats", "Results"), title_justify="left")
    for col in (_tr(fr, "Indicateur", "Metric"), _tr(fr, "Période", "Period"), _tr(fr, "Type", "Type"),
                _tr(fr, "Atteints", "Achieved"), _tr(fr, "Engagés", "Engaged"), _tr(fr, "Résultat positif", "Positive")):
        results.add_column(col)
    for r in sheet.results:
        results.add_row(r.metric_id or "—", f"{r.start or '?'} → {r.end or '?'}", r.kind or "—",
                        escape(str(r.achieved if r.achieved is not None else "—"))[:60], str(r.engaged or "—"), str(r.positive or "—"))
    out.print(results)
    out.print(_tr(fr, f"Sources : {len(sheet.sources)} ; documents : {len(sheet.documents)}.",
                  f"Sources: {len(sheet.sources)}; documents: {len(sheet.documents)}."))
    for s in sheet.sources:
        out.print(f"  {escape(f'[{s.id}]')} {escape(s.name or '—')}" + (f" {escape(s.url)}" if s.url else ""), soft_wrap=True)


def render_counts(counts: dict[str, SafeguardCounts], out: Console, language: str) -> None:
    """The registry's safeguard counts: real counterfactual, cap at realised savings, published results."""
    fr = language == "fr"
    table = Table(title=_tr(fr, "Ce que montre le registre", "What the registry shows"))
    for col in ("", _tr(fr, "Contrats", "Contracts"), _tr(fr, "Méthode connue", "Method known"),
                _tr(fr, "Contrefactuel réel", "Real counterfactual"), _tr(fr, "Plafond aux économies réalisées", "Capped at realised savings"),
                _tr(fr, "Résultats publiés", "Published results")):
        table.add_column(col)
    names = {"all": _tr(fr, "Tout le registre", "Whole registry"), "temoin": "Témoin", "indigo": "INDIGO"}
    for key, c in counts.items():
        cap = "—" if not c.cap_known else f"{c.capped_at_savings}/{c.cap_known}"
        table.add_row(names.get(key, key), str(c.entries), str(c.validation_known), f"{c.real_counterfactual}/{c.validation_known}",
                      cap + ("" if c.cap_known == c.entries else _tr(fr, f" ({c.entries - c.cap_known} non renseigné(s))",
                                                                      f" ({c.entries - c.cap_known} not recorded)")),
                      f"{c.published_results}/{c.results_known}")
    out.print(table)


def render_comparison(cmp: Comparison, contract: str, out: Console, language: str) -> None:
    fr = language == "fr"
    words = Translator(language)
    group = words.label(cmp.peer_group)
    table = Table(title=_tr(fr, f"« {contract} » face à ses pairs : {group} ({len(cmp.peers)})",
                            f"'{contract}' against its peers: {group} ({len(cmp.peers)})"))
    for col in (_tr(fr, "Terme", "Term"), _tr(fr, "Ce contrat", "This contract"), _tr(fr, "Médiane", "Median"), "Min", "Max",
                _tr(fr, "Part en dessous", "Share below"), "n", _tr(fr, "Exclus", "Excluded")):
        table.add_column(col)

    def fmt(x: float | None) -> str:
        return "—" if x is None else words.number(x, 2)

    for m in cmp.metrics:
        table.add_row(f"{words.label('observatory_metric', m.key)} ({words.label('unit', m.unit)})", fmt(m.value), fmt(m.median),
                      fmt(m.minimum), fmt(m.maximum), "—" if m.share_below is None else words.share(m.share_below, 0),
                      str(m.n), str(m.excluded))
    out.print(table)
    if cmp.group_sizes.get("sector_country", 0) == 0:
        out.print(_tr(fr, f"Aucun autre contrat du même secteur ({cmp.sector or '?'}) et du même pays ({cmp.country or '?'}) : "
                          "comparaison élargie.",
                      f"No other contract of the same sector ({cmp.sector or '?'}) and country ({cmp.country or '?'}): "
                      "comparison widened."))
    designs = ", ".join(f"{k}: {v}" for k, v in cmp.designs.items()) or "—"
    out.print(_tr(fr, f"Méthodes de validation dans le registre : {designs} ; inconnues : {cmp.designs_unknown}. "
                      f"Avec un vrai contrefactuel : {cmp.with_real_counterfactual}/{cmp.registry_size}.",
                  f"Validation methods in the registry: {designs}; unknown: {cmp.designs_unknown}. "
                  f"With a real counterfactual: {cmp.with_real_counterfactual}/{cmp.registry_size}."))
    out.print(_tr(fr, f"Paiements plafonnés aux économies réalisées : {cmp.capped_at_savings} (non renseigné : "
                      f"{cmp.cap_at_savings_unknown}) ; résultats publiés : {cmp.published_results}/{cmp.registry_size}.",
                  f"Payments capped at realised savings: {cmp.capped_at_savings} (not recorded: {cmp.cap_at_savings_unknown}); "
                  f"published results: {cmp.published_results}/{cmp.registry_size}."))
    out.print(_tr(fr, f"Ce contrat : {cmp.contract_design} ; paiements plafonnés aux économies réalisées : "
                      f"{'oui' if cmp.contract_capped_at_savings else 'non'}.",
                  f"This contract: {cmp.contract_design}; payments capped at realised savings: "
                  f"{'yes' if cmp.contract_capped_at_savings else 'no'}."))

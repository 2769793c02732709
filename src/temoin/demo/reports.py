"""The reports part of ``make demo``: the child-protection example's transparency reports (internal
and public PDF, public HTML), written beside the demo database."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.reports.report import render_html, render_pdf
from temoin.services.reports import build_report
from temoin.settings import Settings

CONTRACT = "aemo-renforcee"


def show(engine: Engine, console: Console, settings: Settings) -> None:
    fr = settings.language == "fr"
    console.print(Rule("Rapports de transparence — AEMO renforcée" if fr else "Transparency reports — AEMO renforcée"))
    database = engine.url.database
    folder = (Path(database).parent if database and database != ":memory:" else Path(".demo")) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    lang = settings.language
    internal = build_report(engine, CONTRACT, settings=settings, lang=lang)
    public = build_report(engine, CONTRACT, settings=settings, lang=lang, public=True)
    files = {
        folder / f"{CONTRACT}-interne.pdf": render_pdf(internal),
        folder / f"{CONTRACT}-public.pdf": render_pdf(public),
    }
    for path, pdf in files.items():
        path.write_bytes(pdf)
    html_path = folder / f"{CONTRACT}-public.html"
    html_path.write_text(render_html(public), encoding="utf-8")
    for path in [*files, html_path]:
        console.print(f"  {path}  ({path.stat().st_size // 1024} Ko)" if fr else f"  {path}  ({path.stat().st_size // 1024} KB)")
    shown = ", ".join(sorted(internal.charts))
    console.print(("Graphiques SVG : " if fr else "SVG charts: ") + shown)
    for a in internal.absent:
        console.print(f"  [yellow]{a['section']}[/] : {a['reason']}")
    console.print(f"Version publique : {public.hidden_counts} effectif(s) masqué(s) (seuil {public.threshold})."
                  if fr else f"Public version: {public.hidden_counts} count(s) suppressed (threshold {public.threshold}).")
    console.print(("Tête du journal d'audit imprimée dans chaque page : " if fr else "Audit-ledger head printed on every page: ")
                  + str(internal.ledger["head"]))
    console.print("  temoin report aemo-renforcee --format pdf --public -o rapport.pdf")

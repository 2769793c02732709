"""The reports part of ``make demo``: the child-protection example's transparency reports (internal
and public PDF, public HTML), written beside the demo database."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from sqlalchemy import Engine

from temoin.i18n import Translator
from temoin.reports.report import render_html, render_pdf
from temoin.services.reports import build_report
from temoin.settings import Settings

CONTRACT = "aemo-renforcee"


def show(engine: Engine, console: Console, settings: Settings, reader: Translator | None = None) -> None:
    t = reader or Translator(settings.language)
    console.print(Rule(t("Transparency reports — {contract}", contract=CONTRACT)))
    database = engine.url.database
    folder = (Path(database).parent if database and database != ":memory:" else Path(".demo")) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    internal = build_report(engine, CONTRACT, settings=settings, lang=t.lang)
    public = build_report(engine, CONTRACT, settings=settings, lang=t.lang, public=True)
    files = {
        folder / f"{CONTRACT}-interne.pdf": render_pdf(internal),
        folder / f"{CONTRACT}-public.pdf": render_pdf(public),
    }
    for path, pdf in files.items():
        path.write_bytes(pdf)
    html_path = folder / f"{CONTRACT}-public.html"
    html_path.write_text(render_html(public), encoding="utf-8")
    for path in [*files, html_path]:
        console.print("  " + t("{path} ({size} KB)", path=str(path), size=path.stat().st_size // 1024))
    console.print(t("{n} SVG charts in the internal report.", n=len(internal.charts)))
    for a in internal.absent:
        console.print(f"  [yellow]{escape(str(a['section']))}[/] : {escape(str(a['reason']))}")
    console.print(t("Public version: {n} count(s) suppressed (threshold {threshold}).", n=public.hidden_counts,
                    threshold=public.threshold))
    console.print(t("Audit-ledger head printed on every page: {head}", head=str(internal.ledger["head"])))
    console.print("  temoin report aemo-renforcee --format pdf --public -o rapport.pdf")

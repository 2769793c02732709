"""Report services: write a contract's transparency report to a file; the reports part of ``make demo``.

Reports only read: they change no state and so write no audit entry; each printed report carries
the audit-ledger head it was made at, so a reader can check later that nothing changed since.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from temoin.errors import InvalidInputError

__all__ = ["demo", "write_report"]


def write_report(engine: Engine, contract_id: str, path: str | Path, *, fmt: str = "pdf", lang: str = "fr",
                 public: bool = False, period: str | None = None) -> Path:
    """Build the report and write it as ``fmt`` ("html" or "pdf") to ``path``."""
    from temoin.reports.report import build_report, render_html, render_pdf

    if fmt not in ("html", "pdf"):
        raise InvalidInputError("report.format", f"Format inconnu : « {fmt} ».", f"Unknown format: '{fmt}'.",
                                path="format", hint_fr="Choisissez html ou pdf.", hint_en="Choose html or pdf.")
    data = build_report(engine, contract_id, lang=lang, public=public, period=period)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        out.write_text(render_html(data), encoding="utf-8")
    else:
        out.write_bytes(render_pdf(data))
    return out


def demo(engine: Engine, console: Any) -> None:
    """The child-protection example's transparency reports: internal and public PDF, public HTML."""
    from rich.rule import Rule

    from temoin.reports.report import build_report, render_html, render_pdf
    from temoin.settings import get_settings

    contract_id = "aemo-renforcee"
    fr = get_settings().language == "fr"
    console.print(Rule("Rapports de transparence — AEMO renforcée" if fr else "Transparency reports — AEMO renforcée"))
    database = engine.url.database
    folder = (Path(database).parent if database and database != ":memory:" else Path(".demo")) / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    lang = "fr" if fr else "en"
    internal = build_report(engine, contract_id, lang=lang)
    public = build_report(engine, contract_id, lang=lang, public=True)
    files = {
        folder / f"{contract_id}-interne.pdf": render_pdf(internal),
        folder / f"{contract_id}-public.pdf": render_pdf(public),
    }
    for path, pdf in files.items():
        path.write_bytes(pdf)
    html_path = folder / f"{contract_id}-public.html"
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

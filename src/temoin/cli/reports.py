"""``temoin report CONTRACT``: the transparency report as HTML or PDF, in French or English."""


import sys
from pathlib import Path

import typer

from temoin.cli._common import cli_errors, console, engine, lang, settings, t
from temoin.cli._typer import tr
from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command("report", help=tr("A contract's transparency report (HTML or PDF)."))
    def report(
        contract: str = typer.Argument(..., help=tr("Contract id.")),
        fmt: str = typer.Option("html", "--format", "-f", help=tr("html or pdf.")),
        language: str | None = typer.Option(None, "--lang", help=tr("Language of the report: fr or en (default: the command's language).")),
        public: bool = typer.Option(False, "--public", help=tr("Public version: small cells suppressed.")),
        period: str | None = typer.Option(None, "--period", help=tr("Payment period (default: the latest settlement).")),
        output: Path | None = typer.Option(None, "--output", "-o", help=tr("File to write (HTML: standard output by default).")),
    ) -> None:
        with cli_errors():
            if fmt not in ("html", "pdf"):
                raise InvalidInputError("report.format", Msg("Unknown format: '{value}'.", value=fmt),
                                        path="--format", hint=Msg("Choose html or pdf."))
            chosen = language or lang()
            if chosen not in ("fr", "en"):
                raise InvalidInputError("report.lang", Msg("Unknown language: '{value}'.", value=chosen),
                                        path="--lang", hint=Msg("Choose fr or en."))
            from temoin.reports.report import render_html, render_pdf
            from temoin.services.reports import build_report

            data = build_report(engine(), contract, settings=settings(), lang=chosen, public=public, period=period)
            if fmt == "html":
                html = render_html(data)
                if output is None:
                    sys.stdout.write(html)
                    return
                output.write_text(html, encoding="utf-8")
            else:
                if output is None:
                    output = Path(f"{contract}{'-' + period if period else ''}{'-public' if public else ''}.pdf")
                output.write_bytes(render_pdf(data))
            console.print(t("Report written: {path}", path=str(output)))

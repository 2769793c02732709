"""``temoin report CONTRACT``: the transparency report as HTML or PDF, in French or English."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from temoin.cli._common import cli_errors, console, engine, lang, settings
from temoin.errors import InvalidInputError

__all__ = ["register"]


def report(
    contract: Annotated[str, typer.Argument(help="Identifiant du contrat. / Contract id.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="html ou/or pdf.")] = "html",
    language: Annotated[str | None, typer.Option("--lang", help="fr ou/or en (défaut : langue de la commande / default: the command's language).")] = None,
    public: Annotated[bool, typer.Option("--public", help="Version publique : petits effectifs masqués. / Public version: small cells suppressed.")] = False,
    period: Annotated[str | None, typer.Option("--period", help="Période de paiement (défaut : le dernier règlement). / Payment period (default: the latest settlement).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fichier à écrire (HTML : sortie standard par défaut). / File to write (HTML: standard output by default).")] = None,
) -> None:
    """Rapport de transparence d'un contrat (HTML ou PDF). / A contract's transparency report (HTML or PDF)."""
    with cli_errors():
        if fmt not in ("html", "pdf"):
            raise InvalidInputError("report.format", f"Format inconnu : « {fmt} ».", f"Unknown format: '{fmt}'.",
                                    path="--format", hint_fr="Choisissez html ou pdf.", hint_en="Choose html or pdf.")
        chosen = language or lang()
        if chosen not in ("fr", "en"):
            raise InvalidInputError("report.lang", f"Langue inconnue : « {chosen} ».", f"Unknown language: '{chosen}'.",
                                    path="--lang", hint_fr="Choisissez fr ou en.", hint_en="Choose fr or en.")
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
        console.print(f"Rapport écrit : {output}" if chosen == "fr" else f"Report written: {output}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)

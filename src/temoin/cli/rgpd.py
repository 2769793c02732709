"""``temoin rgpd``: the data-protection file (``registre``), retention periods applied (``conservation``),
a consent withdrawal (``retrait``) and an erasure on request (``effacer``)."""


import datetime as dt
import sys
from pathlib import Path

import typer

from temoin.cli._common import cli_errors, console, engine, lang, settings, t, words
from temoin.cli._typer import TemoinTyper, tr
from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["register"]


def _day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("cli.date", Msg("Unreadable date: '{value}'.", value=value), path=option,
                                hint=Msg("Write YYYY-MM-DD.")) from None


def register(app: typer.Typer) -> None:
    sub = TemoinTyper(help=tr("Data protection: record of processing, retention, withdrawals, erasure."),
                      no_args_is_help=True)
    app.add_typer(sub, name="rgpd")

    @sub.command("registre", help=tr("The record of processing and the pre-filled impact assessment (HTML or PDF)."))
    def registre(
        contract: str = typer.Argument(..., help=tr("Contract id.")),
        fmt: str = typer.Option("html", "--format", "-f", help=tr("html or pdf.")),
        output: Path | None = typer.Option(None, "--output", "-o", help=tr("File to write (HTML: standard output by default).")),
    ) -> None:
        with cli_errors():
            if fmt not in ("html", "pdf"):
                raise InvalidInputError("report.format", Msg("Unknown format: '{value}'.", value=fmt),
                                        path="--format", hint=Msg("Choose html or pdf."))
            from temoin.reports.rgpd import register_html, register_pdf
            from temoin.services.registre import processing_record

            data = processing_record(engine(), contract, settings=settings())
            if fmt == "html":
                html = register_html(data, lang())
                if output is None:
                    sys.stdout.write(html)
                    return
                output.write_text(html, encoding="utf-8")
            else:
                output = output or Path(f"{contract}-registre.pdf")
                output.write_bytes(register_pdf(data, lang()))
            console.print(t("Report written: {path}", path=str(output)))

    @sub.command("conservation", help=tr("Apply the contract's retention periods: erase what has reached its end."))
    def conservation(contract: str = typer.Argument(..., help=tr("Contract id.")),
                     as_of: str | None = typer.Option(None, "--as-of", help=tr("Date (YYYY-MM-DD; today)."))) -> None:
        with cli_errors():
            from temoin.services.erasure import apply_retention

            done = apply_retention(engine(), contract, as_of=_day(as_of, "--as-of"), actor="cli")
            if not done:
                console.print(t("The contract declares no retention period."))
            for d in done:
                console.print(t("{what}: kept until {date}; {state}", what=words().label("retention_kind", d.kind), date=d.ends_on,
                                state=t("erased ({n} row(s))", n=sum(d.erased.rows.values())) if d.erased else
                                t("{n} to review", n=d.to_review) if d.to_review else
                                t("ended") if d.ended else t("still running")))

    @sub.command("retrait", help=tr("Record a participant's consent withdrawal."))
    def retrait(contract: str = typer.Argument(..., help=tr("Contract id.")),
                identifier: str = typer.Option(..., "--id", help=tr("The person's case number.")),
                on: str = typer.Option(..., "--date", help=tr("Date of the withdrawal (YYYY-MM-DD)."))) -> None:
        with cli_errors():
            from temoin.services.rights import record_withdrawal

            done = record_withdrawal(engine(), contract, identifier, _day(on, "--date") or dt.date.today(),
                                     settings=settings(), actor="cli")
            console.print(t("Withdrawal recorded on {date}: no outcome will be collected for this person, and research "
                            "extracts leave them out.", date=done.withdrawn_on))

    @sub.command("effacer", help=tr("Erase a person's data from every table, at their request."))
    def effacer(contract: str = typer.Argument(..., help=tr("Contract id.")),
                identifier: str = typer.Option(..., "--id", help=tr("The person's case number.")),
                objection: bool = typer.Option(False, "--objection", help=tr("Under an objection rather than an erasure request."))) -> None:
        with cli_errors():
            from temoin.contract.data_protection import ErasureRule
            from temoin.services.erasure import erase_person

            rule = ErasureRule.OBJECTION if objection else ErasureRule.ERASURE_REQUEST
            done = erase_person(engine(), contract, identifier, rule=rule, settings=settings(), actor="cli")
            console.print(t("Erased: {n} row(s), ledger entry {seq}.", n=sum(done.rows.values()), seq=done.ledger_seq))

"""``temoin cohort schedule``, ``temoin cohort batches``: rolling enrolment's batches and each wave's schedule."""


import datetime as dt

import typer

from temoin.cli._common import console, engine, handle_errors, print_json, words
from temoin.cli._typer import tr
from temoin.errors import InvalidInputError
from temoin.messages import Msg


def as_of_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    """``--as-of`` (or the ``option`` named) as a date (None: not given)."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("cli.as_of", Msg("Unreadable date: '{value}'.", value=value), path=option,
                                hint=Msg("Write YYYY-MM-DD.")) from None


def register(cohort: typer.Typer) -> None:
    @cohort.command("schedule", help=tr("Each wave on a date: measured, due, overdue, not yet due (each person on their "
                                        "own clock)."))
    @handle_errors
    def cohort_schedule(contract: str, as_of: str = typer.Option(None, "--as-of", help=tr("Date (YYYY-MM-DD; today).")),
                        as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.cli.enrolment_view import schedule_table
        from temoin.services.enrolment import cohort_schedule

        counts = cohort_schedule(engine(), contract, as_of=as_of_date(as_of))
        if as_json:
            print_json([c.to_dict() for c in counts])
            return
        console.print(schedule_table(words(), counts))

    @cohort.command("batches", help=tr("Rolling enrolment: the batches randomised, who waits for the next, and the "
                                       "cohort flow."))
    @handle_errors
    def cohort_batches(contract: str, as_of: str = typer.Option(None, "--as-of", help=tr("Date of the flow (YYYY-MM-DD; today).")),
                       replay: bool = typer.Option(False, "--replay", help=tr("Draw every batch again and compare.")),
                       as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.cli.enrolment_view import batches_table, flow_lines
        from temoin.services.enrolment import batches, replay_batches, rolling_flow
        from temoin.store import session_scope

        eng = engine()
        flow = rolling_flow(eng, contract, as_of=as_of_date(as_of))
        with session_scope(eng) as s:
            listed = batches(s, contract)
        check = replay_batches(eng, contract) if replay else None
        if as_json:
            print_json({"batches": [b.to_dict() for b in listed], "flow": flow.to_dict(),
                        "replay": None if check is None else {"batches": check.batches, "reproduced": check.reproduced,
                                                              "differing": list(check.differing), "erased": check.erased}})
            return
        reader = words()
        console.print(batches_table(reader, listed))
        for line in flow_lines(reader, flow):
            console.print(line)
        if check is not None:
            console.print(reader("Replay: {n} assignment(s) of {batches} batch(es) reproduced exactly.", n=check.reproduced,
                                batches=check.batches) if check.ok else
                          reader("Replay: {n} assignment(s) differ from their batch's draw.", n=len(check.differing)))
            if check.erased:
                console.print(reader("Replay: {n} place(s) of people erased since were drawn again, with no one left to "
                                     "compare (the people drawn after them are reproduced).", n=check.erased))
            if not check.ok:
                raise typer.Exit(1)

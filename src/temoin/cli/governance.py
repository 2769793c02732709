"""``temoin call``, ``temoin role``, ``temoin audit`` and ``temoin budget``: governance commands."""


import getpass
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from temoin.cli._common import (
    console,
    engine,
    err_console,
    handle_errors,
    lang,
    print_json,
    t,
    words,
)
from temoin.cli._typer import TemoinTyper, tr
from temoin.messages import Msg


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def _actor_option() -> Any:
    return typer.Option(None, "--actor", help=tr("Who acts (audit ledger)."))


def _json_option() -> Any:
    return typer.Option(False, "--json", help=tr("As JSON."))


def _parse_scores(pairs: list[str]) -> dict[str, Decimal]:
    from temoin.errors import InvalidInputError
    from temoin.money import to_decimal

    out: dict[str, Decimal] = {}
    for p in pairs:
        if "=" not in p:
            raise InvalidInputError("call.score_syntax", Msg("'{pair}': write criterion=score.", pair=p),
                                    path="--score", hint=Msg("For example --score needs=8."))
        k, v = p.split("=", 1)
        out[k.strip()] = to_decimal(v.strip(), path=f"--score {k.strip()}")
    return out


def register(app: typer.Typer) -> None:
    _register_calls(app)
    _register_roles(app)
    _register_audit(app)
    _register_budget(app)


def _register_calls(app: typer.Typer) -> None:
    sub = TemoinTyper(help=tr("Calls for projects: criteria, committee, declarations, scores, decision."),
                      no_args_is_help=True)
    app.add_typer(sub, name="call")

    @sub.command("create", help=tr('Create a call from a YAML file (criteria with weights, committee and its composition rule).'))
    @handle_errors
    def create(file: Path, actor: str | None = _actor_option()) -> None:
        from temoin.services.governance import create_call

        call = create_call(engine(), file, actor=actor or _actor())
        console.print(t("Call '{call}' created: {criteria} criterion(s), committee of {members}.", call=call.id,
                        criteria=len(call.criteria), members=len(call.committee)))

    @sub.command("list", help=tr('List the calls for projects.'))
    @handle_errors
    def list_(as_json: bool = _json_option()) -> None:
        from temoin.services.governance import list_calls

        rows = list_calls(engine())
        if as_json:
            print_json(rows)
            return
        reader = words()
        for r in rows:
            console.print(f"{r['id']}  {reader.label('call_status', str(r['status']))}  {r['contract'] or '—'}  "
                          f"{escape(r['title'][reader.lang])}")

    @sub.command("apply", help=tr('Add an application to an open call.'))
    @handle_errors
    def apply(call: str, application: str = typer.Option(..., "--id", help=tr("Application id.")),
              organisation: str = typer.Option(..., "--org", help=tr("Applicant organisation id.")),
              title: str = typer.Option(..., "--title"), actor: str | None = _actor_option()) -> None:
        from temoin.governance.selection import Application
        from temoin.services.governance import apply_to_call

        apply_to_call(engine(), call, Application(application, organisation, title), actor=actor or _actor())
        console.print(t("Application '{application}' recorded.", application=application))

    @sub.command("declare", help=tr("Record a member's conflict-of-interest declaration for one application (--none or --conflict TEXT)."))
    @handle_errors
    def declare(call: str, member: str = typer.Option(..., "--member", help=tr("Committee member (name as on the call).")),
                application: str = typer.Option(..., "--application"),
                conflict: str | None = typer.Option(None, "--conflict", help=tr("Nature of the conflict of interest, if any.")),
                none: bool = typer.Option(False, "--none", help=tr("Declare no conflict of interest.")),
                actor: str | None = _actor_option()) -> None:
        from temoin.errors import InvalidInputError
        from temoin.governance.selection import Declaration
        from temoin.services.governance import call_record, declare_interests

        if none == (conflict is not None):
            raise InvalidInputError("call.declare_syntax", Msg("Give either --none or --conflict 'nature'."), path="--conflict")
        eng = engine()
        voided = declare_interests(eng, call, Declaration(member, application, conflict is not None, conflict or ""),
                                   actor=actor or member)
        rec = call_record(eng, call)
        recused = any(r["person"] == member and r["application"] == application for r in rec.get("recusals", []))
        console.print(t("Declaration by {member} for '{application}' recorded.", member=member, application=application))
        if conflict is not None or recused:
            console.print(t("{member} is recused from '{application}' and will not score it.", member=member, application=application))
        if voided:
            console.print(t("{n} score(s) voided.", n=len(voided)))

    @sub.command("score", help=tr("Record a member's scores for one application (all criteria given are accepted, or none)."))
    @handle_errors
    def score(call: str, member: str = typer.Option(..., "--member"),
              application: str = typer.Option(..., "--application"),
              scores: list[str] = typer.Option(..., "--score", help=tr("criterion=value, repeatable.")),
              actor: str | None = _actor_option()) -> None:
        from temoin.services.governance import record_scores

        record_scores(engine(), call, member, application, _parse_scores(scores), actor=actor or member)
        console.print(t("{n} score(s) by {member} recorded.", n=len(scores), member=member))

    @sub.command("decide", help=tr("Record the decision with its reasons; the call's record then becomes public."))
    @handle_errors
    def decide(call: str,
               reasons_fr: str = typer.Option(..., "--reasons-fr", help=tr("Reasons for the decision, in French.")),
               select: list[str] | None = typer.Option(None, "--select", help=tr("Selected application (repeatable).")),
               reasons_en: str = typer.Option("", "--reasons-en", help=tr("Reasons (default: the French text).")),
               actor: str | None = _actor_option()) -> None:
        from temoin.cli.governance_view import print_call_record
        from temoin.services.governance import decide_call

        rec = decide_call(engine(), call, select or [], reasons_fr, reasons_en, actor=actor or _actor())
        print_call_record(console, rec, words())

    @sub.command("show", help=tr('Show a call: its full public record once decided (exit 1 if it no longer matches the ledger), its progress while open.'))
    @handle_errors
    def show(call: str, as_json: bool = _json_option()) -> None:
        from temoin.cli.governance_view import print_call_record
        from temoin.services.governance import call_record

        rec = call_record(engine(), call)
        if as_json:
            print_json(rec)
        else:
            print_call_record(console, rec, words())
        if rec.get("integrity", {}).get("matches_ledger") is False:
            raise typer.Exit(1)  # the decided record was altered after the decision


def _register_roles(app: typer.Typer) -> None:
    sub = TemoinTyper(help=tr("People and roles per contract."), no_args_is_help=True)
    app.add_typer(sub, name="role")

    @sub.command("assign", help=tr('Give a person a role in a contract.'))
    @handle_errors
    def assign(contract: str, person: str, role: str = typer.Option(..., "--role"),
               organisation: str = typer.Option(..., "--org", help=tr("Organisation (party id) the person acts for.")),
               name: str | None = typer.Option(None, "--name", help=tr("Full name (first time).")), actor: str | None = _actor_option()) -> None:
        from temoin.services.governance import assign_role

        assign_role(engine(), contract, person, organisation, role, actor=actor or _actor(), name=name)
        console.print(t("{person}: {role} in {contract}.", person=person, role=words().label('role', role), contract=contract))

    @sub.command("revoke", help=tr("End a person's role in a contract (the history stays)."))
    @handle_errors
    def revoke(contract: str, person: str, role: str = typer.Option(..., "--role"), actor: str | None = _actor_option()) -> None:
        from temoin.services.governance import revoke_role

        revoke_role(engine(), contract, person, role, actor=actor or _actor())
        console.print(t("Role {role} of {person} ended in {contract}.", role=words().label('role', role), person=person,
                        contract=contract))

    @sub.command("list", help=tr('List roles, by contract or by person.'))
    @handle_errors
    def list_(contract: str | None = typer.Option(None, "--contract"), person: str | None = typer.Option(None, "--person"),
              history: bool = typer.Option(False, "--history", help=tr("Include ended roles.")),
              as_json: bool = _json_option()) -> None:
        from temoin.services.governance import list_roles

        rows = list_roles(engine(), contract_id=contract, person=person, include_revoked=history)
        if as_json:
            print_json(rows)
            return
        reader = words()
        for r in rows:
            ended = " " + t("(ended)") if r["revoked_at"] else ""
            console.print(f"{r['contract']}  {r['person']}  {reader.label('role', str(r['role']))}  {r['organisation']}{ended}")


def _register_audit(app: typer.Typer) -> None:
    sub = TemoinTyper(help=tr("Hash-chained audit ledger."), no_args_is_help=True)
    app.add_typer(sub, name="audit")

    @sub.command("verify", help=tr('Check the whole chain, then every stored record the ledger vouches for (contract versions, participants, outcomes, assignment, plan, evaluation results, settlements, sign-offs); name the first altered, deleted or reordered entry and the first record that differs (exit 1).'))
    @handle_errors
    def verify(as_json: bool = _json_option()) -> None:
        from temoin.cli.governance_view import print_audit_status
        from temoin.i18n import Translator
        from temoin.services.governance import verify_audit

        status = verify_audit(engine())
        chain = status.chain
        words = Translator(lang())
        if as_json:
            first = status.first_problem
            print_json({"whole": status.whole, "chain_whole": chain.whole, "entries": chain.entries, "head": chain.head,
                        "first_bad_seq": chain.first_bad_seq, "problem": chain.problem,
                        "records_checked": status.records_checked, "records_counted_only": status.counted_only,
                        "first_record": {**first.to_dict(), "message": words.render(first.describe())} if first else None,
                        "records": [{**p.to_dict(), "message": words.render(p.describe())} for p in status.problems],
                        "message": "\n".join(words.render(m) for m in status.describe())})
        else:
            print_audit_status(console, status, words)
        if not status.whole:
            raise typer.Exit(1)

    @sub.command("head", help=tr('Print the head hash, to publish elsewhere (exit 1 if the chain is broken).'))
    @handle_errors
    def head() -> None:
        from temoin.services.governance import verify_ledger

        status = verify_ledger(engine())
        if not status.whole:
            from temoin.i18n import Translator

            err_console.print(Translator(lang()).render(status.describe()))
            raise typer.Exit(1)
        typer.echo(status.head)


def _register_budget(app: typer.Typer) -> None:
    sub = TemoinTyper(help=tr("Budget watch: displacement of mandatory spending."), no_args_is_help=True)
    app.add_typer(sub, name="budget")

    @sub.command("import", help=tr("Import the payer's budget lines by year from a CSV (all rows checked first; nothing half-written)."))
    @handle_errors
    def import_(file: Path, actor: str | None = _actor_option()) -> None:
        from temoin.services.governance import import_budget

        s = import_budget(engine(), file, actor=actor or _actor())
        console.print(t("{rows} row(s) imported ({added} new, {replaced} replaced), {first}–{last}, payer(s) {payers}.", rows=s["rows"],
                        added=s["added"], replaced=s["replaced"], first=str(s["years"][0]), last=str(s["years"][1]),
                        payers=", ".join(s["payers"])))

    @sub.command("check", help=tr('Flag mandatory lines falling in real terms while the CIS money rises; CIS share of the budget.'))
    @handle_errors
    def check(contract: str, as_json: bool = _json_option()) -> None:
        from temoin.cli.governance_view import print_budget_watch
        from temoin.services.governance import check_budget

        watch = check_budget(engine(), contract)
        if as_json:
            from temoin.i18n import Translator
            from temoin.reports.notices import rendered_watch

            print_json(rendered_watch(Translator(lang()), watch.to_dict(lang())))
        else:
            print_budget_watch(console, watch, words())

"""``temoin call``, ``temoin role``, ``temoin audit`` and ``temoin budget``: governance commands."""

from __future__ import annotations

import getpass
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from temoin.cli._common import console, engine, err_console, handle_errors, lang, print_json, t


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


Actor = Annotated[str | None, typer.Option("--actor", help="Qui agit (journal d'audit) / who acts (audit ledger).")]
AsJson = Annotated[bool, typer.Option("--json", help="JSON output.")]


def _parse_scores(pairs: list[str]) -> dict[str, Decimal]:
    from temoin.errors import InvalidInputError
    from temoin.money import to_decimal

    out: dict[str, Decimal] = {}
    for p in pairs:
        if "=" not in p:
            raise InvalidInputError("call.score_syntax", f"« {p} » : écrivez critère=note.", f"'{p}': write criterion=score.",
                                    path="--score", hint_fr="Par exemple --score besoins=8.",
                                    hint_en="For example --score needs=8.")
        k, v = p.split("=", 1)
        out[k.strip()] = to_decimal(v.strip(), path=f"--score {k.strip()}")
    return out


def register(app: typer.Typer) -> None:
    _register_calls(app)
    _register_roles(app)
    _register_audit(app)
    _register_budget(app)


def _register_calls(app: typer.Typer) -> None:
    sub = typer.Typer(help="Appels à projets : critères, comité, déclarations, notes, décision. / Calls for projects.",
                      no_args_is_help=True)
    app.add_typer(sub, name="call")

    @sub.command("create")
    @handle_errors
    def create(file: Path, actor: Actor = None) -> None:
        """Create a call from a YAML file (criteria with weights, committee and its composition rule)."""
        from temoin.services.governance import create_call

        call = create_call(engine(), file, actor=actor or _actor())
        console.print(t(f"Appel « {call.id} » créé : {len(call.criteria)} critère(s), comité de {len(call.committee)}.",
                        f"Call '{call.id}' created: {len(call.criteria)} criterion(s), committee of {len(call.committee)}."))

    @sub.command("list")
    @handle_errors
    def list_(as_json: AsJson = False) -> None:
        """List the calls for projects."""
        from temoin.services.governance import list_calls

        rows = list_calls(engine())
        if as_json:
            print_json(rows)
            return
        for r in rows:
            console.print(f"{r['id']}  {r['status']}  {r['contract'] or '—'}  {r['title'][lang()]}")

    @sub.command("apply")
    @handle_errors
    def apply(call: str, application: Annotated[str, typer.Option("--id", help="Application id.")],
              organisation: Annotated[str, typer.Option("--org", help="Applicant organisation id.")],
              title: Annotated[str, typer.Option("--title")], actor: Actor = None) -> None:
        """Add an application to an open call."""
        from temoin.governance.selection import Application
        from temoin.services.governance import apply_to_call

        apply_to_call(engine(), call, Application(application, organisation, title), actor=actor or _actor())
        console.print(t(f"Candidature « {application} » enregistrée.", f"Application '{application}' recorded."))

    @sub.command("declare")
    @handle_errors
    def declare(call: str, member: Annotated[str, typer.Option("--member", help="Committee member (name as on the call).")],
                application: Annotated[str, typer.Option("--application")],
                conflict: Annotated[str | None, typer.Option("--conflict", help="Nature of the conflict of interest, if any.")] = None,
                none: Annotated[bool, typer.Option("--none", help="Declare no conflict of interest.")] = False,
                actor: Actor = None) -> None:
        """Record a member's conflict-of-interest declaration for one application (--none or --conflict TEXT)."""
        from temoin.errors import InvalidInputError
        from temoin.governance.selection import Declaration
        from temoin.services.governance import call_record, declare_interests

        if none == (conflict is not None):
            raise InvalidInputError("call.declare_syntax", "Indiquez soit --none, soit --conflict « nature ».",
                                    "Give either --none or --conflict 'nature'.", path="--conflict")
        eng = engine()
        voided = declare_interests(eng, call, Declaration(member, application, conflict is not None, conflict or ""),
                                   actor=actor or member)
        rec = call_record(eng, call)
        recused = any(r["person"] == member and r["application"] == application for r in rec.get("recusals", []))
        console.print(t(f"Déclaration de {member} pour « {application} » enregistrée.",
                        f"Declaration by {member} for '{application}' recorded."))
        if conflict is not None or recused:
            console.print(t(f"{member} est récusé(e) pour « {application} » et ne la notera pas.",
                            f"{member} is recused from '{application}' and will not score it."))
        if voided:
            console.print(t(f"{len(voided)} note(s) annulée(s).", f"{len(voided)} score(s) voided."))

    @sub.command("score")
    @handle_errors
    def score(call: str, member: Annotated[str, typer.Option("--member")],
              application: Annotated[str, typer.Option("--application")],
              scores: Annotated[list[str], typer.Option("--score", help="criterion=value, repeatable.")],
              actor: Actor = None) -> None:
        """Record a member's scores for one application (all criteria given are accepted, or none)."""
        from temoin.services.governance import record_scores

        record_scores(engine(), call, member, application, _parse_scores(scores), actor=actor or member)
        console.print(t(f"{len(scores)} note(s) de {member} enregistrée(s).", f"{len(scores)} score(s) by {member} recorded."))

    @sub.command("decide")
    @handle_errors
    def decide(call: str,
               reasons_fr: Annotated[str, typer.Option("--reasons-fr", help="Motifs de la décision.")],
               select: Annotated[list[str] | None, typer.Option("--select", help="Selected application (repeatable).")] = None,
               reasons_en: Annotated[str, typer.Option("--reasons-en", help="Reasons (default: the French text).")] = "",
               actor: Actor = None) -> None:
        """Record the decision with its reasons; the call's record then becomes public."""
        from temoin.cli.governance_view import print_call_record
        from temoin.services.governance import decide_call

        rec = decide_call(engine(), call, select or [], reasons_fr, reasons_en, actor=actor or _actor())
        print_call_record(console, rec, lang())

    @sub.command("show")
    @handle_errors
    def show(call: str, as_json: AsJson = False) -> None:
        """Show a call: its full public record once decided (exit 1 if it no longer matches the ledger), its
        progress while open."""
        from temoin.cli.governance_view import print_call_record
        from temoin.services.governance import call_record

        rec = call_record(engine(), call)
        if as_json:
            print_json(rec)
        else:
            print_call_record(console, rec, lang())
        if rec.get("integrity", {}).get("matches_ledger") is False:
            raise typer.Exit(1)  # the decided record was altered after the decision


def _register_roles(app: typer.Typer) -> None:
    sub = typer.Typer(help="Personnes et rôles par contrat. / People and roles per contract.", no_args_is_help=True)
    app.add_typer(sub, name="role")

    @sub.command("assign")
    @handle_errors
    def assign(contract: str, person: str, role: Annotated[str, typer.Option("--role")],
               organisation: Annotated[str, typer.Option("--org", help="Organisation (party id) the person acts for.")],
               name: Annotated[str | None, typer.Option("--name", help="Full name (first time).")] = None, actor: Actor = None) -> None:
        """Give a person a role in a contract."""
        from temoin.services.governance import assign_role

        assign_role(engine(), contract, person, organisation, role, actor=actor or _actor(), name=name)
        console.print(t(f"{person} : {role} dans {contract}.", f"{person}: {role} in {contract}."))

    @sub.command("revoke")
    @handle_errors
    def revoke(contract: str, person: str, role: Annotated[str, typer.Option("--role")], actor: Actor = None) -> None:
        """End a person's role in a contract (the history stays)."""
        from temoin.services.governance import revoke_role

        revoke_role(engine(), contract, person, role, actor=actor or _actor())
        console.print(t(f"Rôle {role} de {person} retiré dans {contract}.", f"Role {role} of {person} ended in {contract}."))

    @sub.command("list")
    @handle_errors
    def list_(contract: Annotated[str | None, typer.Option("--contract")] = None, person: Annotated[str | None, typer.Option("--person")] = None,
              history: Annotated[bool, typer.Option("--history", help="Include ended roles.")] = False,
              as_json: AsJson = False) -> None:
        """List roles, by contract or by person."""
        from temoin.services.governance import list_roles

        rows = list_roles(engine(), contract_id=contract, person=person, include_revoked=history)
        if as_json:
            print_json(rows)
            return
        for r in rows:
            ended = t(" (terminé)", " (ended)") if r["revoked_at"] else ""
            console.print(f"{r['contract']}  {r['person']}  {r['role']}  {r['organisation']}{ended}")


def _register_audit(app: typer.Typer) -> None:
    sub = typer.Typer(help="Journal d'audit chaîné. / Hash-chained audit ledger.", no_args_is_help=True)
    app.add_typer(sub, name="audit")

    @sub.command("verify")
    @handle_errors
    def verify(as_json: AsJson = False) -> None:
        """Check the whole chain, then every stored record the ledger vouches for (contract versions,
        participants, outcomes, assignment, plan, evaluation results, settlements, sign-offs); name
        the first altered, deleted or reordered entry and the first record that differs (exit 1)."""
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
            print_audit_status(console, status, lang())
        if not status.whole:
            raise typer.Exit(1)

    @sub.command("head")
    @handle_errors
    def head() -> None:
        """Print the head hash, to publish elsewhere (exit 1 if the chain is broken)."""
        from temoin.services.governance import verify_ledger

        status = verify_ledger(engine())
        if not status.whole:
            from temoin.i18n import Translator

            err_console.print(Translator(lang()).render(status.describe()))
            raise typer.Exit(1)
        typer.echo(status.head)


def _register_budget(app: typer.Typer) -> None:
    sub = typer.Typer(help="Veille budgétaire : éviction des dépenses obligatoires. / Budget watch.",
                      no_args_is_help=True)
    app.add_typer(sub, name="budget")

    @sub.command("import")
    @handle_errors
    def import_(file: Path, actor: Actor = None) -> None:
        """Import the payer's budget lines by year from a CSV (all rows checked first; nothing half-written)."""
        from temoin.services.governance import import_budget

        s = import_budget(engine(), file, actor=actor or _actor())
        console.print(t(f"{s['rows']} ligne(s) importée(s) ({s['added']} nouvelle(s), {s['replaced']} remplacée(s)), "
                        f"{s['years'][0]}–{s['years'][1]}, payeur(s) {', '.join(s['payers'])}.",
                        f"{s['rows']} row(s) imported ({s['added']} new, {s['replaced']} replaced), "
                        f"{s['years'][0]}–{s['years'][1]}, payer(s) {', '.join(s['payers'])}."))

    @sub.command("check")
    @handle_errors
    def check(contract: str, as_json: AsJson = False) -> None:
        """Flag mandatory lines falling in real terms while the CIS money rises; CIS share of the budget."""
        from temoin.cli.governance_view import print_budget_watch
        from temoin.services.governance import check_budget

        watch = check_budget(engine(), contract)
        if as_json:
            from temoin.i18n import Translator
            from temoin.reports.notices import rendered_watch

            print_json(rendered_watch(Translator(lang()), watch.to_dict(lang())))
        else:
            print_budget_watch(console, watch, lang())

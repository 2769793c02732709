"""``temoin settle``, ``temoin simulate`` and ``temoin settlement list|show|approve|supersede``."""


import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from temoin.cli._common import console, engine, handle_errors, print_json, t, words
from temoin.cli._typer import TemoinTyper, tr
from temoin.errors import InvalidInputError
from temoin.messages import Msg


def _read_data(path: Path, key: str) -> list[dict[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError("settlement.file", Msg("Unreadable file: {path} ({reason}).", path=str(path), reason=str(exc)),
                                path=str(path)) from None
    if isinstance(data, dict):
        data = data.get(key, [])
    if not isinstance(data, list):
        raise InvalidInputError("settlement.file", Msg("{path}: a list of {key} is expected.", path=str(path), key=key), path=str(path))
    return data


def _contract_file(contract: str) -> Path | None:
    """The argument as a contract file (a YAML or JSON path, or an existing file), else None (a stored id)."""
    path = Path(contract)
    return path if path.suffix in (".yaml", ".yml", ".json") or path.exists() else None


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError("settlement.date", Msg("Unreadable date: '{value}'.", value=value),
                                path="--as-of", hint=Msg("Write YYYY-MM-DD.")) from None


def register(app: typer.Typer) -> None:
    @app.command("settle", help=tr("Settle a contract: payments, savings, caps, investors."))
    @handle_errors
    def settle_cmd(
        contract: str = typer.Argument(..., help=tr("Stored contract id, or a YAML file.")),
        as_of: str = typer.Option(None, "--as-of", help=tr("Settle the periods due by this date (YYYY-MM-DD).")),
        as_json: bool = typer.Option(False, "--json", help=tr("JSON output.")),
        results: Path = typer.Option(None, "--results", help=tr("Certified results (YAML).")),
        claims: Path = typer.Option(None, "--claims", help=tr("Individual outcomes (rate card).")),
        version: int = typer.Option(None, "--version", help=tr("Contract version.")),
        dry_run: bool = typer.Option(False, "--dry-run", help=tr("Compute without recording.")),
        actor: str = typer.Option("cli", help=tr("Who settles (audit ledger).")),
    ) -> None:
        from temoin.settlement import settle
        from temoin.settlement.inputs import claims_from_data, results_from_data

        when = _date(as_of)
        claim_list = claims_from_data(_read_data(claims, "claims")) if claims else []
        path = _contract_file(contract)
        record_id = None
        if path is not None:
            from temoin.contract import load_contract

            c = load_contract(path)
            if results is None:
                raise InvalidInputError("settlement.results_required", Msg("For a contract file, pass --results."), path="--results")
            s = settle(c, results_from_data(c, version or 1, _read_data(results, "results")), contract_version=version,
                       as_of=when, claims=claim_list)
        else:
            from temoin.services import settlements as svc

            eng = engine()
            res = None
            if results is not None:
                from temoin.services.contracts import get_contract

                stored = get_contract(eng, contract, version)
                res = results_from_data(stored.contract, stored.version, _read_data(results, "results"))
            if dry_run:
                s = svc.compute(eng, contract, as_of=when, version=version, results=res, claims=claim_list)
            else:
                rec, s = svc.run_settlement(eng, contract, actor=actor, as_of=when, version=version, results=res, claims=claim_list)
                record_id = rec.id
        if as_json:
            from temoin.reports.notices import notice_text

            print_json({**s.to_dict(), "settlement_id": record_id,
                        "notices": [{**n.to_dict(), "text": notice_text(words(), n)} for n in s.notices]})
            return
        from temoin.cli.settlement_view import render_settlement

        reader = words()
        if path is not None:
            shown = c
        else:
            from temoin.services.contracts import get_contract

            shown = get_contract(engine(), contract, version).contract
        render_settlement(s, console, reader, {i.id: i.label.get(reader.lang) for i in shown.indicators}, shown)
        if record_id is not None:
            console.print(t("Settlement recorded: #{id}.", id=str(record_id)))
        else:
            console.print(t("Preview: nothing was recorded."))

    @app.command("simulate", help=tr("Monte Carlo risk simulation: the payer's and the investors' risk."))
    @handle_errors
    def simulate_cmd(
        contract: str = typer.Argument(..., help=tr("Stored contract id, or a YAML file.")),
        scenarios: int = typer.Option(100_000, "--scenarios", help=tr("Number of scenarios.")),
        seed: int = typer.Option(2026, "--seed", help=tr("Seed (reproducible).")),
        effect_mean: float = typer.Option(None, "--effect-mean", help=tr("Assumed mean true effect.")),
        effect_sd: float = typer.Option(None, "--effect-sd", help=tr("Uncertainty on the true effect.")),
        as_json: bool = typer.Option(False, "--json", help=tr("JSON output.")),
    ) -> None:
        import dataclasses

        from temoin.settlement import simulate
        from temoin.settlement.risk import default_assumptions

        path = _contract_file(contract)
        if path is not None:
            from temoin.contract import load_contract

            c = load_contract(path)
        else:
            from temoin.services.contracts import get_contract

            c = get_contract(engine(), contract).contract
        a = default_assumptions(c) if effect_mean is None else None
        if effect_mean is not None or effect_sd is not None:
            from temoin.settlement import RiskAssumptions

            base = a or RiskAssumptions(effect_mean=effect_mean, effect_sd=abs(effect_mean) / 2,
                                        attrition_mean=c.evaluation.expected_attrition)
            a = dataclasses.replace(base, **{k: v for k, v in (("effect_mean", effect_mean), ("effect_sd", effect_sd)) if v is not None})
        r = simulate(c, scenarios, seed, a)
        if as_json:
            reader = words()
            print_json({**r.to_dict(), "notes": [{**n.to_dict(), "text": reader.render(n)} for n in r.notes]})
        else:
            from temoin.cli.settlement_view import render_risk

            render_risk(r, console, words(), c)

    sub = TemoinTyper(help=tr("Recorded settlements."), no_args_is_help=True)
    app.add_typer(sub, name="settlement")

    @sub.command("list", help=tr('List settlements (superseded ones too).'))
    @handle_errors
    def list_cmd(contract: str = typer.Argument(None, help=tr("Contract id (default: every contract).")),
                 as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.services.settlements import list_settlements

        recs = list_settlements(engine(), contract)
        if as_json:
            print_json([{k: v for k, v in r.to_dict().items() if k not in ("inputs", "outputs")} for r in recs])
            return
        reader = words()
        table = Table()
        for col in (t("No."), t("contract"), t("version"), t("as of"), t("paid"), t("status"), t("approvals")):
            table.add_column(col)
        for r in recs:
            status = reader.label(r.status) + ("" if r.superseded_by is None else f" → {r.superseded_by}")
            if r.supersedes_id:
                status += " " + t("(replaces no. {id}: {reason})", id=str(r.supersedes_id), reason=r.reason or "—")
            table.add_row(str(r.id), r.contract_id, str(r.contract_version), reader.date(r.as_of) if r.as_of else "—",
                          reader.money(r.total_paid.amount, r.total_paid.currency), escape(status),
                          ", ".join(reader.label("approval_kind", a.kind) for a in r.approvals) or "—")
        console.print(table)

    @sub.command("show", help=tr("Show a recorded settlement: periods, results used, caps, investors, sign-offs."))
    @handle_errors
    def show_cmd(settlement_id: int,
                 as_json: bool = typer.Option(False, "--json", help=tr("The stored record as JSON (for programs)."))) -> None:
        from temoin.services.settlements import get_settlement

        eng = engine()
        rec = get_settlement(eng, settlement_id)
        if as_json:
            print_json(rec.to_dict())
            return
        from temoin.cli.settlement_record_view import render_record
        from temoin.services.contracts import get_contract

        reader = words()
        shown = get_contract(eng, rec.contract_id, rec.contract_version).contract
        render_record(rec, console, reader, {i.id: i.label.get(reader.lang) for i in shown.indicators},
                      {p.id: p.name for p in shown.parties})

    @sub.command("approve", help=tr("Certify, approve or acknowledge a settlement."))
    @handle_errors
    def approve_cmd(
        settlement_id: int,
        kind: str = typer.Option(..., "--kind", help=tr("evaluator_certification (the evaluator certifies), payer_approval (the payer approves) or "
                                                             "observer_acknowledgement (the observer acknowledges).")),
        party: str = typer.Option(..., "--party", help=tr("Contract party.")),
        person: str = typer.Option(..., "--person", help=tr("Person's name.")),
        comment: str = typer.Option(None, "--comment", help=tr("A comment, kept with the approval.")),
        actor: str = typer.Option("cli", help=tr("Who acts (audit ledger).")),
    ) -> None:
        from temoin.services.settlements import approve

        rec = approve(engine(), settlement_id, kind=kind, party_id=party, person=person, actor=actor, comment=comment)
        console.print(t("Settlement #{id}: {kind} recorded.", id=str(rec.id), kind=words().label("approval_kind", kind)))

    @sub.command("supersede", help=tr("Correct a settlement: a new one replaces it, both stay visible."))
    @handle_errors
    def supersede_cmd(
        settlement_id: int,
        reason: str = typer.Option(..., "--reason", help=tr("Why it is corrected.")),
        as_of: str = typer.Option(None, "--as-of", help=tr("Settle the periods due by this date (YYYY-MM-DD).")),
        results: Path = typer.Option(None, "--results", help=tr("Certified results (YAML).")),
        actor: str = typer.Option("cli", help=tr("Who acts (audit ledger).")),
    ) -> None:
        from temoin.services.contracts import get_contract
        from temoin.services.settlements import get_settlement, supersede
        from temoin.settlement.inputs import results_from_data

        eng = engine()
        old = get_settlement(eng, settlement_id)
        res = None
        if results is not None:
            stored = get_contract(eng, old.contract_id)
            res = results_from_data(stored.contract, stored.version, _read_data(results, "results"))
        rec, _ = supersede(eng, settlement_id, reason=reason, actor=actor, as_of=_date(as_of), results=res)
        console.print(t("Settlement #{id} recorded; it supersedes #{old}.", id=str(rec.id), old=str(settlement_id)))

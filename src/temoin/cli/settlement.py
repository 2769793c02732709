"""``temoin settle``, ``temoin simulate`` and ``temoin settlement list|show|approve|supersede``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from temoin.cli._common import console, engine, handle_errors, lang, print_json, t
from temoin.errors import InvalidInputError


def _read_data(path: Path, key: str) -> list[dict[str, Any]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInputError("settlement.file", f"Fichier illisible : {path} ({exc}).", f"Unreadable file: {path} ({exc}).",
                                path=str(path)) from None
    if isinstance(data, dict):
        data = data.get(key, [])
    if not isinstance(data, list):
        raise InvalidInputError("settlement.file", f"{path} : une liste de {key} est attendue.",
                                f"{path}: a list of {key} is expected.", path=str(path))
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
        raise InvalidInputError("settlement.date", f"Date illisible : « {value} ».", f"Unreadable date: '{value}'.",
                                path="--as-of", hint_fr="Écrivez AAAA-MM-JJ.", hint_en="Write YYYY-MM-DD.") from None


def register(app: typer.Typer) -> None:
    @app.command("settle")
    @handle_errors
    def settle_cmd(
        contract: str = typer.Argument(..., help="Identifiant d'un contrat enregistré, ou fichier YAML. / Stored contract id, or a YAML file."),
        as_of: str = typer.Option(None, "--as-of", help="Régler les périodes payables à cette date (AAAA-MM-JJ). / Settle periods due by this date."),
        as_json: bool = typer.Option(False, "--json", help="Sortie JSON. / JSON output."),
        results: Path = typer.Option(None, "--results", help="Résultats certifiés (YAML). / Certified results (YAML)."),
        claims: Path = typer.Option(None, "--claims", help="Résultats individuels (grille tarifaire). / Individual outcomes (rate card)."),
        version: int = typer.Option(None, "--version", help="Version du contrat. / Contract version."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Calculer sans enregistrer. / Compute without recording."),
        actor: str = typer.Option("cli", help="Qui règle (journal d'audit). / Who settles (audit ledger)."),
    ) -> None:
        """Régler un contrat : paiements, économies, plafonds, investisseurs. / Settle a contract."""
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
                raise InvalidInputError("settlement.results_required", "Pour un fichier de contrat, donnez --results.",
                                        "For a contract file, pass --results.", path="--results")
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
            from temoin.i18n import Translator
            from temoin.reports.notices import notice_text

            words = Translator(lang())
            print_json({**s.to_dict(), "settlement_id": record_id,
                        "notices": [{**n.to_dict(), "text": notice_text(words, n)} for n in s.notices]})
            return
        from temoin.cli.settlement_view import render_settlement

        render_settlement(s, console, lang())
        if record_id is not None:
            console.print(t(f"Règlement enregistré : n° {record_id}.", f"Settlement recorded: #{record_id}."))
        else:
            console.print(t("Aperçu : rien n'a été enregistré.", "Preview: nothing was recorded."))

    @app.command("simulate")
    @handle_errors
    def simulate_cmd(
        contract: str = typer.Argument(..., help="Identifiant d'un contrat enregistré, ou fichier YAML. / Stored contract id, or a YAML file."),
        scenarios: int = typer.Option(100_000, "--scenarios", help="Nombre de scénarios. / Number of scenarios."),
        seed: int = typer.Option(2026, "--seed", help="Graine (reproductible). / Seed (reproducible)."),
        effect_mean: float = typer.Option(None, "--effect-mean", help="Effet réel moyen supposé. / Assumed mean true effect."),
        effect_sd: float = typer.Option(None, "--effect-sd", help="Incertitude sur l'effet réel. / Uncertainty on the true effect."),
        as_json: bool = typer.Option(False, "--json", help="Sortie JSON. / JSON output."),
    ) -> None:
        """Simulation Monte Carlo du risque. / Monte Carlo risk simulation."""
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
            from temoin.i18n import Translator

            words = Translator(lang())
            print_json({**r.to_dict(), "notes": [{**n.to_dict(), "text": words.render(n)} for n in r.notes]})
        else:
            from temoin.cli.settlement_view import render_risk

            render_risk(r, console, lang())

    sub = typer.Typer(help="Règlements enregistrés. / Recorded settlements.", no_args_is_help=True)
    app.add_typer(sub, name="settlement")

    @sub.command("list")
    @handle_errors
    def list_cmd(contract: str = typer.Argument(None), as_json: bool = typer.Option(False, "--json")) -> None:
        """Lister les règlements (remplacés compris). / List settlements (superseded ones too)."""
        from temoin.services.settlements import list_settlements

        recs = list_settlements(engine(), contract)
        if as_json:
            print_json([{k: v for k, v in r.to_dict().items() if k not in ("inputs", "outputs")} for r in recs])
            return
        from temoin.i18n import Translator

        words = Translator(lang())
        table = Table()
        for col in ("n°", t("contrat", "contract"), "version", t("au", "as of"), t("payé", "paid"), t("statut", "status"),
                    t("validations", "approvals")):
            table.add_column(col)
        for r in recs:
            status = words.label(r.status) + ("" if r.superseded_by is None else f" → {r.superseded_by}")
            if r.supersedes_id:
                status += f" ({t('remplace', 'replaces')} {r.supersedes_id} : {r.reason})"
            table.add_row(str(r.id), r.contract_id, str(r.contract_version), str(r.as_of or "—"), str(r.total_paid),
                          escape(status), ", ".join(words.label("approval_kind", a.kind) for a in r.approvals) or "—")
        console.print(table)

    @sub.command("show")
    @handle_errors
    def show_cmd(settlement_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
        """Afficher un règlement enregistré. / Show a recorded settlement."""
        from temoin.services.settlements import get_settlement

        rec = get_settlement(engine(), settlement_id)
        print_json(rec.to_dict()) if as_json else console.print_json(data=rec.to_dict())

    @sub.command("approve")
    @handle_errors
    def approve_cmd(
        settlement_id: int,
        kind: str = typer.Option(..., "--kind", help="evaluator_certification | payer_approval | observer_acknowledgement"),
        party: str = typer.Option(..., "--party", help="Partie du contrat. / Contract party."),
        person: str = typer.Option(..., "--person", help="Nom de la personne. / Person's name."),
        comment: str = typer.Option(None, "--comment"),
        actor: str = typer.Option("cli"),
    ) -> None:
        """Certifier, approuver ou prendre connaissance d'un règlement. / Certify, approve or acknowledge."""
        from temoin.services.settlements import approve

        rec = approve(engine(), settlement_id, kind=kind, party_id=party, person=person, actor=actor, comment=comment)
        console.print(t(f"Règlement n° {rec.id} : {kind} enregistrée.", f"Settlement #{rec.id}: {kind} recorded."))

    @sub.command("supersede")
    @handle_errors
    def supersede_cmd(
        settlement_id: int,
        reason: str = typer.Option(..., "--reason", help="Pourquoi ce règlement est corrigé. / Why it is corrected."),
        as_of: str = typer.Option(None, "--as-of"),
        results: Path = typer.Option(None, "--results"),
        actor: str = typer.Option("cli"),
    ) -> None:
        """Corriger un règlement : un nouveau le remplace, les deux restent visibles. / Correct a settlement."""
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
        console.print(t(f"Règlement n° {rec.id} enregistré ; il remplace le n° {settlement_id}.",
                        f"Settlement #{rec.id} recorded; it supersedes #{settlement_id}."))

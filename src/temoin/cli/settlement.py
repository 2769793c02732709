"""``temoin settle``, ``temoin simulate`` and ``temoin settlement list|show|approve|supersede``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from temoin.cli._common import console, handle_errors, lang, print_json, t
from temoin.errors import InvalidInputError
from temoin.money import Money
from temoin.settlement import RiskReport, Settlement


def _pct(x: float | None) -> str:
    return "—" if x is None or x != x else f"{x * 100:.2f} %"


def _money(m: Money | None) -> str:
    return "—" if m is None else str(m)


def render_settlement(s: Settlement, out: Console, language: str = "fr") -> None:
    """The waterfall per period, the investors, the comparison with direct funding, the notices."""
    fr = language == "fr"

    def tr(a: str, b: str) -> str:
        return a if fr else b

    for n in s.notices:
        style = "bold red" if n.level == "alert" else "yellow"
        out.print(f"[{style}]{escape(n.fr if fr else n.en)}[/]")
    for p in s.periods:
        table = Table(title=f"{p.period} — {p.label_fr if fr else p.label_en} ({tr('paiement le', 'paid on')} {p.payment_date})",
                      title_justify="left", show_header=True)
        table.add_column(tr("Étape", "Step"))
        table.add_column(tr("Plafond", "Limit"), justify="right")
        table.add_column(tr("Montant", "Amount"), justify="right")
        for e in p.entitlements:
            impact = "—" if e.verified_impact is None else f"{e.verified_impact:g}"
            table.add_row(tr(f"Droit cumulé {e.indicator} (impact vérifié {impact} × {e.participants}, {e.status})",
                             f"Cumulative entitlement {e.indicator} (verified impact {impact} × {e.participants}, {e.status})"),
                          "", _money(e.amount))
        if p.rate_card_entitlement.amount:
            table.add_row(tr("Grille tarifaire (cumul)", "Rate card (cumulative)"), "", _money(p.rate_card_entitlement))
        table.add_row(tr("Déjà payé", "Already paid"), "", _money(p.paid_before))
        table.add_row(tr("[b]Montant brut[/]", "[b]Gross amount[/]"), "", _money(p.gross))
        for c in p.caps:
            table.add_row(f"  − {c.label_fr if fr else c.label_en}", _money(c.limit), f"−{c.reduction}" if c.reduction.amount else "0")
        table.add_row(tr("[b]Montant dû[/]", "[b]Amount due[/]"), "", f"[b]{p.amount_due}[/]")
        table.add_row(tr("Cumul payé", "Cumulative paid"), "", _money(p.cumulative_paid))
        table.add_row(tr("Économies publiques réalisées (cumul)", "Realised public savings (cumulative)"), "", _money(p.realised_savings))
        for investor, share in p.investor_shares:
            table.add_row(f"  → {investor}", "", _money(share))
        out.print(table)
    inv = Table(title=tr("Investisseurs", "Investors") + ("" if s.final else tr(" (à date, non définitif)", " (to date, not final)")),
                title_justify="left")
    for col in (tr("Investisseur", "Investor"), tr("Rang", "Rank"), tr("Investi", "Invested"), tr("Reçu", "Received"),
                tr("dont garantie", "of which guarantee"), tr("Perte", "Loss"), "Multiple", tr("TRI", "IRR")):
        inv.add_column(col, justify="left" if col in ("Investisseur", "Investor", "Rang", "Rank") else "right")
    for i in s.investors:
        inv.add_row(i.investor, i.seniority, _money(i.invested), _money(i.received), _money(i.guarantee), _money(i.loss),
                    "—" if i.multiple is None else f"{i.multiple:.3f}", _pct(i.irr))
    out.print(inv)
    pc = s.public_cost
    out.print(tr("[b]Coût public comparé au financement direct[/]", "[b]Public cost against direct funding[/]"))
    costs = ", ".join(f"{k} {v}" for k, v in pc.transaction_costs) or "—"
    out.print(tr(f"  Paiements aux résultats {pc.outcome_payments} + coûts de montage ({costs}) = coût du CIS {pc.cis_total}",
                 f"  Outcome payments {pc.outcome_payments} + transaction costs ({costs}) = CIS cost {pc.cis_total}"))
    if pc.direct_cost is not None and pc.extra_cost is not None:
        out.print(tr(f"  Financement direct {pc.direct_cost} ; surcoût du CIS {pc.extra_cost} ({_pct(pc.extra_cost_share)})",
                     f"  Direct funding {pc.direct_cost}; extra cost of the CIS {pc.extra_cost} ({_pct(pc.extra_cost_share)})"))
    if pc.cost_per_verified_outcome is not None:
        out.print(tr(f"  Coût par unité de résultat vérifiée ({pc.verified_units} {pc.break_even_unit or ''}) : {pc.cost_per_verified_outcome}",
                     f"  Cost per verified outcome unit ({pc.verified_units} {pc.break_even_unit or ''}): {pc.cost_per_verified_outcome}"))
    if pc.break_even_effect is not None:
        out.print(tr(f"  Effet d'équilibre : au-delà de {pc.break_even_effect:.4g} {pc.break_even_unit or ''} par participant, "
                     "le CIS coûte plus cher au payeur que le financement direct",
                     f"  Break-even effect: above {pc.break_even_effect:.4g} {pc.break_even_unit or ''} per participant, "
                     "the CIS costs the payer more than direct funding"))
    elif pc.direct_cost is not None:
        out.print(tr("  Aucun effet ne fait dépasser le coût du financement direct (plafonds).",
                     "  No effect makes the CIS cost more than direct funding (caps)."))


def render_risk(r: RiskReport, out: Console, language: str = "fr") -> None:
    fr = language == "fr"

    def tr(a: str, b: str) -> str:
        return a if fr else b

    a = r.assumptions
    n = f"{r.scenarios:,}".replace(",", "\u202f")
    out.print(tr(f"[b]Simulation de risque[/] : {n} scénarios, graine {r.seed}",
                 f"[b]Risk simulation[/]: {n} scenarios, seed {r.seed}"))
    out.print(tr(f"  Hypothèses : effet réel ~ N({a.effect_mean:g} ; {a.effect_sd:g}), inscription {a.enrolment_low:.0%}–100 %, "
                 f"attrition moyenne {a.attrition_mean:.0%}",
                 f"  Assumptions: true effect ~ N({a.effect_mean:g}, {a.effect_sd:g}), enrolment {a.enrolment_low:.0%}–100 %, "
                 f"mean attrition {a.attrition_mean:.0%}"))
    table = Table(show_header=True)
    table.add_column("")
    for col in (tr("moyenne", "mean"), "P5", "P50", "P95"):
        table.add_column(col, justify="right")
    for label, dist in ((tr("Coût pour le payeur", "Cost to the payer"), r.payer_cost),
                        (tr("Paiements aux résultats", "Outcome payments"), r.outcome_payments),
                        (tr("Économies réalisées", "Realised savings"), r.realised_savings)):
        m = dist.money(r.currency)
        table.add_row(label, *(str(m[k]) for k in ("mean", "p5", "p50", "p95")))
    d = r.investor_irr
    table.add_row(tr("TRI des investisseurs", "Investors' IRR"), _pct(d.mean), _pct(d.p5), _pct(d.p50), _pct(d.p95))
    out.print(table)
    out.print(tr(f"  Probabilité de perte pour les investisseurs : {_pct(r.prob_investor_loss)}",
                 f"  Probability of investor loss: {_pct(r.prob_investor_loss)}"))
    for k, v in r.prob_loss_by_investor.items():
        out.print(f"    {k}: {_pct(v)}")
    out.print(tr(f"  Probabilité d'appel de garantie : {_pct(r.prob_guarantee_called)}",
                 f"  Probability a guarantee is called: {_pct(r.prob_guarantee_called)}"))
    out.print(tr(f"  Probabilité qu'aucun paiement ne soit dû : {_pct(r.prob_no_payment)}",
                 f"  Probability nothing is paid: {_pct(r.prob_no_payment)}"))
    out.print(tr(f"  Probabilité que les paiements dépassent les économies sans ce plafond : "
                 f"{_pct(r.prob_payments_exceed_savings_without_cap)}",
                 f"  Probability payments would exceed savings without that cap: {_pct(r.prob_payments_exceed_savings_without_cap)}"))
    if r.prob_cis_costs_more_than_direct is not None:
        out.print(tr(f"  Probabilité que le CIS coûte plus que le financement direct : {_pct(r.prob_cis_costs_more_than_direct)}",
                     f"  Probability the CIS costs more than direct funding: {_pct(r.prob_cis_costs_more_than_direct)}"))
    for n_fr, n_en in r.notes:
        out.print(f"  [yellow]{escape(n_fr if fr else n_en)}[/]")


def _read_data(path: Path, key: str) -> list[dict[str, Any]]:
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
            from temoin.cli._common import engine
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
            print_json({**s.to_dict(), "settlement_id": record_id})
            return
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
            from temoin.cli._common import engine
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
            print_json(r.to_dict())
        else:
            render_risk(r, console, lang())

    sub = typer.Typer(help="Règlements enregistrés. / Recorded settlements.", no_args_is_help=True)
    app.add_typer(sub, name="settlement")

    @sub.command("list")
    @handle_errors
    def list_cmd(contract: str = typer.Argument(None), as_json: bool = typer.Option(False, "--json")) -> None:
        """Lister les règlements (remplacés compris). / List settlements (superseded ones too)."""
        from temoin.cli._common import engine
        from temoin.services.settlements import list_settlements

        recs = list_settlements(engine(), contract)
        if as_json:
            print_json([{k: v for k, v in r.to_dict().items() if k not in ("inputs", "outputs")} for r in recs])
            return
        table = Table()
        for col in ("n°", t("contrat", "contract"), "version", t("au", "as of"), t("payé", "paid"), t("statut", "status"),
                    t("validations", "approvals")):
            table.add_column(col)
        for r in recs:
            status = r.status if r.superseded_by is None else f"{r.status} → {r.superseded_by}"
            if r.supersedes_id:
                status += f" ({t('remplace', 'replaces')} {r.supersedes_id} : {r.reason})"
            table.add_row(str(r.id), r.contract_id, str(r.contract_version), str(r.as_of or "—"), str(r.total_paid),
                          escape(status), ", ".join(a.kind for a in r.approvals) or "—")
        console.print(table)

    @sub.command("show")
    @handle_errors
    def show_cmd(settlement_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
        """Afficher un règlement enregistré. / Show a recorded settlement."""
        from temoin.cli._common import engine
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
        from temoin.cli._common import engine
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
        from temoin.cli._common import engine
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

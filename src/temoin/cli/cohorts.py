"""``temoin cohort …``, ``temoin plan …``, ``temoin diagnose``, ``temoin power``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from temoin.cli._common import console, engine, handle_errors, lang, print_json, settings, t

if TYPE_CHECKING:
    from temoin.i18n import Translator


def _words() -> Translator:
    """The reader's translator (imported when a command runs: ``temoin --help`` stays fast)."""
    from temoin.i18n import Translator

    return Translator(lang())


def register(app: typer.Typer) -> None:
    cohort = typer.Typer(help="Cohortes : importer, randomiser, suivre. / Cohorts: import, randomise, follow up.",
                         no_args_is_help=True)
    plan = typer.Typer(help="Plan d'analyse pré-enregistré. / Pre-registered analysis plan.", no_args_is_help=True)
    app.add_typer(cohort, name="cohort")
    app.add_typer(plan, name="plan")
    from temoin.cli import enrolment

    enrolment.register(cohort)

    @cohort.command("import")
    @handle_errors
    def cohort_import(contract: str, file: Path, actor: str = typer.Option("cli", help="Qui importe / who imports.")) -> None:
        """Import referred participants (CSV or XLSX): all rows or none."""
        from temoin.services.evaluations import import_participants

        res = import_participants(engine(), contract, file, settings=settings(), actor=actor)
        console.print(t(f"{res.rows} personnes orientées importées ({res.eligible} éligibles, {res.enrolled} inscrites).",
                        f"{res.rows} referred people imported ({res.eligible} eligible, {res.enrolled} enrolled)."))
        if res.batch is not None:
            console.print(_words()("Rolling enrolment: the {n} newly enrolled join batch {batch}, which {waiting} people await; "
                                   "randomise it with `temoin cohort randomise {contract}`.", n=res.enrolled, batch=res.batch,
                                   waiting=res.waiting, contract=contract))

    @cohort.command("outcomes")
    @handle_errors
    def cohort_outcomes(contract: str, wave: str, file: Path, actor: str = typer.Option("cli")) -> None:
        """Import one follow-up wave's outcomes (CSV or XLSX): all rows or none."""
        from temoin.services.evaluations import import_outcomes

        res = import_outcomes(engine(), contract, wave, file, settings=settings(), actor=actor)
        console.print(t(f"Vague {wave} : {res.rows} résultats importés.", f"Wave {wave}: {res.rows} outcomes imported."))
        for ind, n in (res.blanks or {}).items():
            if n:
                console.print(t(f"  {ind} : {n} valeur(s) vide(s), comptées comme non mesurées.",
                                f"  {ind}: {n} blank value(s), counted as not measured."))

    @cohort.command("randomise")
    @handle_errors
    def cohort_randomise(contract: str, seed: int = typer.Option(None, "--seed", help="Graine / seed (random if omitted)."),
                         actor: str = typer.Option("cli"), as_json: bool = typer.Option(False, "--json")) -> None:
        """Randomise the enrolled participants (refused once outcomes exist)."""
        from temoin.services.evaluations import randomise_cohort

        res = randomise_cohort(engine(), contract, seed=seed, actor=actor)
        if as_json:
            print_json(res)
            return
        method = _words().label("randomisation_method", res["method"])
        if "batch" in res:
            console.print(_words()("Batch {batch} ({method}, permuted blocks of {size} continuing across batches): {treated} of "
                                   "{n} in the programme; {total_treated} of {total} over every batch.", batch=res["batch"],
                                   method=method, size=res["block_size"], treated=res["batch_n_treated"], n=res["batch_n"],
                                   total_treated=res["n_treated"], total=res["n"]))
            console.print(_words()("Seed {seed} · batch list sha256 {hash}", seed=res["seed"], hash=res["batch_list_hash"]))
            return
        console.print(t(f"{method.capitalize()} : {res['n_treated']} sur {res['n']} dans le programme.",
                        f"{method.capitalize()}: {res['n_treated']} of {res['n']} in the programme."))
        console.print(t(f"Graine {res['seed']} · liste sha256 {res['list_hash']}", f"Seed {res['seed']} · list sha256 {res['list_hash']}"))

    @cohort.command("generate")
    @handle_errors
    def cohort_generate(contract: str, output: Path = typer.Option(..., "-o", "--output"),
                        wave: str = typer.Option(None, "--wave", help="Outcomes of the stored cohort at this wave."),
                        seed: int = typer.Option(2026, "--seed"), creaming: float = typer.Option(0.0, "--creaming")) -> None:
        """Write SYNTHETIC participants (or, with --wave, their outcomes) for a bundled example."""
        from temoin.services.evaluations import generate_synthetic

        n = generate_synthetic(engine() if wave else None, contract, output, settings=settings(), wave=wave, seed=seed,
                               creaming=creaming)
        console.print(t(f"{n} lignes SYNTHÉTIQUES écrites dans {output}.", f"{n} SYNTHETIC rows written to {output}."))

    @plan.command("lock")
    @handle_errors
    def plan_lock(contract: str, actor: str = typer.Option("cli")) -> None:
        """Lock the analysis plan (SHA-256 and time in the audit ledger), before any outcome."""
        from temoin.services.evaluations import lock_plan

        st = lock_plan(engine(), contract, actor=actor)
        console.print(t(f"Plan verrouillé : sha256 {st.plan_hash}", f"Plan locked: sha256 {st.plan_hash}"))

    @plan.command("amend")
    @handle_errors
    def plan_amend(contract: str, reason: str = typer.Option(..., "--reason"), actor: str = typer.Option("cli")) -> None:
        """Record the latest contract version's plan as a public amendment, with its reason."""
        from temoin.services.evaluations import amend_plan

        st = amend_plan(engine(), contract, reason=reason, actor=actor)
        a = st.amendments[-1]
        console.print(t(f"Amendement enregistré : {a.from_hash[:12]} → {a.to_hash[:12]} ({', '.join(a.changes)}).",
                        f"Amendment recorded: {a.from_hash[:12]} → {a.to_hash[:12]} ({', '.join(a.changes)})."))

    @plan.command("status")
    @handle_errors
    def plan_show(contract: str, as_json: bool = typer.Option(False, "--json")) -> None:
        """Show whether the plan is locked, its hash and its amendments."""
        from temoin.services.evaluations import plan_status

        st = plan_status(engine(), contract)
        if as_json:
            print_json(st.to_dict())
            return
        if not st.locked:
            console.print(t("Plan non verrouillé.", "Plan not locked."))
            return
        words = _words()
        locked = words.datetime(st.locked_at)
        console.print(t(f"Plan verrouillé le {locked} ; en vigueur : {st.plan_hash}",
                        f"Plan locked on {locked}; in force: {st.plan_hash}"))
        for a in st.amendments:
            console.print(f"  {words.label('plan_record_kind', 'amendment')} {words.render(a.label())}")

    @app.command("diagnose")
    @handle_errors
    def diagnose_cmd(contract: str, sims: int = typer.Option(1000, "--sims"),
                     effect: list[float] = typer.Option(None, "--effect", help="True improvement(s) to simulate; repeatable."),
                     n: int = typer.Option(None, "--n", help="Participants (default: the contract's expected size)."),
                     seed: int = typer.Option(20260101, "--seed"), as_json: bool = typer.Option(False, "--json")) -> None:
        """Simulate the contract's evaluation and payment rule: power, bias, coverage, wrongful payments."""
        from temoin.services.evaluations import diagnose

        effects = sorted({0.0, *effect}) if effect else None
        rep = diagnose(engine(), contract, sims=sims, effects=effects, n=n, seed=seed)
        if as_json:
            print_json(rep.to_dict())
            return
        from temoin.evaluation.text import significant

        words = _words()
        trials, people = words.number(rep.sims), words.number(rep.n)
        table = Table(title=t(f"Diagnostic : {trials} essais simulés de {people} personnes ({rep.indicator})",
                              f"Diagnosis: {trials} simulated trials of {people} people ({rep.indicator})"))
        for col in (t("effet vrai", "true effect"), t("puissance", "power"), t("biais", "bias"), t("couverture IC", "CI coverage"),
                    t("payé", "paid"), t("non payé", "unpaid"), t("paiement moyen", "mean payment"), "p5–p95"):
            table.add_column(col)
        for e in rep.effects:
            q = e.payment_quantiles
            table.add_row(words.number(significant(e.true_effect, 6)), words.share(e.power), words.number(significant(e.bias, 3)),
                          words.share(e.coverage), words.share(e.p_paid), words.share(e.p_unpaid),
                          words.number(e.payment_mean, 0), f"{words.number(q['p5'], 0)} – {words.number(q['p95'], 0)}")
        console.print(table)
        if rep.wrongful_payment is not None:
            wrongful = words.share(rep.wrongful_payment, 2)
            console.print(t(f"Probabilité de payer alors que l'effet vrai est nul : {wrongful}.",
                            f"Probability of paying when the true effect is zero: {wrongful}."))
        console.print(t("Hypothèses : ", "Assumptions: ") + "; ".join(words.render(a) for a in rep.assumptions))

    @app.command("power")
    @handle_errors
    def power_cmd(contract: str = typer.Argument(None, help="A stored contract (its design and assumptions)."),
                  n: int = typer.Option(None, "--n"), effect: float = typer.Option(None, "--effect"),
                  sd: float = typer.Option(None, "--sd"), cluster_size: float = typer.Option(1.0, "--cluster-size"),
                  alpha: float = typer.Option(None, "--alpha", help="Sans contrat : 0,05 par défaut. / Without a contract: 0.05 by default."),
                  one_sided: bool = typer.Option(False, "--one-sided"),
                  attrition: float = typer.Option(None, "--attrition", help="Sans contrat : 0 par défaut. / Without a contract: 0 by default."),
                  icc: float = typer.Option(None, "--icc", help="Sans contrat : 0 par défaut. / Without a contract: 0 by default."),
                  as_json: bool = typer.Option(False, "--json")) -> None:
        """Analytical power and minimum detectable effect (for a stored contract, or from options)."""
        from temoin.errors import InvalidInputError
        from temoin.evaluation.power import mde, power, power_for_contract, sample_size

        if contract:
            from temoin.services.contracts import get_contract

            stored = get_contract(engine(), contract).contract
            rep = power_for_contract(stored, n=n, effect=effect, sd=sd, cluster_size=cluster_size)
            given = [name for name, value in (("--alpha", alpha), ("--attrition", attrition), ("--icc", icc))
                     if value is not None] + (["--one-sided"] if one_sided else [])
            if given:
                # the contract's own values, replaced by the ones given, as a command without the contract
                icc_value = icc if icc is not None else (stored.evaluation.icc or 0.0)
                sided = one_sided or rep.sidedness == "one_sided"
                command = (f"temoin power --n {rep.n} --effect {rep.effect:g} --sd {rep.sd:g} "
                           f"--alpha {alpha if alpha is not None else rep.alpha:g} "
                           f"--attrition {attrition if attrition is not None else rep.attrition:g} "
                           f"--icc {icc_value:g} --cluster-size {cluster_size:g}" + (" --one-sided" if sided else ""))
                allocation_fr = (f" (l'allocation {rep.allocation:g} du contrat n'est pas une option : 0,5 sans contrat)"
                                 if rep.allocation != 0.5 else "")
                allocation_en = (f" (the contract's allocation {rep.allocation:g} is not an option: 0.5 without a contract)"
                                 if rep.allocation != 0.5 else "")
                raise InvalidInputError(
                    "cli.power_contract_options",
                    f"Avec un contrat, {', '.join(given)} ne s'applique(nt) pas : le seuil et la latéralité viennent de son "
                    "plan d'analyse, l'attrition et l'ICC de sa section évaluation.",
                    f"With a contract, {', '.join(given)} cannot apply: the level and sidedness come from its analysis "
                    "plan, attrition and ICC from its evaluation section.",
                    path=given[0],
                    hint_fr=f"Pour d'autres hypothèses, sans le contrat : {command}{allocation_fr} ; "
                    "ou modifiez le contrat (temoin plan amend).",
                    hint_en=f"For other assumptions, without the contract: {command}{allocation_en}; "
                    "or change the contract (temoin plan amend).",
                )
            d: dict[str, Any] = rep.to_dict()
            expected = rep.effect
        else:
            if n is None or effect is None or sd is None:
                raise typer.BadParameter(t("sans contrat, donnez --n, --effect et --sd", "without a contract, give --n, --effect and --sd"))
            expected = effect
            kw = {"alpha": 0.05 if alpha is None else alpha, "sidedness": "one_sided" if one_sided else "two_sided",
                  "attrition": 0.0 if attrition is None else attrition, "icc": 0.0 if icc is None else icc,
                  "cluster_size": cluster_size}
            d = {"n": n, "effect": effect, "sd": sd, **kw, "power": power(effect=effect, sd=sd, n=n, **kw),  # type: ignore[arg-type]
                 "mde": mde(sd=sd, n=n, **kw)}  # type: ignore[arg-type]
            try:
                d["n_for_80"] = sample_size(effect=effect, sd=sd, **kw) if effect > 0 else None  # type: ignore[arg-type]
            except InvalidInputError:
                d["n_for_80"] = None
        if as_json:
            print_json(d)
            return
        from temoin.evaluation.text import significant

        words = _words()
        eff, people = words.number(significant(float(d["effect"]), 6)), words.number(int(d["n"]))
        pw = words.share(float(d["power"]))
        console.print(t(f"Puissance pour un effet de {eff} avec {people} personnes : {pw}",
                        f"Power for an effect of {eff} with {people} people: {pw}"))
        mde_text = words.number(significant(float(d["mde"]), 4))
        console.print(t(f"Effet minimal détectable (80 %) : {mde_text}", f"Minimum detectable effect (80%): {mde_text}"))
        if d.get("n_for_80"):
            n80 = words.number(int(d["n_for_80"]))
            console.print(t(f"Effectif pour 80 % de puissance : {n80}", f"Sample size for 80% power: {n80}"))
        elif expected <= 0:
            console.print(t("Effectif pour 80 % de puissance : sans objet (effet attendu nul ou négatif)",
                            "Sample size for 80% power: not applicable (expected effect zero or negative)"))
        else:
            console.print(t("Effectif pour 80 % de puissance : plus d'un milliard de personnes",
                            "Sample size for 80% power: more than a billion people"))

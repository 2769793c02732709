"""``temoin cohort …``, ``temoin plan …``, ``temoin diagnose``, ``temoin power``."""


import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from temoin.cli._common import console, engine, handle_errors, print_json, settings, t, words
from temoin.cli._typer import TemoinTyper, tr
from temoin.messages import Msg


@contextmanager
def _columns_by_label(contract_id: str, kind: Literal["participants", "wave"]) -> Iterator[None]:
    """A refused file's problems name each column by its label in the reader's language (as the web's
    data page does), not by the name stored: « Logement de la famille (ligne 4) », not « housing »."""
    from temoin.evaluation.cohort_file import CohortFileError

    try:
        yield
    except CohortFileError as exc:
        from temoin.services.cohort_templates import column_labels
        from temoin.services.contracts import get_contract

        names = column_labels(get_contract(engine(), contract_id).contract, kind, words().lang)
        exc.errors = [replace(e, column=names.get(e.column, e.column)) for e in exc.errors]
        exc.path = names.get(exc.path or "", exc.path)
        raise


def register(app: typer.Typer) -> None:
    cohort = TemoinTyper(help=tr("Cohorts: import, randomise, follow up."), no_args_is_help=True)
    plan = TemoinTyper(help=tr("Pre-registered analysis plan."), no_args_is_help=True)
    app.add_typer(cohort, name="cohort")
    app.add_typer(plan, name="plan")
    actor_help = tr("Who acts (audit ledger).")

    from temoin.cli import enrolment

    enrolment.register(cohort)

    @cohort.command("import", help=tr("Import referred participants (CSV or XLSX): all rows or none."))
    @handle_errors
    def cohort_import(contract: str, file: Path, actor: str = typer.Option("cli", help=actor_help)) -> None:
        from temoin.services.evaluations import import_participants

        with _columns_by_label(contract, "participants"):
            res = import_participants(engine(), contract, file, settings=settings(), actor=actor)
        console.print(t("{rows} referred people imported ({eligible} eligible, {enrolled} enrolled).", rows=res.rows,
                        eligible=res.eligible, enrolled=res.enrolled))
        if res.updated:
            console.print(t("{n} people already referred were updated (enrolled, consent or eligibility).", n=res.updated))
        if res.left_out:
            console.print(t("Warning: the cohort was randomised once and the analysis plan does not enrol on a rolling "
                            "basis; the {n} newly enrolled will not be randomised and will not be in the evaluation. To "
                            "enrol over time, amend the plan (rolling enrolment and its closing date).", n=res.left_out))
        if res.batch is not None:
            console.print(t("Rolling enrolment: the {n} newly enrolled join batch {batch}, which {waiting} people await; "
                            "randomise it with `temoin cohort randomise {contract}`.", n=res.enrolled, batch=res.batch,
                            waiting=res.waiting, contract=contract))

    @cohort.command("outcomes", help=tr("Import one follow-up wave's outcomes (CSV or XLSX): all rows or none."))
    @handle_errors
    def cohort_outcomes(contract: str, wave: str, file: Path, actor: str = typer.Option("cli", help=actor_help)) -> None:
        from temoin.services.evaluations import import_outcomes

        with _columns_by_label(contract, "wave"):
            res = import_outcomes(engine(), contract, wave, file, settings=settings(), actor=actor)
        console.print(t("Wave {wave}: {rows} outcomes imported.", wave=wave, rows=res.rows))
        for indicator, n in (res.blanks or {}).items():
            if n:
                console.print("  " + t("{indicator}: {n} blank value(s), counted as not measured.", indicator=indicator, n=n))

    @cohort.command("randomise", help=tr("Randomise the enrolled participants (refused once outcomes exist); with rolling enrolment, the next batch."))
    @handle_errors
    def cohort_randomise(contract: str, seed: int = typer.Option(None, "--seed", help=tr("Seed (random if omitted).")),
                         actor: str = typer.Option("cli", help=actor_help),
                         as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.services.evaluations import randomise_cohort

        res = randomise_cohort(engine(), contract, seed=seed, actor=actor)
        if as_json:
            print_json(res)
            return
        method = words().label("randomisation_method", res["method"])
        if "batch" in res:
            console.print(t("Batch {batch} ({method}, permuted blocks of {size} continuing across batches): {treated} of "
                            "{n} in the programme; {total_treated} of {total} over every batch.", batch=res["batch"],
                            method=method, size=res["block_size"], treated=res["batch_n_treated"], n=res["batch_n"],
                            total_treated=res["n_treated"], total=res["n"]))
            console.print(t("Seed {seed} · batch list sha256 {hash}", seed=res["seed"], hash=res["batch_list_hash"]))
            return
        console.print(t("{method}: {treated} of {n} in the programme.", method=method[:1].upper() + method[1:],
                        treated=res["n_treated"], n=res["n"]))
        console.print(t("Seed {seed} · list sha256 {digest}", seed=str(res["seed"]), digest=res["list_hash"]))

    @cohort.command("generate", help=tr("Write SYNTHETIC participants (or, with --wave, their outcomes) for a bundled example."))
    @handle_errors
    def cohort_generate(contract: str, output: Path = typer.Option(..., "-o", "--output", help=tr("Write to this file.")),
                        wave: str = typer.Option(None, "--wave", help=tr("Outcomes of the stored cohort at this wave.")),
                        seed: int = typer.Option(2026, "--seed", help=tr("Seed (random if omitted).")),
                        creaming: float = typer.Option(
                            0.0, "--creaming", show_default=tr("0"),
                            help=tr("Creaming: how much enrolment favours the easiest cases (0 = none)."))) -> None:
        from temoin.services.evaluations import generate_synthetic

        n = generate_synthetic(engine() if wave else None, contract, output, settings=settings(), wave=wave, seed=seed,
                               creaming=creaming)
        console.print(t("{n} SYNTHETIC rows written to {output}.", n=n, output=str(output)))

    @plan.command("lock", help=tr("Lock the analysis plan (SHA-256 and time in the audit ledger), before any outcome."))
    @handle_errors
    def plan_lock(contract: str, actor: str = typer.Option("cli", help=actor_help)) -> None:
        from temoin.services.evaluations import lock_plan

        st = lock_plan(engine(), contract, actor=actor)
        console.print(t("Plan locked: sha256 {digest}", digest=st.plan_hash))

    @plan.command("amend", help=tr("Record the latest contract version's plan as a public amendment, with its reason."))
    @handle_errors
    def plan_amend(contract: str, reason: str = typer.Option(..., "--reason", help=tr("Why the plan changes (public).")),
                   actor: str = typer.Option("cli", help=actor_help)) -> None:
        from temoin.services.evaluations import amend_plan

        st = amend_plan(engine(), contract, reason=reason, actor=actor)
        a = st.amendments[-1]
        console.print(t("Amendment recorded: {before} → {after} ({changes}).", before=a.from_hash[:12], after=a.to_hash[:12],
                        changes=", ".join(a.changes)))

    @plan.command("status", help=tr("Show whether the plan is locked, its hash and its amendments."))
    @handle_errors
    def plan_show(contract: str, as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.services.evaluations import plan_status

        st = plan_status(engine(), contract)
        if as_json:
            print_json(st.to_dict())
            return
        if not st.locked:
            console.print(t("Plan not locked."))
            return
        reader = words()
        console.print(t("Plan locked on {locked}; in force: {digest}", locked=reader.datetime(st.locked_at), digest=st.plan_hash))
        for a in st.amendments:
            console.print(f"  {reader.label('plan_record_kind', 'amendment')} {escape(reader.render(a.label()))}")

    per_month_help = tr("Expected enrolment: people per month from the opening date (one figure, or several for a slow "
                        "start: '5, 10, 20, 30', the last one holding until the closing date). Each payment period is "
                        "then judged on the people due by its end date.")
    opens_help = tr("Expected enrolment: opening date (default: the contract's start date).")
    closes_help = tr("Expected enrolment: closing date (default: the analysis plan's).")

    def _curve(contract: str, per_month: str | None, opens: str | None, closes: str | None) -> Any:
        if per_month is None and opens is None and closes is None:
            return None
        from temoin.cli.enrolment import as_of_date
        from temoin.evaluation.enrolment_curve import curve_for_contract, parse_per_month
        from temoin.services.contracts import get_contract

        return curve_for_contract(get_contract(engine(), contract).contract,
                                  per_month=parse_per_month(per_month) if per_month else None,
                                  opens=as_of_date(opens, "--opens"), closes=as_of_date(closes, "--closes"))

    @app.command("diagnose", help=tr("Simulate the contract's evaluation and payment rule: power, bias, coverage, wrongful payments."))
    @handle_errors
    def diagnose_cmd(contract: str, sims: int = typer.Option(1000, "--sims", help=tr("Number of simulated trials.")),
                     effect: list[float] = typer.Option(None, "--effect", help=tr("True improvement(s) to simulate; repeatable.")),
                     n: int = typer.Option(None, "--n", help=tr("Participants (default: the contract's expected size).")),
                     seed: int = typer.Option(20260101, "--seed", help=tr("Seed (random if omitted).")),
                     per_month: str = typer.Option(None, "--per-month", help=per_month_help),
                     opens: str = typer.Option(None, "--opens", help=opens_help),
                     closes: str = typer.Option(None, "--closes", help=closes_help),
                     as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.services.evaluations import diagnose

        effects = sorted({0.0, *effect}) if effect else None
        rep = diagnose(engine(), contract, sims=sims, effects=effects, n=n, seed=seed,
                       curve=_curve(contract, per_month, opens, closes))
        if as_json:
            print_json(rep.to_dict())
            return
        from temoin.evaluation.text import significant

        reader = words()
        table = Table(title=t("Diagnosis: {trials} simulated trials of {people} people ({indicator})", trials=rep.sims,
                              people=rep.n, indicator=rep.indicator))
        for col in (t("true effect"), t("power"), t("bias"), t("CI coverage"),
                    t("paid"), t("unpaid"), t("mean payment"), t("5th–95th percentile")):
            table.add_column(col)
        for e in rep.effects:
            q = e.payment_quantiles
            table.add_row(reader.number(significant(e.true_effect, 6)), reader.share(e.power), reader.number(significant(e.bias, 3)),
                          reader.share(e.coverage), reader.share(e.p_paid), reader.share(e.p_unpaid),
                          reader.number(e.payment_mean, 0), f"{reader.number(q['p5'], 0)} – {reader.number(q['p95'], 0)}")
        console.print(table)
        if rep.wrongful_payment is not None:
            wrongful = reader.share(rep.wrongful_payment, 2)
            console.print(t("Probability of paying when the true effect is zero: {wrongful}.", wrongful=wrongful))
        console.print(escape(t("Assumptions: {assumptions}", assumptions="; ".join(reader.render(a) for a in rep.assumptions))))

    without_contract = tr("Without a contract: 0 by default.")

    @app.command("power", help=tr("Analytical power and minimum detectable effect (for a stored contract, or from options)."))
    @handle_errors
    def power_cmd(contract: str = typer.Argument(None, help=tr("A stored contract (its design and assumptions).")),
                  n: int = typer.Option(None, "--n", help=tr("Participants.")),
                  effect: float = typer.Option(None, "--effect", help=tr("Expected improvement.")),
                  sd: float = typer.Option(None, "--sd", help=tr("Standard deviation of the outcome.")),
                  cluster_size: float = typer.Option(1.0, "--cluster-size", show_default=tr("1"),
                                                     help=tr("Mean cluster size (1: no clusters).")),
                  alpha: float = typer.Option(None, "--alpha", help=tr("Without a contract: 0.05 by default.")),
                  one_sided: bool = typer.Option(False, "--one-sided", help=tr("One-sided test.")),
                  attrition: float = typer.Option(None, "--attrition", help=without_contract),
                  icc: float = typer.Option(None, "--icc", help=without_contract),
                  per_month: str = typer.Option(None, "--per-month", help=per_month_help),
                  opens: str = typer.Option(None, "--opens", help=opens_help),
                  closes: str = typer.Option(None, "--closes", help=closes_help),
                  as_json: bool = typer.Option(False, "--json", help=tr("As JSON."))) -> None:
        from temoin.errors import InvalidInputError
        from temoin.evaluation.power import mde, power, power_for_contract, sample_size

        if contract:
            from temoin.services.contracts import get_contract

            stored = get_contract(engine(), contract).contract
            rep = power_for_contract(stored, n=n, effect=effect, sd=sd, cluster_size=cluster_size,
                                     curve=_curve(contract, per_month, opens, closes))
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
                hint = (Msg("For other assumptions, without the contract: {command} (the contract's allocation {allocation} "
                            "is not an option: 0.5 without a contract); or change the contract (temoin plan amend).",
                            command=command, allocation=rep.allocation) if rep.allocation != 0.5 else
                        Msg("For other assumptions, without the contract: {command}; or change the contract "
                            "(temoin plan amend).", command=command))
                raise InvalidInputError(
                    "cli.power_contract_options",
                    Msg("With a contract, {options} cannot apply: the level and sidedness come from its analysis plan, "
                        "attrition and ICC from its evaluation section.", options=", ".join(given)),
                    path=given[0], hint=hint)
            d: dict[str, Any] = rep.to_dict()
            expected = rep.effect
        else:
            if per_month is not None or opens is not None or closes is not None:
                raise InvalidInputError("cli.power_curve_contract", Msg("An enrolment curve needs a contract (its waves and payment periods)."),
                                        path="per_month", hint=Msg("Name the contract: temoin power CONTRACT --per-month …"))
            if n is None or effect is None or sd is None:
                raise InvalidInputError("cli.power_options", Msg("Without a contract, give --n, --effect and --sd."),
                                        hint=Msg("Example: temoin power --n 400 --effect 0.2 --sd 1"))
            expected = effect
            kw = {"alpha": 0.05 if alpha is None else alpha, "sidedness": "one_sided" if one_sided else "two_sided",
                  "attrition": 0.0 if attrition is None else attrition, "icc": 0.0 if icc is None else icc,
                  "cluster_size": cluster_size}
            d = {"n": n, "effect": effect, "sd": sd, **kw, "power": power(effect=effect, sd=sd, n=n, **kw),
                 "mde": mde(sd=sd, n=n, **kw)}
            try:
                d["n_for_80"] = sample_size(effect=effect, sd=sd, **kw) if effect > 0 else None
            except InvalidInputError:
                d["n_for_80"] = None
        if as_json:
            print_json(d)
            return
        from temoin.evaluation.text import significant

        reader = words()
        eff, people = reader.number(significant(float(d["effect"]), 6)), reader.number(int(d["n"]))
        console.print(t("Power for an effect of {effect} with {people} people: {power}", effect=eff, people=people,
                        power=reader.share(float(d["power"]))))
        console.print(t("Minimum detectable effect (80% power): {mde}", mde=reader.number(significant(float(d["mde"]), 4))))
        if d.get("n_for_80"):
            console.print(t("Sample size for 80% power: {n}", n=int(d["n_for_80"])))
        elif expected <= 0:
            console.print(t("Sample size for 80% power: not applicable (expected effect zero or negative)"))
        else:
            console.print(t("Sample size for 80% power: more than a billion people"))
        for p in d.get("periods") or ():
            power_text = reader.share(float(p["power"])) if p["power"] is not None else "—"
            mde_text = reader.number(significant(float(p["mde"]), 4)) if p["mde"] is not None else "—"
            console.print(t("Period {period} (wave {wave}, ends {end}): {due} people due, {later} not yet due; power "
                            "{power}, minimum detectable effect {mde}", period=p["period"], wave=p["wave"],
                            end=reader.date(dt.date.fromisoformat(p["end_date"])), due=reader.number(int(p["n"])),
                            later=reader.number(int(p["not_yet_due"])), power=power_text, mde=mde_text))

"""``temoin evaluate``: an effect estimate from a CSV file, or the locked plan of a stored contract."""


import math
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from temoin.cli._common import console, engine, handle_errors, print_json, t
from temoin.cli._common import words as words_
from temoin.cli._typer import tr
from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["read_table", "register"]


def read_table(path: Path) -> Any:
    """Read a CSV: UTF-8 or Latin-1, comma or semicolon (then decimal comma, as Excel writes in French)."""
    import pandas as pd

    if not path.is_file():
        raise InvalidInputError(
            "cli.file_not_found",
            Msg("File not found: {path}.", path=str(path)),
            path=str(path),
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        encoding = "latin-1"
    first = text.split("\n", 1)[0]
    semicolon = first.count(";") > first.count(",")
    try:
        return pd.read_csv(
            path,
            sep=";" if semicolon else ",",
            decimal="," if semicolon else ".",
            encoding=encoding,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise InvalidInputError(
            "cli.bad_csv",
            Msg("Cannot read the CSV: {reason}.", reason=str(exc)),
            path=str(path),
        ) from None


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _num(words: Any, value: Any, digits: int = 6) -> str:
    """A number to ``digits`` significant digits in the reader's format, or "not estimable" where it
    is NaN or missing (never an empty cell)."""
    from temoin.evaluation.text import significant

    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return str(words("not estimable"))
    return str(words.number(significant(float(value), digits)))


def _print_estimate(d: dict[str, Any]) -> None:
    from temoin.evaluation.text import say, text_from_stored

    words = words_()
    table = Table(title=t("Effect estimate"), show_header=False)
    missing = _num(words, None)
    low, high = _num(words, d["ci_low"]), _num(words, d["ci_high"])
    interval = missing if missing in (low, high) else f"[{low} ; {high}]"
    method = words.label("estimator", d["method"]) + (f" ({words.label('estimand', d['estimand'])})" if d.get("estimand") else "")
    level = words.share(1 - d["alpha"], 0)
    rows = [
        (t('Method'), method),
        (t('Estimated effect'), _num(words, d["estimate"])),
        (t('Standard error'), f"{_num(words, d['std_error'])} ({words.label('se_type', d['se_type'])})"),
        (t('{level} confidence interval', level=level), interval),
        (t('p-value'), _num(words, d["p_value"], 4)),
        (t('Degrees of freedom'), _num(words, d["df"], 4)),
        (t('Programme / control'), f"{words.number(d['n_treated'])} / {words.number(d['n_control'])}"),
    ]
    if d.get("n_clusters"):
        rows.append((t('Clusters'), words.number(d["n_clusters"])))
    if d.get("ri_p_value") is not None:
        rows.append((t('Randomisation p-value'), _num(words, d["ri_p_value"], 4)))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    for note in d["notes"]:
        console.print("• " + escape(say(words, text_from_stored(note))))


def register(app: typer.Typer) -> None:
    @app.command("evaluate", help=tr("Estimate an effect (CSV file) or evaluate a stored contract."))
    @handle_errors
    def evaluate(
        contract: str = typer.Argument(None, help=tr("Stored contract: runs its locked plan.")),
        data: Path = typer.Option(None, "--data", help=tr("CSV file.")),
        outcome: str = typer.Option(None, "--outcome", help=tr("Outcome column.")),
        treatment: str = typer.Option(None, "--treatment", help=tr("0/1 arm column.")),
        covariates: str = typer.Option("", "--covariates", help=tr("Covariate columns, separated by commas (a,b,c).")),
        cluster: str = typer.Option(None, "--cluster", help=tr("Cluster column.")),
        block: str = typer.Option(None, "--block", help=tr("Block (stratum) column.")),
        weights: str = typer.Option(None, "--weights", help=tr("Weights column.")),
        se: str = typer.Option("HC2", "--se", help=tr("Standard errors: classical, HC0 to HC3, CR0, CR1, CR2.")),
        method: str = typer.Option("ols", "--method", help=tr(
            "Estimator: ols (regression), diff_in_means (difference in means), lin (Lin's regression), "
            "matching, ipw (inverse probability weighting).")),
        alpha: float = typer.Option(0.05, "--alpha", help=tr("Significance level."), show_default=tr("0.05")),
        missing: str = typer.Option("error", "--missing", help=tr("Missing values: error (refuse) or drop (leave out, reported).")),
        ri: int = typer.Option(0, "--ri", help=tr("Randomisation inference draws.")),
        seed: int = typer.Option(None, "--seed", help=tr("Seed (random if omitted).")),
        estimand: str = typer.Option(None, "--estimand", help=tr("ATE or ATT (ipw: either; matching: ATT).")),
        as_json: bool = typer.Option(False, "--json", help=tr("As JSON.")),
        as_of: str = typer.Option(None, "--as-of", help=tr("Rolling enrolment: evaluate at this date (YYYY-MM-DD).")),
    ) -> None:
        if (contract is None) == (data is None):
            raise InvalidInputError(
                "cli.evaluate_usage",
                Msg("Give either a contract id or --data FILE.csv (not both)."),
                hint=Msg("Example: temoin evaluate --data trial.csv --outcome y --treatment t"),
            )
        if contract is not None:
            from temoin.cli.enrolment import as_of_date
            from temoin.services.contracts import get_contract
            from temoin.services.evaluations import evaluate_contract

            results = evaluate_contract(engine(), contract, actor="cli", as_of=as_of_date(as_of))
            if as_json:
                print_json(_clean([r.to_dict() for r in results]))
                return
            reader = words_()
            indicators = {i.id: i.label.get(reader.lang) for i in get_contract(engine(), contract).contract.indicators}
            for r in results:
                console.print(escape(t("{indicator}, wave {wave}: improvement {improvement} (lower bound {lower}), {grade}",
                                       indicator=indicators.get(r.indicator, r.indicator), wave=r.wave,
                                       improvement=_num(reader, r.improvement, 4), lower=_num(reader, r.improvement_lower, 4),
                                       grade=r.grade)))
                _print_estimate(r.effect.to_dict())
            return
        if not outcome or not treatment:
            raise InvalidInputError(
                "cli.evaluate_columns",
                Msg("With --data, give --outcome and --treatment."),
            )
        if missing not in ("error", "drop"):
            raise InvalidInputError(
                "cli.bad_missing",
                Msg("--missing {value}: choose error or drop.", value=repr(missing)),
            )
        from temoin.evaluation import estimate_effect

        frame = read_table(data)
        covs = tuple(c.strip() for c in covariates.split(",") if c.strip())
        result = estimate_effect(
            frame,
            outcome,
            treatment,
            covs,
            cluster=cluster,
            block=block,
            se=se,
            method=method,
            weights=weights,
            alpha=alpha,
            missing=missing,
            ri_permutations=ri,
            seed=seed,
            estimand=estimand,
        )
        d = result.to_dict()
        if not ri:
            d.pop("ri_p_value", None)
        if as_json:
            print_json(_clean(d))
        else:
            _print_estimate(d)

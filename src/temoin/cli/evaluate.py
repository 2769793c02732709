"""``temoin evaluate``: an effect estimate from a CSV file, or the locked plan of a stored contract."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from temoin.cli._common import console, engine, handle_errors, lang, print_json, t
from temoin.errors import InvalidInputError

__all__ = ["read_table", "register"]


def read_table(path: Path) -> Any:
    """Read a CSV: UTF-8 or Latin-1, comma or semicolon (then decimal comma, as Excel writes in French)."""
    import pandas as pd

    if not path.is_file():
        raise InvalidInputError(
            "cli.file_not_found",
            f"Fichier introuvable : {path}.",
            f"File not found: {path}.",
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
            f"Lecture du CSV impossible : {exc}.",
            f"Cannot read the CSV: {exc}.",
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
    from temoin.i18n import Translator

    words = Translator(lang())
    table = Table(title=t("Estimation de l'effet", "Effect estimate"), show_header=False)
    missing = _num(words, None)
    low, high = _num(words, d["ci_low"]), _num(words, d["ci_high"])
    interval = missing if missing in (low, high) else f"[{low} ; {high}]"
    method = words.label("estimator", d["method"]) + (f" ({words.label('estimand', d['estimand'])})" if d.get("estimand") else "")
    level = words.share(1 - d["alpha"], 0)
    rows = [
        (t("Méthode", "Method"), method),
        (t("Effet estimé", "Estimated effect"), _num(words, d["estimate"])),
        (t("Erreur type", "Standard error"), f"{_num(words, d['std_error'])} ({words.label('se_type', d['se_type'])})"),
        (t(f"Intervalle de confiance à {level}", f"{level} confidence interval"), interval),
        (t("p-valeur", "p-value"), _num(words, d["p_value"], 4)),
        (t("Degrés de liberté", "Degrees of freedom"), _num(words, d["df"], 4)),
        (t("Programme / témoin", "Programme / control"), f"{words.number(d['n_treated'])} / {words.number(d['n_control'])}"),
    ]
    if d.get("n_clusters"):
        rows.append((t("Grappes", "Clusters"), words.number(d["n_clusters"])))
    if d.get("ri_p_value") is not None:
        rows.append((t("p-valeur par randomisation", "Randomisation p-value"), _num(words, d["ri_p_value"], 4)))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    for note in d["notes"]:
        console.print("• " + say(words, text_from_stored(note)))


def register(app: typer.Typer) -> None:
    @app.command("evaluate")
    @handle_errors
    def evaluate(
        contract: str = typer.Argument(
            None, help="Contrat stocké : applique le plan verrouillé. / Stored contract: runs the locked plan."
        ),
        data: Path = typer.Option(None, "--data", help="Fichier CSV. / CSV file."),
        outcome: str = typer.Option(None, "--outcome", help="Colonne du résultat. / Outcome column."),
        treatment: str = typer.Option(None, "--treatment", help="Colonne 0/1 du bras. / 0/1 arm column."),
        covariates: str = typer.Option("", "--covariates", help="a,b,c"),
        cluster: str = typer.Option(None, "--cluster", help="Colonne des grappes. / Cluster column."),
        block: str = typer.Option(None, "--block", help="Colonne des blocs (strates). / Block (stratum) column."),
        weights: str = typer.Option(None, "--weights", help="Colonne des poids. / Weights column."),
        se: str = typer.Option("HC2", "--se", help="classical, HC0-HC3, CR0, CR1, CR2"),
        method: str = typer.Option("ols", "--method", help="ols | diff_in_means | lin | matching | ipw"),
        alpha: float = typer.Option(0.05, "--alpha"),
        missing: str = typer.Option(
            "error", "--missing", help="error (refuser) | drop (exclure, signalé). / error | drop (reported)."
        ),
        ri: int = typer.Option(0, "--ri", help="Tirages d'inférence par randomisation. / Randomisation draws."),
        seed: int = typer.Option(None, "--seed", help="Graine. / Seed."),
        estimand: str = typer.Option(
            None, "--estimand", help="ATE | ATT (ipw : l'un ou l'autre ; matching : ATT). / ATE | ATT (ipw: either; matching: ATT)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Un objet JSON. / One JSON object."),
        as_of: str = typer.Option(None, "--as-of", help="Inclusion au fil de l'eau : évaluer à cette date (AAAA-MM-JJ). / "
                                  "Rolling enrolment: evaluate at this date (YYYY-MM-DD)."),
    ) -> None:
        """Estimer un effet (fichier CSV) ou évaluer un contrat. / Estimate an effect (CSV) or evaluate a contract."""
        if (contract is None) == (data is None):
            raise InvalidInputError(
                "cli.evaluate_usage",
                "Donnez soit un identifiant de contrat, soit --data FICHIER.csv (pas les deux).",
                "Give either a contract id or --data FILE.csv (not both).",
                hint_fr="Exemple : temoin evaluate --data essai.csv --outcome y --treatment t",
                hint_en="Example: temoin evaluate --data trial.csv --outcome y --treatment t",
            )
        if contract is not None:
            from temoin.cli.enrolment import as_of_date
            from temoin.services.evaluations import evaluate_contract

            results = evaluate_contract(engine(), contract, actor="cli", as_of=as_of_date(as_of))
            if as_json:
                print_json(_clean([r.to_dict() for r in results]))
                return
            from temoin.i18n import Translator

            words = Translator(lang())
            for r in results:
                imp, low = _num(words, r.improvement, 4), _num(words, r.improvement_lower, 4)
                console.print(
                    f"[bold]{r.indicator}[/] — {r.wave} : "
                    + t(f"amélioration {imp} (borne basse {low}), ", f"improvement {imp} (lower bound {low}), ")
                    + (r.grade.label_fr if lang() == "fr" else r.grade.label_en)
                )
                _print_estimate(r.effect.to_dict())
            return
        if not outcome or not treatment:
            raise InvalidInputError(
                "cli.evaluate_columns",
                "Avec --data, indiquez --outcome et --treatment.",
                "With --data, give --outcome and --treatment.",
            )
        if missing not in ("error", "drop"):
            raise InvalidInputError(
                "cli.bad_missing",
                f"--missing {missing!r} : choisissez error ou drop.",
                f"--missing {missing!r}: choose error or drop.",
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

"""``temoin evaluate --data``: the same numbers as the Python call, JSON output, errors without tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from temoin.cli import app
from temoin.evaluation import estimate_effect


@pytest.fixture
def trial(tmp_path: Path) -> tuple[pd.DataFrame, Path]:
    rng = np.random.default_rng(0)
    n = 300
    df = pd.DataFrame({"y": rng.normal(size=n), "t": rng.integers(0, 2, size=n), "age": rng.integers(18, 60, size=n),
                       "site": rng.integers(0, 10, size=n)})
    df["y"] += 0.5 * df["t"] + 0.02 * df["age"]
    path = tmp_path / "trial.csv"
    df.to_csv(path, index=False)
    return df, path


def test_json_output_equals_the_python_call(trial: tuple[pd.DataFrame, Path]) -> None:
    df, path = trial
    res = CliRunner().invoke(app, ["evaluate", "--data", str(path), "--outcome", "y", "--treatment", "t",
                                   "--covariates", "age", "--cluster", "site", "--se", "CR1", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    ref = estimate_effect(df, "y", "t", ["age"], cluster="site", se="CR1")
    for key in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "df"):
        assert out[key] == pytest.approx(getattr(ref, key), rel=1e-12)
    assert (out["n_treated"], out["n_control"], out["se_type"], out["method"]) == (ref.n_treated, ref.n_control, "CR1", "ols")
    assert "ri_p_value" not in out


def test_randomisation_p_value_when_asked_and_reproducible(trial: tuple[pd.DataFrame, Path]) -> None:
    _, path = trial
    args = ["evaluate", "--data", str(path), "--outcome", "y", "--treatment", "t", "--method", "diff_in_means",
            "--ri", "500", "--seed", "7", "--json"]
    a = json.loads(CliRunner().invoke(app, args).stdout)
    b = json.loads(CliRunner().invoke(app, args).stdout)
    assert 0 < a["ri_p_value"] <= 1 and a["ri_p_value"] == b["ri_p_value"]


def test_french_excel_csv_with_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("résultat;bras\n1,5;0\n2,5;1\n3,0;0\n4,5;1\n".encode("latin-1"))
    res = CliRunner().invoke(app, ["evaluate", "--data", str(path), "--outcome", "résultat", "--treatment", "bras",
                                   "--method", "diff_in_means", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["estimate"] == pytest.approx(1.25)


def test_errors_are_printed_in_french_without_traceback(trial: tuple[pd.DataFrame, Path]) -> None:
    _, path = trial
    res = CliRunner().invoke(app, ["--lang", "fr", "evaluate", "--data", str(path), "--outcome", "y", "--treatment", "arm"])
    assert res.exit_code == 1
    assert "Colonne(s) absente(s)" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["--lang", "en", "evaluate"])
    assert res.exit_code == 1 and "either a contract id or --data" in res.output


def test_human_output_names_the_standard_error(trial: tuple[pd.DataFrame, Path]) -> None:
    _, path = trial
    res = CliRunner().invoke(app, ["--lang", "en", "evaluate", "--data", str(path), "--outcome", "y", "--treatment", "t"])
    assert res.exit_code == 0, res.output
    assert "Estimated effect" in res.output and "HC2" in res.output

"""Bad input gives a clear, bilingual error or a reported decision, never a crash or a silent number."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from temoin.errors import InvalidInputError
from temoin.evaluation import estimate_effect
from temoin.i18n import Translator

FR, EN = Translator("fr"), Translator("en")


@pytest.fixture
def df() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 120
    return pd.DataFrame(
        {
            "y": rng.normal(size=n),
            "t": np.tile([0, 1], n // 2),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "c": np.repeat(np.arange(12), 10),
        }
    )


@dataclass(frozen=True)
class Said:
    """An error as each reader reads it."""

    code: str
    fr: str
    en: str
    hint_fr: str | None
    hint_en: str | None


def _err(excinfo: pytest.ExceptionInfo[InvalidInputError]) -> Said:
    e = excinfo.value
    said = Said(e.code, FR.error_message(e), EN.error_message(e), FR.error_hint(e), EN.error_hint(e))
    assert said.fr and said.en and said.fr != said.en
    assert "label:" not in said.fr + said.en  # every code is shown by its label
    return said


def test_missing_column_is_named_with_the_available_ones(df: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["x", "agee"])
    e = _err(ei)
    assert e.code == "evaluation.unknown_column"
    assert "'agee'" in e.en and "x" in (e.hint_en or "")


def test_non_binary_treatment_lists_values(df: pd.DataFrame) -> None:
    df["t"] = np.tile([0, 1, 2], 40)
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t")
    assert _err(ei).code == "evaluation.treatment_not_binary"
    assert "2" in _err(ei).en


def test_text_treatment_is_refused_by_name(df: pd.DataFrame) -> None:
    df["t"] = np.where(df["t"] == 1, "programme", "témoin")
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t")
    assert "'t'" in _err(ei).en


def test_one_empty_arm(df: pd.DataFrame) -> None:
    df["t"] = 1
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t")
    assert _err(ei).code == "evaluation.empty_arm"


def test_constant_outcome(df: pd.DataFrame) -> None:
    df["y"] = 3.0
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t")
    assert _err(ei).code == "evaluation.constant_outcome"


def test_missing_values_refused_by_default_and_dropped_only_when_asked(df: pd.DataFrame) -> None:
    df.loc[[3, 7, 8], "x"] = np.nan
    df.loc[[10], "y"] = np.nan
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["x"])
    e = _err(ei)
    assert e.code == "evaluation.missing_values"
    assert "x (3)" in e.en and "y (1)" in e.en
    r = estimate_effect(df, "y", "t", ["x"], missing="drop")
    assert r.n_treated + r.n_control == 116
    assert any("4 row(s) dropped" in EN.render(n) for n in r.notes)
    assert any("4 ligne(s) exclue(s)" in FR.render(n) for n in r.notes)
    ref = estimate_effect(df.dropna(), "y", "t", ["x"])
    assert r.estimate == pytest.approx(ref.estimate, rel=1e-12)


def test_collinear_covariates_are_named(df: pd.DataFrame) -> None:
    df["x_plus_z"] = df["x"] + 2 * df["z"]
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["x", "z", "x_plus_z"])
    e = _err(ei)
    assert e.code == "evaluation.collinear"
    assert all(name in e.en for name in ("x", "z", "x_plus_z"))


def test_constant_covariate_is_named(df: pd.DataFrame) -> None:
    df["k"] = 0.1
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["x", "k"])
    assert "k" in _err(ei).en


def test_covariate_equal_to_treatment_is_named(df: pd.DataFrame) -> None:
    df["arm_copy"] = df["t"] * 1.0
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["arm_copy"])
    assert "arm_copy" in _err(ei).en


def test_fewer_than_two_clusters(df: pd.DataFrame) -> None:
    df["c"] = 5
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", cluster="c", se="CR1")
    assert _err(ei).code == "evaluation.too_few_clusters"


def test_cluster_se_without_cluster(df: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", se="CR1")
    assert _err(ei).code == "evaluation.cluster_needed"


def test_unknown_se_and_method(df: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError):
        estimate_effect(df, "y", "t", se="HC9")
    with pytest.raises(InvalidInputError):
        estimate_effect(df, "y", "t", method="magic")


def test_text_covariate_says_how_to_code_it(df: pd.DataFrame) -> None:
    df["city"] = np.where(df["x"] > 0, "Lyon", "Lille")
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "t", ["city"])
    e = _err(ei)
    assert e.code == "evaluation.not_numeric" and "0/1" in (e.hint_en or "")


def test_error_renders_in_french(df: pd.DataFrame) -> None:
    with pytest.raises(InvalidInputError) as ei:
        estimate_effect(df, "y", "traitement")
    assert "Colonne(s) absente(s)" in FR.error(ei.value)

"""CR2 and Bell–McCaffrey degrees of freedom against a direct matrix computation of the formula.

The reference below forms the full n×n hat matrix and each (I - H_gg)^(-1/2) by eigen-decomposition,
exactly as written in Bell & McCaffrey (2002) and Pustejovsky & Tipton (2018); the kernel never does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from temoin.evaluation import estimate_effect
from temoin.evaluation.estimators._design import prepare
from temoin.evaluation.estimators.linear import build_design
from temoin.evaluation.estimators.ols import fit_ols
from temoin.evaluation.estimators.vcov import _cr2, bell_mccaffrey_df
from temoin.i18n import Translator

EN = Translator("en")


def _direct_cr2(
    x: np.ndarray, y: np.ndarray, cl: np.ndarray, w: np.ndarray | None, j: int, random_effects: bool = True
) -> tuple[float, float]:
    ones = np.ones(len(y)) if w is None else np.sqrt(w)
    if w is not None:
        x = x * np.sqrt(w)[:, None]
        y = y * np.sqrt(w)
    n = len(y)
    b = np.linalg.inv(x.T @ x)
    beta = b @ x.T @ y
    e = y - x @ beta
    h = x @ b @ x.T
    imh = np.eye(n) - h
    c = np.zeros(x.shape[1])
    c[j] = 1.0
    meat = np.zeros((x.shape[1], x.shape[1]))
    gcols = []
    for g in np.unique(cl):
        idx = np.flatnonzero(cl == g)
        vals, vecs = np.linalg.eigh(np.eye(len(idx)) - h[np.ix_(idx, idx)])
        a = vecs @ np.diag(vals**-0.5) @ vecs.T
        u = x[idx].T @ a @ e[idx]
        meat += np.outer(u, u)
        p = a @ x[idx] @ b @ c
        gcols.append(imh[:, idx] @ p)
    v = b @ meat @ b
    gm = np.column_stack(gcols)
    omega = np.eye(n)
    if random_effects:  # Imbens-Kolesar working model: cluster random effects, rho from the residuals
        raw = e / ones
        same = cl[:, None] == cl[None, :]
        off = same & ~np.eye(n, dtype=bool)
        between = np.sum(np.outer(raw, raw)[off]) / off.sum()
        total = raw @ raw / (n - x.shape[1])
        rho = max(between, 0.0) / (total - max(between, 0.0))
        omega = omega + rho * np.outer(ones, ones) * same
    m = gm.T @ omega @ gm
    return float(np.sqrt(v[j, j])), float(np.trace(m) ** 2 / np.trace(m @ m))


def _data(seed: int, g: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 25, size=g)
    cl = np.repeat(np.arange(g), sizes)[:n]
    n = len(cl)
    treated_cl = rng.permutation(g) < g // 2
    t = treated_cl[cl].astype(int)
    x1 = rng.normal(size=n)
    y = 1 + 0.3 * t + x1 + rng.normal(size=g)[cl] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t, "x1": x1, "x2": rng.normal(size=n), "c": cl, "w": rng.uniform(0.5, 2, n)})


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cr2_and_bell_mccaffrey_df_equal_the_direct_formula(seed: int, weighted: bool) -> None:
    df = _data(seed, g=14, n=400)
    x = np.column_stack([np.ones(len(df)), df["t"], df["x1"], df["x2"]])
    w = df["w"].to_numpy() if weighted else None
    se_ref, df_ref = _direct_cr2(x, df["y"].to_numpy(), df["c"].to_numpy(), w, 1)
    got = estimate_effect(df, "y", "t", ["x1", "x2"], cluster="c", se="CR2", weights="w" if weighted else None)
    np.testing.assert_allclose(got.std_error, se_ref, rtol=1e-8, err_msg="CR2 SE differs from the formula")
    np.testing.assert_allclose(got.df, df_ref, rtol=1e-8, err_msg="Bell-McCaffrey df differs")
    # the original Bell-McCaffrey working model (independent errors), through the kernel's own function
    p = prepare(df, "y", "t", ["x1", "x2"], cluster="c", weights="w" if weighted else None)
    xd, names, _ = build_design(p, "ols")
    fit = fit_ols(xd, p.y, names, p.weights)
    df_ind = float(bell_mccaffrey_df(_cr2(fit, p.cluster, p.n_clusters, 1), 0.0))  # type: ignore[arg-type]
    _, df_ind_ref = _direct_cr2(x, df["y"].to_numpy(), df["c"].to_numpy(), w, 1, random_effects=False)
    np.testing.assert_allclose(df_ind, df_ind_ref, rtol=1e-8)
    # the small-sample df is well below the G - 1 = 13 of CR1 with so few clusters
    assert got.df < 13


def test_cr2_with_singleton_clusters_is_hc2() -> None:
    df = _data(4, g=30, n=300)
    df["c"] = np.arange(len(df))
    cr2 = estimate_effect(df, "y", "t", ["x1"], cluster="c", se="CR2")
    hc2 = estimate_effect(df, "y", "t", ["x1"], se="HC2")
    np.testing.assert_allclose(cr2.std_error, hc2.std_error, rtol=1e-10)


def test_cluster_given_with_hc_type_switches_to_cluster_type_and_says_so() -> None:
    df = _data(5, g=12, n=200)
    r = estimate_effect(df, "y", "t", cluster="c")  # default se="HC2"
    assert r.se_type == "CR2"
    assert any("CR2" in EN.render(note) for note in r.notes)
    assert r.n_clusters == 12

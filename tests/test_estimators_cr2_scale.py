"""CR2 and its degrees of freedom computed cluster by cluster, against direct computations.

References written out here: the n × n hat matrix with each (I - H_gg)^(-1/2) by eigen-decomposition
(pseudo-inverse where an eigenvalue is 0, i.e. a leverage eigenvalue is 1) and M = G'ΩG formed as a
G × G matrix (Bell & McCaffrey 2002; Imbens & Kolesár 2016; Pustejovsky & Tipton 2018); the HC
variances from whole-array numpy sums. Each reaches a branch that mutation testing found untested:
the row chunks of the HC kernels (more than 262,144 rows), a fully fitted cluster, clusters of one
row (eigenvalues 0), several batches of clusters, the per-cluster product path of the Gram matrices,
and the working model's edge cases (negative correlation, correlation of 1 or more).
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from temoin.errors import InvalidInputError
from temoin.evaluation import estimate_effect
from temoin.evaluation.estimators import cr2 as cr2_module
from temoin.evaluation.estimators._design import prepare
from temoin.evaluation.estimators.batch import batch_effects
from temoin.evaluation.estimators.linear import build_design
from temoin.evaluation.estimators.ols import OLSFit, fit_ols
from temoin.evaluation.estimators.vcov import cr2_parts, vcov
from temoin.i18n import Translator

FR, EN = Translator("fr"), Translator("en")


def _fr_number(x: float) -> str:
    """``x`` to three significant digits, written as in French (decimal comma, minus sign)."""
    return f"{x:.3g}".replace(".", ",").replace("-", "\u2212")


def _en_number(x: float) -> str:
    return f"{x:.3g}".replace("-", "\u2212")

Arr = np.ndarray


def _dense(
    x: Arr, y: Arr, cl: Arr, w: Arr | None, j: int, model: str | float
) -> tuple[float, float, Arr]:
    """CR2 SE, Satterthwaite df and the stacked p_g = A_g X_g B c, from n × n matrices.

    ``model``: "independent" (Ω = I), "fully" (Ω = blockdiag(r r')), or a ratio ρ (Ω = I + ρ blockdiag(r r')).
    """
    r = np.ones(len(y)) if w is None else np.sqrt(w)
    x, y = x * r[:, None], y * r
    n, k = x.shape
    b = np.linalg.inv(x.T @ x)
    e = y - x @ (b @ x.T @ y)
    h = x @ b @ x.T
    imh = np.eye(n) - h
    c = np.zeros(k)
    c[j] = 1.0
    meat = np.zeros((k, k))
    pvec = np.zeros(n)
    cols = []
    for g in np.unique(cl):
        idx = np.flatnonzero(cl == g)
        vals, vecs = np.linalg.eigh(np.eye(len(idx)) - h[np.ix_(idx, idx)])
        inv_sqrt = np.where(vals > 1e-8, 1 / np.sqrt(np.clip(vals, 1e-300, None)), 0.0)  # pseudo-inverse
        a = vecs @ np.diag(inv_sqrt) @ vecs.T
        u = x[idx].T @ a @ e[idx]
        meat += np.outer(u, u)
        p = a @ x[idx] @ b @ c
        pvec[idx] = p
        cols.append(imh[:, idx] @ p)
    gm = np.column_stack(cols)
    same = (cl[:, None] == cl[None, :]) * np.outer(r, r)
    omega = {"independent": np.eye(n), "fully": same}.get(model) if isinstance(model, str) else np.eye(n) + model * same
    m = gm.T @ omega @ gm
    v = b @ meat @ b
    return float(np.sqrt(v[j, j])), float(np.trace(m) ** 2 / np.trace(m @ m)), pvec


def _moulton(x: Arr, y: Arr, cl: Arr, w: Arr | None) -> tuple[float, float]:
    """Intra-cluster correlation of the OLS residuals and ρ = σ²_u/σ²_e as documented in cr2.py."""
    r = np.ones(len(y)) if w is None else np.sqrt(w)
    xw = x * r[:, None]
    beta = np.linalg.lstsq(xw, y * r, rcond=None)[0]
    raw = y - x @ beta
    n, k = x.shape
    same = (cl[:, None] == cl[None, :]) & ~np.eye(n, dtype=bool)
    between = np.outer(raw, raw)[same].mean()
    total = raw @ raw / (n - k)
    return between / total, between / (total - between)


def _fit(df: pd.DataFrame, covariates: list[str], *, block: str | None = None, weights: str | None = None,
         method: str = "ols") -> tuple[OLSFit, Arr, int, Arr]:
    p = prepare(df, "y", "t", covariates, cluster="c", block=block, weights=weights)
    x, names, _ = build_design(p, method)
    fit = fit_ols(x, p.y, names, p.weights)
    assert p.cluster is not None
    return fit, p.cluster, p.n_clusters, x


def _clustered(seed: int, g: int, lo: int = 2, hi: int = 25, within: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cl = np.repeat(np.arange(g), rng.integers(lo, hi, g))
    n = len(cl)
    t = rng.integers(0, 2, n) if within else (rng.permutation(g) < g // 2)[cl].astype(int)
    x1 = rng.normal(size=n)
    y = 1 + 0.3 * t + x1 + rng.normal(size=g)[cl] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "t": t, "x1": x1, "x2": rng.normal(size=n), "c": cl, "w": rng.uniform(0.5, 2, n)})


# --- HC kernels: the row chunks ---------------------------------------------------------------

@pytest.mark.parametrize("se", ["HC0", "HC1", "HC2", "HC3"])
def test_hc_variances_over_several_row_chunks_equal_whole_array_sums(se: str) -> None:
    n = 300_000  # more than the 262,144 rows of one chunk
    rng = np.random.default_rng(11)
    x = np.column_stack([np.ones(n), rng.integers(0, 2, n), rng.normal(size=n)])
    y = x @ [1.0, 0.2, -0.5] + rng.normal(size=n) * (1 + np.abs(x[:, 2]))
    fit = fit_ols(x, y, ["c", "t", "x"])
    b = np.linalg.inv(x.T @ x)
    e = y - x @ (b @ x.T @ y)
    h = np.sum((x @ b) * x, axis=1)
    omega = {"HC0": e**2, "HC1": e**2 * n / (n - 3), "HC2": e**2 / (1 - h), "HC3": e**2 / (1 - h) ** 2}[se]
    ref = b @ (x.T @ (x * omega[:, None])) @ b
    got = vcov(fit, se)
    np.testing.assert_allclose(got.matrix, ref, rtol=1e-9, err_msg=f"{se} over row chunks")
    assert got.df == n - 3 and got.df_method is None


# --- CR2: direct computation on small data ----------------------------------------------------

@pytest.mark.parametrize("weighted", [False, True])
def test_fully_fitted_clusters_take_the_pseudo_inverse(weighted: bool) -> None:
    """Each cluster is its own block (fixed effect): one leverage eigenvalue of each cluster is 1."""
    df = _clustered(3, g=9, lo=3, hi=12, within=True)
    w = df["w"].to_numpy() if weighted else None
    fit, codes, g, x = _fit(df, ["x1"], block="c", weights="w" if weighted else None)
    cl = df["c"].to_numpy()
    for model in ("independent", "ik"):
        icc, rho = _moulton(x, df["y"].to_numpy(), cl, w)
        se, dof, pvec = _dense(x, df["y"].to_numpy(), cl, w, 1, "independent" if model == "independent" or icc <= 0 else rho)
        got = vcov(fit, "CR2", cluster=codes, n_clusters=g, df_method="bell_mccaffrey" if model == "independent" else "imbens_kolesar")
        np.testing.assert_allclose(np.sqrt(got.matrix[1, 1]), se, rtol=1e-9, err_msg="CR2 SE with fixed effects")
        np.testing.assert_allclose(got.df, dof, rtol=1e-8, err_msg=f"df ({model}) with fixed effects")
    # p_g = A_g X_g B c with the fully fitted direction removed (pseudo-inverse), row by row
    np.testing.assert_allclose(cr2_parts(fit, codes, g, 1).pvec, pvec, rtol=1e-8, atol=1e-12)


def test_a_single_treated_cluster_has_its_treatment_direction_removed() -> None:
    """The treatment column vanishes outside the one treated cluster, so that cluster fits it fully.

    The removed direction is orthogonal to the residuals and annihilated by I - H: no SE and no df
    depends on how A_g treats it (so a test of those alone cannot tell); p_g = A_g X_g B c does.
    """
    rng = np.random.default_rng(7)
    cl = np.repeat(np.arange(8), 5)
    df = pd.DataFrame({"y": rng.normal(size=40), "t": (cl == 0).astype(int), "c": cl, "x1": rng.normal(size=40)})
    fit, codes, g, x = _fit(df, ["x1"])
    se, dof, pvec = _dense(x, df["y"].to_numpy(), cl, None, 1, "independent")
    parts = cr2_parts(fit, codes, g, 1)
    # the removed direction carries most of the treated cluster's X_g B c: what A_g does with it shows
    xbc = fit.xw[cl == 0] @ fit.bread[:, 1]
    assert np.linalg.norm(xbc) > 10 * np.linalg.norm(pvec[cl == 0]) > 0
    np.testing.assert_allclose(parts.pvec, pvec, rtol=1e-8, atol=1e-12, err_msg="p_g with a fully fitted direction")
    got = vcov(fit, "CR2", cluster=codes, n_clusters=g, df_method="bell_mccaffrey")
    np.testing.assert_allclose([np.sqrt(got.matrix[1, 1]), got.df], [se, dof], rtol=1e-9)


def test_residuals_all_zero_estimate_no_correlation() -> None:
    """No within-cluster covariance: ρ = 0 (the working model is then Bell–McCaffrey's)."""
    df = _clustered(14, g=10)
    fit, codes, g, _ = _fit(df, ["x1"])
    parts = cr2_parts(fit, codes, g, 1)
    model = cr2_module.working_model(parts, np.zeros(fit.n), fit.n, fit.k)
    assert (float(model.rho), float(model.icc)) == (0.0, 0.0)
    both = cr2_module.working_model(parts, np.column_stack([np.zeros(fit.n), fit.resid_w]), fit.n, fit.k)
    icc, rho = _moulton(fit.xw, df["y"].to_numpy(), df["c"].to_numpy(), None)
    np.testing.assert_allclose(both.rho, [0.0, rho], rtol=1e-10)
    np.testing.assert_allclose(both.icc, [0.0, icc], rtol=1e-10)


def test_clusters_of_one_row_have_zero_eigenvalues_and_give_hc2() -> None:
    df = _clustered(4, g=60, lo=1, hi=2)
    fit, codes, g, x = _fit(df, ["x1", "x2"])
    assert g == len(df)
    cr2 = vcov(fit, "CR2", cluster=codes, n_clusters=g, df_method="bell_mccaffrey")
    hc2 = vcov(fit, "HC2")
    np.testing.assert_allclose(cr2.matrix, hc2.matrix, rtol=1e-10)
    se, dof, pvec = _dense(x, df["y"].to_numpy(), df["c"].to_numpy(), None, 1, "independent")
    np.testing.assert_allclose([np.sqrt(cr2.matrix[1, 1]), cr2.df], [se, dof], rtol=1e-9)
    np.testing.assert_allclose(cr2_parts(fit, codes, g, 1).pvec, pvec, rtol=1e-9, atol=1e-13)
    ik = vcov(fit, "CR2", cluster=codes, n_clusters=g)  # no two rows in a cluster: no correlation to estimate
    assert ik.df == pytest.approx(cr2.df, rel=1e-12) and ik.notes == ()


@pytest.mark.parametrize(("cells", "pairwise_max_k"), [(1 << 20, 8), (48, 8), (1 << 20, 0), (80, 0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_batches_of_clusters_and_both_gram_paths_equal_the_direct_formula(
    monkeypatch: pytest.MonkeyPatch, cells: int, pairwise_max_k: int, weighted: bool
) -> None:
    """Small batches (3 to 5 clusters) and the per-cluster product path for the Gram matrices."""
    monkeypatch.setattr(cr2_module, "BATCH_CELLS", cells)
    monkeypatch.setattr(cr2_module, "PAIRWISE_MAX_K", pairwise_max_k)
    df = _clustered(5, g=17).sample(frac=1.0, random_state=2)  # rows not sorted by cluster
    w = df["w"].to_numpy() if weighted else None
    fit, codes, g, x = _fit(df, ["x1", "x2"], weights="w" if weighted else None)
    cl = df["c"].to_numpy()
    icc, rho = _moulton(x, df["y"].to_numpy(), cl, w)
    assert icc > 0
    se, df_ik, pvec = _dense(x, df["y"].to_numpy(), cl, w, 1, rho)
    _, df_bm, _ = _dense(x, df["y"].to_numpy(), cl, w, 1, "independent")
    ik = vcov(fit, "CR2", cluster=codes, n_clusters=g)
    bm = vcov(fit, "CR2", cluster=codes, n_clusters=g, df_method="bell_mccaffrey")
    np.testing.assert_allclose([np.sqrt(ik.matrix[1, 1]), ik.df, bm.df], [se, df_ik, df_bm], rtol=1e-9)
    assert ik.matrix.tolist() == bm.matrix.tolist()
    assert (ik.df_method, bm.df_method) == ("imbens_kolesar", "bell_mccaffrey")
    np.testing.assert_allclose(cr2_parts(fit, codes, g, 1).pvec, pvec, rtol=1e-9, atol=1e-13)


def test_many_columns_take_the_per_cluster_product_path() -> None:
    """Lin's estimator with 5 covariates: 12 columns, more than PAIRWISE_MAX_K."""
    rng = np.random.default_rng(6)
    df = _clustered(6, g=15)
    for j in range(3, 6):
        df[f"x{j}"] = rng.normal(size=len(df))
    covs = ["x1", "x2", "x3", "x4", "x5"]
    fit, codes, g, x = _fit(df, covs, method="lin")
    assert fit.k > cr2_module.PAIRWISE_MAX_K
    se, dof, _ = _dense(x, df["y"].to_numpy(), df["c"].to_numpy(), None, 1, "independent")
    got = vcov(fit, "CR2", cluster=codes, n_clusters=g, df_method="bell_mccaffrey")
    np.testing.assert_allclose([np.sqrt(got.matrix[1, 1]), got.df], [se, dof], rtol=1e-9)


# --- the working model's edge cases ------------------------------------------------------------

def test_negative_intra_cluster_correlation_is_set_to_zero_and_said() -> None:
    rng = np.random.default_rng(8)
    cl = np.repeat(np.arange(12), 6)
    n = len(cl)
    u = rng.normal(size=n)
    u -= 1.3 * np.repeat(np.bincount(cl, weights=u) / 6, 6)  # errors negatively correlated within clusters
    t = (np.arange(12) % 2)[cl]
    df = pd.DataFrame({"y": 0.5 * t + u, "t": t, "c": cl, "x1": rng.normal(size=n)})
    _, _, _, x = _fit(df, ["x1"])
    icc, _ = _moulton(x, df["y"].to_numpy(), cl, None)
    assert icc < 0
    _, df_bm, _ = _dense(x, df["y"].to_numpy(), cl, None, 1, "independent")
    r = estimate_effect(df, "y", "t", ["x1"], cluster="c", se="CR2")
    assert r.df == pytest.approx(df_bm, rel=1e-9) and r.df_method == "imbens_kolesar"
    assert [FR.render(n) for n in r.notes] == [
        f"Corrélation intra-grappe des résidus estimée négative ({_fr_number(icc)}) : le modèle de travail "
        "d'Imbens–Kolesár la fixe à 0, ses degrés de liberté sont ceux de Bell–McCaffrey."]
    assert [EN.render(n) for n in r.notes] == [
        f"The residuals' estimated intra-cluster correlation is negative ({_en_number(icc)}): the "
        "Imbens–Kolesár working model sets it to 0, so its degrees of freedom are Bell–McCaffrey's."]


def test_correlation_of_one_or_more_takes_errors_fully_correlated_within_clusters() -> None:
    """Residuals constant within clusters, two large clusters (same arm) holding most of their variance."""
    sizes = [20, 20, 2, 3, 2, 2, 3, 2, 2, 3]
    cl = np.repeat(np.arange(len(sizes)), sizes)
    level = np.array([3.0, -3.0, 0.1, -0.2, 0.3, 0.5, -0.5, 0.2, -0.1, 0.2])
    t = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])[cl]
    df = pd.DataFrame({"y": level[cl], "t": t, "c": cl})
    fit, codes, g, x = _fit(df, [])
    icc, _ = _moulton(x, df["y"].to_numpy(), cl, None)
    assert icc >= 1
    _, df_full, _ = _dense(x, df["y"].to_numpy(), cl, None, 1, "fully")
    got = vcov(fit, "CR2", cluster=codes, n_clusters=g)
    assert got.df == pytest.approx(df_full, rel=1e-8)
    assert [FR.render(n) for n in got.notes] == [
        f"Corrélation intra-grappe des résidus estimée à {_fr_number(icc)} (1 ou plus) : le modèle de travail "
        "d'Imbens–Kolesár prend des erreurs entièrement corrélées dans chaque grappe."]
    assert [EN.render(n) for n in got.notes] == [
        f"The residuals' estimated intra-cluster correlation is {_en_number(icc)} (1 or more): the "
        "Imbens–Kolesár working model takes errors fully correlated within each cluster."]
    # the limit of the finite-ρ formula
    parts = cr2_parts(fit, codes, g, 1)
    assert float(cr2_module.bell_mccaffrey_df(parts, 1e9)) == pytest.approx(df_full, rel=1e-6)


def test_batch_effects_take_the_same_df_per_column() -> None:
    df = _clustered(9, g=20)
    rng = np.random.default_rng(9)
    ys = np.column_stack([df["y"].to_numpy(), rng.normal(size=len(df)), df["y"].to_numpy() * 2 + 1])
    got = batch_effects(df, ys, "t", ["x1"], cluster="c", se="CR2")
    for j in range(ys.shape[1]):
        one = estimate_effect(df.assign(y=ys[:, j]), "y", "t", ["x1"], cluster="c", se="CR2")
        np.testing.assert_allclose([got.std_error[j], got.df[j]], [one.std_error, one.df], rtol=1e-9)


def test_refusals_name_the_field_the_value_and_what_to_do() -> None:
    df = _clustered(10, g=8)
    fit, codes, g, _ = _fit(df, [])
    cases = [
        (lambda: vcov(fit, "CR2", cluster=codes, n_clusters=g, df_method="satterthwaite"),
         ("evaluation.bad_df_method", "df_method", "Degrés de liberté inconnus : 'satterthwaite'.",
          "Unknown degrees of freedom: 'satterthwaite'.", "Choisissez parmi imbens_kolesar, bell_mccaffrey.",
          "Choose among imbens_kolesar, bell_mccaffrey.")),
        (lambda: vcov(fit, "HC4"),
         ("evaluation.bad_se_type", "se", "Type d'erreur type inconnu : 'HC4'.", "Unknown standard-error type: 'HC4'.",
          "Choisissez parmi classical, HC0, HC1, HC2, HC3, CR0, CR1, CR2.",
          "Choose among classical, HC0, HC1, HC2, HC3, CR0, CR1, CR2.")),
        (lambda: vcov(fit, "CR1"),
         ("evaluation.cluster_needed", "cluster", "L'erreur type par grappe CR1 demande une colonne de grappes.",
          "The cluster-robust standard error CR1 needs a cluster column.",
          "Indiquez la colonne des grappes, ou choisissez une erreur type HC.",
          "Give the cluster column, or choose an HC standard error.")),
    ]
    for bad in (codes - 1, codes + 1):  # codes are 0..G-1; a code out of range is refused, not summed out of bounds
        cases.append((lambda bad=bad: vcov(fit, "CR1", cluster=bad, n_clusters=g),  # type: ignore[misc]
                      ("evaluation.bad_cluster_codes", "cluster", "Codes de grappe hors de 0..7.",
                       "Cluster codes outside 0..7.", None, None)))
    # a block of one observation: its leverage is 1, HC2 and HC3 are undefined
    single = df.assign(b=np.where(np.arange(len(df)) == 0, 1, 0))
    fit_b, _, _, _ = _fit(single, [], block="b")
    for se in ("HC2", "HC3"):
        cases.append((lambda se=se: vcov(fit_b, se),  # type: ignore[misc]
                      ("evaluation.leverage_one", "se",
                       f"Une observation a un levier de 1 : l'erreur type robuste {se} n'est pas définie.",
                       f"An observation has leverage 1: the robust standard error {se} is undefined.",
                       "Une strate ou une covariable isole une seule observation ; regroupez les strates ou utilisez HC1.",
                       "A block or covariate isolates a single observation; merge blocks or use HC1.")))
    for call, expected in cases:
        with pytest.raises(InvalidInputError) as err:
            call()
        e = err.value
        said = (FR.error_message(e), EN.error_message(e), FR.error_hint(e), EN.error_hint(e))
        assert (e.code, e.path, *said) == expected
    assert np.isfinite(vcov(fit_b, "HC1").matrix).all()  # HC1 needs no leverage


# --- scale: linear in clusters -----------------------------------------------------------------

def test_twenty_thousand_clusters_need_no_cluster_by_cluster_matrix() -> None:
    """A G × G matrix of 20,000 clusters would take 3.2 GB; the summaries take a few MB."""
    rng = np.random.default_rng(12)
    g = 20_000
    cl = np.repeat(np.arange(g), 3)
    t = (rng.random(g) < 0.5)[cl].astype(float)
    df = pd.DataFrame({"y": t * 0.1 + rng.normal(size=g)[cl] + rng.normal(size=3 * g), "t": t, "c": cl})
    tracemalloc.start()
    r = estimate_effect(df, "y", "t", cluster="c", se="CR2")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 60e6, f"peak {peak / 1e6:.0f} MB"
    assert 0.9 * (g - 2) < r.df < g and 0 < r.std_error < 0.05


def test_two_thousand_clusters_equal_the_cluster_by_cluster_matrices() -> None:
    """50,000 rows: A_g by eigen-decomposition of each n_g × n_g block, M as G × G matrices."""
    rng = np.random.default_rng(13)
    g = 2_000
    cl = rng.integers(0, g, 50_000)
    cl = cl[np.isin(cl, np.flatnonzero(np.bincount(cl, minlength=g) > 0))]
    n = len(cl)
    t = (rng.random(g) < 0.4)[cl].astype(float)
    x1 = rng.normal(size=n)
    y = 0.2 * t + x1 + 0.5 * rng.normal(size=g)[cl] + rng.normal(size=n)
    df = pd.DataFrame({"y": y, "t": t, "x1": x1, "c": cl})
    fit, codes, n_cl, _ = _fit(df, ["x1"])
    xw, e, b = fit.xw, fit.resid_w, fit.bread
    bc = b[:, 1]
    k = fit.k
    meat = np.zeros((k, k))
    pp, q, d, f = np.empty(n_cl), np.empty((k, n_cl)), np.empty(n_cl), np.empty((n_cl, k))
    for c in range(n_cl):
        idx = np.flatnonzero(codes == c)
        xg = xw[idx]
        vals, vecs = np.linalg.eigh(np.eye(len(idx)) - xg @ b @ xg.T)
        a = vecs @ np.diag(vals**-0.5) @ vecs.T
        u = xg.T @ a @ e[idx]
        meat += np.outer(u, u)
        p = a @ xg @ bc
        pp[c], q[:, c], d[c], f[c] = p @ p, xg.T @ p, p.sum(), xg.sum(axis=0)
    m0 = np.diag(pp) - q.T @ b @ q  # G'G (Kolesár's dfadjust vignette, "Degrees of freedom correction")
    ll = np.diag(d) - f @ b @ q
    raw = e
    same_sum = np.bincount(codes, weights=raw) ** 2
    between = (same_sum.sum() - raw @ raw) / np.sum(np.bincount(codes) * (np.bincount(codes) - 1))
    rho = between / (raw @ raw / (n - k) - between)
    m_ik = m0 + rho * ll.T @ ll
    se = np.sqrt((b @ meat @ b)[1, 1])
    ik = vcov(fit, "CR2", cluster=codes, n_clusters=n_cl)
    bm = vcov(fit, "CR2", cluster=codes, n_clusters=n_cl, df_method="bell_mccaffrey")
    np.testing.assert_allclose(np.sqrt(ik.matrix[1, 1]), se, rtol=1e-10)
    np.testing.assert_allclose(bm.df, np.trace(m0) ** 2 / np.sum(m0 * m0), rtol=1e-8)
    np.testing.assert_allclose(ik.df, np.trace(m_ik) ** 2 / np.sum(m_ik * m_ik), rtol=1e-8)

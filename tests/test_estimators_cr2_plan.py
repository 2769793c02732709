"""The CR2 degrees-of-freedom choice in the analysis plan: default, hash, amendment, and the run.

A contract that does not name ``df_method`` keeps Imbens–Kolesár (today's default) and its plan hash:
the hashes below are those Témoin computed for the bundled examples before the field existed, so a
plan locked then still matches its contract. Choosing Bell–McCaffrey changes the hash, shows as an
amendment of ``analysis_plan.df_method``, and is what the locked plan's run uses.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from temoin.contract.loading import contract_to_data, parse_contract
from temoin.contract.model import Contract
from temoin.evaluation import estimate_effect
from temoin.evaluation.plan import diff_plans, plan_document, plan_hash
from temoin.evaluation.run import outcome_column, run_plan
from temoin.examples import load_example

HASHES_BEFORE_THE_FIELD = {
    "aemo-renforcee": "115eb7e9825c4d29db6075523c06f161b8867a64c4a972cbc7fba8fbc494108f",
    "cravate-solidaire": "79440fe9e5c83c6b6cd48bf3c871bd6a3d65ac034c69598f38f62717cde71c3c",
    "relais-familial": "a233a9335e261b62db94e538f9ff89476e043c526c1ac651e2bb142741cae3ad",
}


@pytest.mark.parametrize("name", sorted(HASHES_BEFORE_THE_FIELD))
def test_contracts_without_the_field_keep_the_default_and_their_hash(name: str) -> None:
    contract = load_example(name)
    assert contract.evaluation.analysis_plan.df_method == "imbens_kolesar"
    assert plan_hash(plan_document(contract)) == HASHES_BEFORE_THE_FIELD[name]


def _with_plan(contract: Contract, **plan: Any) -> Contract:
    import yaml

    data = contract_to_data(contract)
    data["evaluation"]["analysis_plan"].update(plan)
    return parse_contract(yaml.safe_dump(data, allow_unicode=True))


def test_bell_mccaffrey_is_in_the_hash_and_shows_as_an_amendment() -> None:
    base = load_example("aemo-renforcee")
    bm = _with_plan(base, df_method="bell_mccaffrey")
    assert bm.evaluation.analysis_plan.df_method == "bell_mccaffrey"
    assert plan_hash(plan_document(bm)) != plan_hash(plan_document(base))
    changes = diff_plans(plan_document(base), plan_document(bm))
    assert changes == [{"field": "analysis_plan.df_method", "before": None, "after": "bell_mccaffrey"}]
    # naming the default explicitly is the same plan as leaving it out
    explicit = _with_plan(base, df_method="imbens_kolesar")
    assert plan_hash(plan_document(explicit)) == HASHES_BEFORE_THE_FIELD["aemo-renforcee"]


def test_an_unknown_choice_is_refused_with_its_path() -> None:
    from temoin.errors import ContractValidationError

    with pytest.raises(ContractValidationError) as err:
        _with_plan(load_example("aemo-renforcee"), df_method="satterthwaite")
    assert any(p.path and p.path.endswith("analysis_plan.df_method") for p in err.value.problems)


def _cluster_trial(df_method: str | None) -> tuple[Contract, pd.DataFrame]:
    """The AEMO contract as a trial randomised by team (12 teams), with a synthetic cohort."""
    import yaml

    data = contract_to_data(load_example("aemo-renforcee"))
    data["population"]["attributes"].append({"name": "team", "label": {"fr": "Équipe", "en": "Team"}, "type": "numeric"})
    ev = data["evaluation"]
    ev.update(design="cluster_rct", cluster="team", strata=[])
    ev["analysis_plan"].update(se_type="CR2", covariates=["age"], secondary_outcomes=[])
    if df_method is not None:
        ev["analysis_plan"]["df_method"] = df_method
    contract = parse_contract(yaml.safe_dump(data, allow_unicode=True))
    rng = np.random.default_rng(21)
    team = np.repeat(np.arange(12), rng.integers(8, 30, 12))
    n = len(team)
    arm = (np.arange(12) % 2)[team]
    frame = pd.DataFrame({
        "pkey": [f"p{i}" for i in range(n)], "eligible": True, "consent": True, "enrolled": True, "arm": arm,
        "age": rng.integers(0, 18, n), "age_band": "6-11", "sex": rng.choice(["F", "M"], n),
        "risk_level": rng.choice(["high", "very_high"], n), "territory": "lille", "prior_placement": False,
        "single_parent": rng.random(n) < 0.4, "siblings": rng.integers(0, 4, n), "team": team,
    })
    frame[outcome_column("placement_days", "m12")] = (
        120 - 30 * arm + 25 * rng.normal(size=12)[team] + 40 * rng.normal(size=n)
    ).round()
    return contract, frame


def test_the_run_uses_the_plan_s_choice_and_names_it() -> None:
    out = {}
    for choice in (None, "bell_mccaffrey"):
        contract, frame = _cluster_trial(choice)
        [result] = run_plan(contract, 1, frame, plan_hash="h").results
        out[choice] = result.effect
    data = frame.assign(_y=frame[outcome_column("placement_days", "m12")], team=frame["team"].astype(str))
    for choice, method in ((None, "imbens_kolesar"), ("bell_mccaffrey", "bell_mccaffrey")):
        ref = estimate_effect(data, "_y", "arm", ["age"], cluster="team", se="CR2", method="ols",
                              df_method=method)
        got = out[choice]
        assert got.df_method == method and got.se_type == "CR2" and got.n_clusters == 12
        np.testing.assert_allclose([got.estimate, got.std_error, got.df], [ref.estimate, ref.std_error, ref.df],
                                   rtol=1e-12)
        assert got.to_dict()["df_method"] == method
    assert out[None].df != pytest.approx(out["bell_mccaffrey"].df, rel=1e-3)

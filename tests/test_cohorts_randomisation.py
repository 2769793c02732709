"""Randomisation is reproducible, balanced where it must be, and pseudonyms are keyed and stable."""

from __future__ import annotations

import numpy as np
import pytest

from temoin.errors import InvalidInputError
from temoin.evaluation.pseudonym import pseudonymise
from temoin.evaluation.randomisation import assignment_hash, randomise

KEYS = [f"p{i:03d}" for i in range(101)]


def test_same_seed_same_assignment_whatever_the_input_order() -> None:
    a = randomise(KEYS, method="simple", seed=7)
    b = randomise(list(reversed(KEYS)), method="simple", seed=7)
    assert a.as_dict() == b.as_dict()
    assert a.list_hash == b.list_hash
    assert a.seed == 7
    c = randomise(KEYS, method="simple", seed=8)
    assert c.list_hash != a.list_hash


def test_simple_treats_round_n_times_ratio() -> None:
    a = randomise(KEYS, method="simple", ratio=0.3, seed=1)
    assert a.n_treated == round(101 * 0.3)


def test_seed_none_records_fresh_entropy_that_reproduces() -> None:
    a = randomise(KEYS, method="simple")
    assert randomise(KEYS, method="simple", seed=a.seed).arms == a.arms


def test_stratified_balances_every_stratum() -> None:
    strata = {k: f"s{i % 7}" for i, k in enumerate(KEYS)}
    a = randomise(KEYS, method="stratified", strata=strata, seed=3)
    arms = a.as_dict()
    for s in set(strata.values()):
        members = [k for k in KEYS if strata[k] == s]
        treated = sum(arms[k] for k in members)
        assert treated in (len(members) // 2, (len(members) + 1) // 2)


def test_stratified_odd_strata_give_the_planned_share_on_average() -> None:
    keys = [f"k{i}" for i in range(9)]
    strata = {k: "a" if i < 3 else "b" for i, k in enumerate(keys)}  # 3 and 6 people
    shares = [randomise(keys, method="stratified", strata=strata, ratio=0.5, seed=s).n_treated for s in range(2000)]
    assert np.mean(shares) == pytest.approx(4.5, abs=0.06)


def test_cluster_members_follow_their_cluster() -> None:
    clusters = {k: f"c{i % 10}" for i, k in enumerate(KEYS)}
    a = randomise(KEYS, method="cluster", clusters=clusters, seed=11).as_dict()
    for c in set(clusters.values()):
        assert len({a[k] for k in KEYS if clusters[k] == c}) == 1
    assert sum({clusters[k]: a[k] for k in KEYS}.values()) == 5


def test_bad_inputs_are_clear_errors() -> None:
    with pytest.raises(InvalidInputError, match="stratum"):
        randomise(KEYS, method="stratified", strata={"p000": "a"}, seed=1)
    with pytest.raises(InvalidInputError, match="twice"):
        randomise(["a", "a", "b"], method="simple", seed=1)


def test_hash_is_the_sorted_list_fingerprint() -> None:
    assert assignment_hash(["b", "a"], [1, 0]) == assignment_hash(["a", "b"], [0, 1])
    assert assignment_hash(["b", "a"], [1, 0]) != assignment_hash(["b", "a"], [0, 1])


def test_pseudonym_is_keyed_per_contract_and_per_secret() -> None:
    k = pseudonymise("ASE-1", "c1", master="m")
    assert k == pseudonymise(" ASE-1", "c1", master="m")
    assert k != pseudonymise("ASE-1", "c2", master="m")
    assert k != pseudonymise("ASE-1", "c1", master="other")
    assert "ASE" not in k and len(k) == 64
    with pytest.raises(InvalidInputError):
        pseudonymise("  ", "c1", master="m")

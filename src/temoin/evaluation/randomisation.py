"""Reproducible random assignment: simple (complete), stratified (blocked) and cluster.

Every assignment is reproducible from what Témoin stores: the seed (the entropy of a numpy
``SeedSequence``), the algorithm name and the allocation ratio. Units are sorted by key before
drawing, so the result does not depend on the order of the input file. The assigned list is
summarised by a SHA-256 (``list_hash``) written to the audit trail.

- ``simple``: complete randomisation, exactly ``round(n * ratio)`` units treated.
- ``stratified``: the same within each stratum (a permuted block per stratum); when
  ``n_s * ratio`` is not a whole number, the extra unit is treated with probability equal to the
  fractional part, so the expected share is exactly ``ratio`` in every stratum.
- ``cluster``: clusters are assigned by complete randomisation; every member follows its cluster.

>>> a = randomise(["a", "b", "c", "d"], method="simple", seed=42)
>>> sum(a.arms), a == randomise(["d", "c", "b", "a"], method="simple", seed=42)
(2, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["ALGORITHM_VERSION", "Assignment", "Method", "assignment_hash", "randomise"]

RandomisationMethod = Literal["simple", "stratified", "cluster"]
"""How people are assigned (``label:randomisation_method:*``)."""
Method = RandomisationMethod
ALGORITHM_VERSION = "v1"


@dataclass(frozen=True)
class Assignment:
    """Who is in the programme (arm 1) and who is in the control cohort (arm 0)."""

    keys: tuple[str, ...]
    arms: tuple[int, ...]
    method: str
    algorithm: str
    seed: int
    ratio: float
    list_hash: str

    def as_dict(self) -> dict[str, int]:
        return dict(zip(self.keys, self.arms, strict=True))

    @property
    def n_treated(self) -> int:
        return int(sum(self.arms))


def assignment_hash(keys: Sequence[str], arms: Sequence[int]) -> str:
    """SHA-256 of ``key:arm`` lines sorted by key: one fingerprint of the whole assigned list."""
    lines = sorted(f"{k}:{int(a)}" for k, a in zip(keys, arms, strict=True))
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _bad(code: str, message: Msg, path: str | None = None) -> InvalidInputError:
    return InvalidInputError(code, message, path=path, hint=Msg("Check the cohort and the contract's randomisation plan."))


def _complete(rng: np.random.Generator, n: int, ratio: float, *, fractional: bool) -> np.ndarray:
    exact = n * ratio
    n_treat = int(np.floor(exact))
    frac = exact - n_treat
    if fractional:
        if frac > 1e-12 and rng.random() < frac:
            n_treat += 1
    else:
        n_treat = int(np.floor(exact + 0.5))
    arms = np.zeros(n, dtype=np.int8)
    arms[rng.permutation(n)[:n_treat]] = 1
    return arms


def randomise(
    keys: Sequence[str],
    *,
    method: Method,
    ratio: float = 0.5,
    strata: Mapping[str, str] | None = None,
    clusters: Mapping[str, str] | None = None,
    seed: int | None = None,
) -> Assignment:
    """Assign each key to the programme (1) or the control cohort (0).

    ``strata`` / ``clusters`` map each key to its stratum or cluster label. ``seed`` None draws
    fresh entropy from the operating system (and records it).
    """
    if not 0 < ratio < 1:
        raise _bad("randomisation.ratio", Msg("Invalid allocation ratio: {ratio}.", ratio=ratio), "evaluation.allocation_ratio")
    if len(set(keys)) != len(keys):
        raise _bad("randomisation.duplicate_keys", Msg("Some participants appear twice."))
    if len(keys) < 2:
        raise _bad("randomisation.too_few", Msg("Too few participants to randomise ({n}).", n=len(keys)))
    ss = np.random.SeedSequence(seed)
    entropy = int(ss.entropy)  # type: ignore[arg-type]
    rng = np.random.default_rng(ss)
    ordered = sorted(keys)
    n = len(ordered)
    arms = np.zeros(n, dtype=np.int8)

    if method == "simple":
        arms = _complete(rng, n, ratio, fractional=False)
    elif method == "stratified":
        if strata is None:
            raise _bad("randomisation.no_strata", Msg("Stratified randomisation without strata."), "evaluation.strata")
        missing = [k for k in ordered if k not in strata]
        if missing:
            raise _bad("randomisation.missing_stratum", Msg("{n} participant(s) without a stratum.", n=len(missing)),
                       "evaluation.strata")
        labels = np.array([strata[k] for k in ordered], dtype=object)
        for label in sorted(set(labels.tolist())):
            idx = np.flatnonzero(labels == label)
            arms[idx] = _complete(rng, len(idx), ratio, fractional=True)
    elif method == "cluster":
        if clusters is None:
            raise _bad("randomisation.no_clusters", Msg("Cluster randomisation without clusters."), "evaluation.cluster")
        missing = [k for k in ordered if k not in clusters]
        if missing:
            raise _bad("randomisation.missing_cluster", Msg("{n} participant(s) without a cluster.", n=len(missing)),
                       "evaluation.cluster")
        names = sorted({clusters[k] for k in ordered})
        if len(names) < 2:
            raise _bad("randomisation.too_few_clusters", Msg("At least two clusters are needed."), "evaluation.cluster")
        cluster_arm = dict(zip(names, _complete(rng, len(names), ratio, fractional=False).tolist(), strict=True))
        arms = np.array([cluster_arm[clusters[k]] for k in ordered], dtype=np.int8)
    else:
        raise _bad("randomisation.method", Msg("Unknown method: {method}.", method=repr(method)))

    arm_list = tuple(int(a) for a in arms)
    algorithm = f"temoin.{method}/{ALGORITHM_VERSION} numpy {np.__version__} PCG64 SeedSequence, sorted keys"
    return Assignment(tuple(ordered), arm_list, method, algorithm, entropy, ratio, assignment_hash(ordered, arm_list))

"""Rolling enrolment: people randomised in batches, as they join, by rules that continue across batches.

A programme that enrols over months randomises each batch of newly enrolled people when it comes.
Every batch draws its own seed (numpy ``SeedSequence`` entropy, recorded with the batch), so the
next assignments cannot be read from the ledger before the batch exists; what carries over from one
batch to the next is the :class:`EnrolmentState`:

- ``stratified``: permuted blocks within each stratum, continuing across batches. A stratum's open
  block (the arms of its block not handed out yet) is filled first, in a random order drawn from the
  batch's seed, then new blocks are drawn whole. A uniformly random order of the rest of a block is
  exactly the distribution the rest of a permuted block has, so the blocks are permuted blocks; and
  within a stratum the two arms never differ (from their target shares) by more than one block.
- ``cluster``: a cluster is randomised when its first members join, by permuted blocks of clusters
  (one stream, continuing across batches); later members of a known cluster follow its arm.
- ``simple``: each batch by complete randomisation; when ``n * ratio`` is not whole, the extra
  person is treated with probability equal to the fractional part, so every person's chance of
  treatment is exactly ``ratio``.

Replaying the batches in order (:func:`replay`) with their members, seeds and attributes gives back
every assignment and the final state: what the ledger's batches are checked against.

>>> b1 = randomise_batch(["a", "b", "c"], method="stratified", strata={"a": "x", "b": "x", "c": "y"}, seed=1)
>>> b2 = randomise_batch(["d"], method="stratified", strata={"d": "x"}, seed=2, state=b1.state)
>>> b2.state.assigned_count, sorted(b2.state.open_blocks)
(4, ['x', 'y'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from temoin.errors import InvalidInputError
from temoin.evaluation.randomisation import (
    ALGORITHM_VERSION,
    Assignment,
    Method,
    _complete,
    assignment_hash,
)
from temoin.messages import Msg

__all__ = ["Batch", "BatchInput", "BatchRefusal", "EnrolmentState", "block_size", "randomise_batch", "refusals", "replay"]

CLUSTER_STREAM = "__clusters__"
"""The key of the cluster design's single stream of blocks in :attr:`EnrolmentState.open_blocks`."""


def block_size(ratio: float) -> int:
    """The permuted block's size for an allocation ratio: twice the smallest whole block (4 for 1/2,
    6 for 1/3 or 2/3, 10 for 3/5).

    >>> block_size(0.5), block_size(2 / 3), block_size(0.6)
    (4, 6, 10)
    """
    frac = Fraction(ratio).limit_denominator(50)
    if not 0 < ratio < 1 or abs(float(frac) - ratio) > 1e-9:
        raise InvalidInputError("enrolment.ratio", Msg("The allocation ratio {ratio} cannot be met by permuted blocks.",
                                                       ratio=ratio), path="evaluation.allocation_ratio",
                                hint=Msg("Use a ratio with a small denominator (1/2, 1/3, 2/3, 3/5…)."))
    return 2 * frac.denominator


@dataclass(frozen=True)
class EnrolmentState:
    """What one batch leaves to the next: the open blocks (per stratum, or the cluster stream: the
    arms still to hand out, as (treated, control) counts), the arm of every cluster already randomised,
    and how many people were assigned so far."""

    open_blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    cluster_arms: dict[str, int] = field(default_factory=dict)
    assigned_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"open_blocks": {k: list(v) for k, v in sorted(self.open_blocks.items())},
                "cluster_arms": dict(sorted(self.cluster_arms.items())), "assigned_count": self.assigned_count}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnrolmentState:
        return cls({str(k): (int(v[0]), int(v[1])) for k, v in data.get("open_blocks", {}).items()},
                   {str(k): int(v) for k, v in data.get("cluster_arms", {}).items()}, int(data.get("assigned_count", 0)))


@dataclass(frozen=True)
class Batch:
    """One batch randomised: its assignment (keys, arms, seed, algorithm, hash) and the state after it."""

    assignment: Assignment
    block_size: int
    state: EnrolmentState


@dataclass(frozen=True)
class BatchRefusal:
    """A person a batch cannot take, and why."""

    key: str
    reason: Msg


def refusals(keys: Sequence[str], assigned: Sequence[str] | set[str]) -> list[BatchRefusal]:
    """Who cannot be in the batch: a person listed twice, or already assigned (an assignment never changes)."""
    taken = set(assigned)
    seen: set[str] = set()
    out: list[BatchRefusal] = []
    for k in keys:
        if k in seen:
            out.append(BatchRefusal(k, Msg("listed twice in the batch")))
        elif k in taken:
            out.append(BatchRefusal(k, Msg("already assigned in an earlier batch (an assignment never changes)")))
        seen.add(k)
    return out


def _bad(code: str, message: Msg, path: str | None = None) -> InvalidInputError:
    return InvalidInputError(code, message, path=path, hint=Msg("Check the batch and the contract's randomisation plan."))


def _blocks(rng: np.random.Generator, n: int, open_block: tuple[int, int], size: int, n_treated: int) -> tuple[np.ndarray, tuple[int, int]]:
    """``n`` arms from a stream of permuted blocks whose open block still holds ``open_block`` arms."""
    arms: list[int] = []
    t_left, c_left = open_block
    while len(arms) < n:
        if t_left + c_left == 0:
            t_left, c_left = n_treated, size - n_treated
        rest = np.array([1] * t_left + [0] * c_left, dtype=np.int8)
        take = rng.permutation(rest)[: n - len(arms)]
        arms.extend(int(a) for a in take)
        t_left -= int(take.sum())
        c_left -= int(len(take) - take.sum())
    return np.array(arms, dtype=np.int8), (t_left, c_left)


def randomise_batch(
    keys: Sequence[str],
    *,
    method: Method,
    ratio: float = 0.5,
    strata: Mapping[str, str] | None = None,
    clusters: Mapping[str, str] | None = None,
    seed: int | None = None,
    state: EnrolmentState | None = None,
) -> Batch:
    """Randomise one batch of newly enrolled people, continuing the blocks left by earlier batches.

    ``state`` is what the previous batch left (None for the first batch); ``seed`` None draws fresh
    entropy from the operating system (and records it). Keys are sorted before drawing, so the order
    of the input does not matter.
    """
    size = block_size(ratio)
    n_block_treated = round(size * ratio)
    state = state or EnrolmentState()
    if not keys:
        raise _bad("enrolment.empty_batch", Msg("The batch has no one to randomise."))
    if len(set(keys)) != len(keys):
        raise _bad("enrolment.duplicate_keys", Msg("Some participants appear twice in the batch."))
    ss = np.random.SeedSequence(seed)
    entropy = int(ss.entropy)  # type: ignore[arg-type]
    rng = np.random.default_rng(ss)
    ordered = sorted(keys)
    n = len(ordered)
    open_blocks = dict(state.open_blocks)
    cluster_arms = dict(state.cluster_arms)
    arms = np.zeros(n, dtype=np.int8)
    if method == "simple":
        arms = _complete(rng, n, ratio, fractional=True)
    elif method == "stratified":
        if strata is None or any(k not in strata for k in ordered):
            raise _bad("enrolment.missing_stratum", Msg("{n} participant(s) without a stratum.",
                                                        n=sum(strata is None or k not in strata for k in ordered)),
                       "evaluation.strata")
        labels = np.array([strata[k] for k in ordered], dtype=object)
        for label in sorted(set(labels.tolist())):
            idx = np.flatnonzero(labels == label)
            arms[idx], open_blocks[label] = _blocks(rng, len(idx), open_blocks.get(label, (0, 0)), size, n_block_treated)
    elif method == "cluster":
        if clusters is None or any(k not in clusters for k in ordered):
            raise _bad("enrolment.missing_cluster", Msg("{n} participant(s) without a cluster.",
                                                        n=sum(clusters is None or k not in clusters for k in ordered)),
                       "evaluation.cluster")
        new = sorted({clusters[k] for k in ordered} - set(cluster_arms))
        if new:
            drawn, open_blocks[CLUSTER_STREAM] = _blocks(rng, len(new), open_blocks.get(CLUSTER_STREAM, (0, 0)), size,
                                                         n_block_treated)
            cluster_arms.update(zip(new, (int(a) for a in drawn), strict=True))
        arms = np.array([cluster_arms[clusters[k]] for k in ordered], dtype=np.int8)
    else:
        raise _bad("enrolment.method", Msg("Unknown method: {method}.", method=repr(method)))
    arm_list = tuple(int(a) for a in arms)
    blocks = f", permuted blocks of {size} continuing across batches" if method != "simple" else ", complete per batch"
    algorithm = (f"temoin.rolling.{method}/{ALGORITHM_VERSION} numpy {np.__version__} PCG64 SeedSequence, "
                 f"sorted keys{blocks}")
    assignment = Assignment(tuple(ordered), arm_list, method, algorithm, entropy, ratio, assignment_hash(ordered, arm_list))
    return Batch(assignment, size, EnrolmentState(open_blocks, cluster_arms, state.assigned_count + n))


@dataclass(frozen=True)
class BatchInput:
    """One recorded batch, as the ledger and the store keep it: enough to draw it again."""

    keys: tuple[str, ...]
    seed: int
    method: Method
    ratio: float
    strata: Mapping[str, str] | None = None
    clusters: Mapping[str, str] | None = None


def replay(batches: Sequence[BatchInput]) -> list[Batch]:
    """Draw every batch again, in order, from its seed and members, carrying the state between them."""
    out: list[Batch] = []
    state: EnrolmentState | None = None
    for b in batches:
        batch = randomise_batch(b.keys, method=b.method, ratio=b.ratio, strata=b.strata, clusters=b.clusters, seed=b.seed,
                                state=state)
        out.append(batch)
        state = batch.state
    return out

"""The cohort flow step by step: how many people each step keeps, how many it loses, and why.

Read from the stored flow (``referred``, ``eligible``, ``consented``, ``randomised`` or ``enrolled``,
then each follow-up wave), nothing computed beyond the differences between two steps. A count that
the public version suppressed (None) leaves the loss of its steps unsaid.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from temoin.contract.model import Contract
from temoin.i18n import Translator
from temoin.i18n.contract_labels import wave_label

__all__ = ["flow_steps"]


def _total(x: Any) -> int | None:
    if isinstance(x, Mapping):
        parts: list[Any] = [x.get("treated"), x.get("control")] if "control" in x else [x.get("treated")]
        return None if any(p is None for p in parts) else sum((int(p) for p in parts), 0)
    return None if x is None else int(x)


def flow_steps(flow: Mapping[str, Any] | None, words: Translator, contract: Contract | None = None) -> list[dict[str, Any]]:
    """``[{"step", "kept", "left", "why"}]``: each step of the flow, the people it keeps, the people who
    leave between the previous step and this one (None for the first, or when a count is hidden)
    and, in words, why they leave."""
    if not flow:
        return []
    steps: list[tuple[str, Any, str | None]] = [(words("Referred"), flow.get("referred"), None)]
    if "eligible" in flow:
        steps.append((words("Eligible"), flow.get("eligible"),
                      words("not eligible under the contract's eligibility criteria")))
    steps.append((words("Consented"), flow.get("consented"), words("declined to take part, or could not be asked")))
    if flow.get("randomised") is not None:
        steps.append((words("Randomised"), flow.get("randomised"),
                      words("consented but not randomised (left before the draw, or enrolled after it)")))
    elif flow.get("enrolled") is not None:
        steps.append((words("Enrolled"), flow.get("enrolled"), words("consented but not enrolled in the programme")))
    cohort = len(steps)  # each wave follows the whole cohort again: its losses count from the cohort's step
    for w in flow.get("waves") or []:
        followed = (words("Followed {wave}", wave=wave_label(contract, str(w["wave"]), words)) if contract is not None
                    else words("Followed at {wave}", wave=w["wave"]))
        steps.append((followed, w,
                      words("lost to follow-up: moved, unreachable, or no longer wished to answer")))
    out: list[dict[str, Any]] = []
    for k, (name, raw, why) in enumerate(steps):
        kept = _total(raw)
        before = None if k == 0 else _total(steps[min(k, cohort) - 1][1])
        arms = raw if isinstance(raw, Mapping) else None
        out.append({"step": name, "kept": kept, "left": None if kept is None or before is None else before - kept,
                    "why": why, "treated": arms.get("treated") if arms else None,
                    "control": arms.get("control") if arms and "control" in arms else None})
    return out

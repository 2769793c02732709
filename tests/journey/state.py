"""What one part of the browser journey hands to the next: the contract and each role's account."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class JourneyState:
    """The signed contract the journey follows, and the account of each role in it.

    ``accounts`` maps "payer", "operator", "evaluator", "investor", "observer" and "admin" to
    (username, password)."""

    contract_id: str
    accounts: dict[str, tuple[str, str]]

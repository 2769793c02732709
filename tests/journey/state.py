"""What one part of the journey hands to the next."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class JourneyState:
    """The contract the journey made and the accounts of its people.

    ``accounts`` maps a role name ("admin", "payer", "operator", "evaluator", "investor",
    "observer", and the call's committee members "member-…") to its (user name, password); every
    contract role in it has accepted its invitation to ``contract_id``. ``shots`` counts the
    screenshots taken so far, so that the next part numbers its own after them."""

    contract_id: str
    accounts: dict[str, tuple[str, str]] = field(default_factory=dict)
    shots: int = 0

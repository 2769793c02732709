"""The bundled example contracts, and a seeded generator of synthetic participants for each.

>>> EXAMPLES
('aemo-renforcee', 'relais-familial', 'cravate-solidaire')
>>> load_example("aemo-renforcee").evaluation.design.value
'stratified_rct'

The real deals, written from their public terms (each labels what is an assumption), are kept
apart from ``EXAMPLES``, which the demonstration seeds:

>>> REAL_DEALS
('peterborough', 'rikers', 'adie', 'dwp-rate-card')
>>> real_deal_path("rikers").name
'rikers.yaml'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from temoin.errors import NotFoundError
from temoin.messages import Msg

if TYPE_CHECKING:
    from temoin.contract.model import Contract
    from temoin.examples.synthetic import SyntheticCohort

__all__ = ["BLANK_CONTRACT", "CONTRACTS_DIR", "EXAMPLES", "EXAMPLE_BUDGET", "REAL_DEALS", "example_path", "load_example", "real_deal_path",
           "synthetic_cohort"]

CONTRACTS_DIR = Path(__file__).with_name("contracts")
BLANK_CONTRACT = Path(__file__).with_name("blank_contract.yaml")
"""Every main section of a contract with its fields empty: where the guided form starts from scratch."""
EXAMPLE_BUDGET = Path(__file__).with_name("budgets") / "nord.csv"
"""The Département du Nord's budget lines by year (child welfare), as its payer would import them."""
EXAMPLES: tuple[str, ...] = ("aemo-renforcee", "relais-familial", "cravate-solidaire")
REAL_DEALS: tuple[str, ...] = ("peterborough", "rikers", "adie", "dwp-rate-card")
"""Four real deals as signed, from their public terms: a pooled fallback with co-payers (Peterborough),
a stepped grid with a fixed guarantee (Rikers Island), a gated absolute target (ADIE), a rate card
with unit savings (DWP Innovation Fund). Not seeded by the demonstration."""


def example_path(name: str) -> Path:
    if name not in EXAMPLES:
        raise NotFoundError("example.not_found", Msg("Unknown example: '{name}'.", name=name),
                            hint=Msg("Bundled examples: {names}.", names=list(EXAMPLES)))
    return CONTRACTS_DIR / f"{name}.yaml"


def real_deal_path(name: str) -> Path:
    if name not in REAL_DEALS:
        raise NotFoundError("example.not_found", Msg("Unknown real deal: '{name}'.", name=name),
                            hint=Msg("Bundled real deals: {names}.", names=list(REAL_DEALS)))
    return CONTRACTS_DIR / "real" / f"{name}.yaml"


def load_example(name: str) -> Contract:
    from temoin.contract.loading import load_contract

    return load_contract(example_path(name))


def synthetic_cohort(name: str, seed: int = 2026, **kwargs: float) -> SyntheticCohort:
    """Synthetic participants (clearly labelled synthetic) for a bundled example; see ``synthetic``."""
    from temoin.examples.synthetic import generate

    return generate(name, seed=seed, **kwargs)

"""The contract model (pydantic, authored in YAML) and its safeguard checks."""

from temoin.contract.checks import RULES, Outcome, check_contract, has_blocking
from temoin.contract.loading import (
    contract_json_schema,
    contract_to_data,
    dump_contract,
    load_contract,
    parse_contract,
)
from temoin.contract.model import Contract, Design, Role, Seat, Text

__all__ = [
    "RULES",
    "Contract",
    "Design",
    "Outcome",
    "Role",
    "Seat",
    "Text",
    "check_contract",
    "contract_json_schema",
    "contract_to_data",
    "dump_contract",
    "has_blocking",
    "load_contract",
    "parse_contract",
]

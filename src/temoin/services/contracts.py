"""Contract services: import (versioned, audited), export, list."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from temoin.contract import Contract, check_contract, load_contract, parse_contract
from temoin.governance.ledger import LedgerEvent
from temoin.store import ledger, read_scope, session_scope
from temoin.store.contracts import ContractRepository, StoredContract, latest_contract


@dataclass(frozen=True)
class ImportResult:
    contract_id: str
    version: int
    created: bool
    content_hash: str


def import_contract(engine: Engine, source: str | Path | Contract, *, actor: str = "cli") -> ImportResult:
    """Validate then store a contract. Invalid input raises before anything is written."""
    if isinstance(source, Contract):
        contract = source
    elif isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        contract = load_contract(source)
    else:
        contract = parse_contract(source)
    with session_scope(engine) as s:
        stored, created = ContractRepository(s).add_version(contract, actor=actor)
        if created:
            blocking = [o.code for o in check_contract(contract) if o.blocking]
            ledger.append(s, actor=actor, event=LedgerEvent.CONTRACT_VERSION_CREATED, contract_id=contract.id,
                          payload={"version": stored.version, "content_hash": stored.content_hash,
                                   "safeguard_errors": blocking})
    return ImportResult(contract.id, stored.version, created, stored.content_hash)


def get_contract(engine: Engine, contract_id: str, version: int | None = None) -> StoredContract:
    if version is None:  # every contract page asks for the latest: one query on a plain connection
        with read_scope(engine) as db:
            return latest_contract(db, contract_id)
    with session_scope(engine) as s:
        return ContractRepository(s).get(contract_id, version)


def list_contracts(engine: Engine) -> list[StoredContract]:
    with session_scope(engine) as s:
        return ContractRepository(s).list_latest()

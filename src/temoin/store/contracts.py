"""The contract repository: rows ↔ domain ``Contract`` objects, versioned."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from temoin.contract import Contract, dump_contract, parse_contract
from temoin.errors import NotFoundError
from temoin.messages import Msg
from temoin.store.models.contracts import ContractRow, ContractVersionRow


@dataclass(frozen=True)
class StoredContract:
    contract: Contract
    version: int
    content_hash: str
    yaml_text: str
    created_by: str


def content_hash(contract: Contract) -> str:
    """SHA-256 of the canonical YAML: two documents that mean the same thing hash the same."""
    return hashlib.sha256(dump_contract(contract).encode("utf-8")).hexdigest()


@lru_cache(maxsize=256)
def _parse_stored(document: str) -> Contract:
    """A stored version's document, parsed once per process: versions never change once stored and
    ``Contract`` is frozen, so every page that needs the contract no longer re-reads its YAML."""
    return parse_contract(document)


# A stored version's columns, read as a plain row (no ORM object is needed to build a StoredContract).
_VERSION = select(ContractVersionRow.document, ContractVersionRow.version, ContractVersionRow.content_hash,
                  ContractVersionRow.created_by)


_LATEST = (_VERSION.join(ContractRow, (ContractRow.id == ContractVersionRow.contract_id)
                         & (ContractRow.latest_version == ContractVersionRow.version))
           .where(ContractRow.id == bindparam("contract_id")))  # built once: no statement building per request


def latest_contract(db: Connection | Session, contract_id: str) -> StoredContract:
    """The latest version of a contract, in one query (every contract page asks for it)."""
    row = db.execute(_LATEST, {"contract_id": contract_id}).one_or_none()
    if row is None:
        raise NotFoundError("contract.not_found", Msg("Unknown contract: '{id}'.", id=contract_id),
                            hint=Msg("Check the contract's identifier, or find it in the list of contracts."),
                            path="contract_id")
    return _stored(row)


def _stored(row: Row[str, int, str, str]) -> StoredContract:
    document, version, digest, created_by = row
    return StoredContract(_parse_stored(document), version, digest, document, created_by)


class ContractRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_version(self, contract: Contract, *, actor: str) -> tuple[StoredContract, bool]:
        """Store a contract; a new version only when its meaning changed. Returns (stored, created)."""
        text = dump_contract(contract)
        digest = content_hash(contract)
        row = self.session.get(ContractRow, contract.id)
        if row is not None:
            latest = self.get(contract.id, row.latest_version)
            if latest.content_hash == digest:
                return latest, False
            version = row.latest_version + 1
            row.latest_version = version
        else:
            version = 1
            self.session.add(ContractRow(id=contract.id, latest_version=1))
            self.session.flush()
        self.session.add(ContractVersionRow(
            contract_id=contract.id, version=version, title_fr=contract.title.fr, title_en=contract.title.en,
            design=contract.evaluation.design.value, currency=contract.currency, document=text,
            content_hash=digest, created_by=actor))
        self.session.flush()
        return StoredContract(contract, version, digest, text, actor), True

    def get(self, contract_id: str, version: int | None = None) -> StoredContract:
        if version is None:
            return self.latest(contract_id)
        row = self.session.execute(_VERSION.where(ContractVersionRow.contract_id == contract_id,
                                                  ContractVersionRow.version == version)).one_or_none()
        if row is None:
            raise NotFoundError("contract.version_not_found",
                                Msg("Contract '{id}' has no version {version}.", id=contract_id, version=str(version)),
                                hint=Msg("Choose a version listed in the contract's history."))
        return _stored(row)

    def latest(self, contract_id: str) -> StoredContract:
        return latest_contract(self.session, contract_id)

    def list_latest(self) -> list[StoredContract]:
        ids = self.session.execute(select(ContractRow.id).order_by(ContractRow.id)).scalars().all()
        return [self.latest(i) for i in ids]


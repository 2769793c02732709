"""Pseudonymous participant keys: a keyed HMAC of the operator's own identifier, per contract.

Témoin never stores a name or the operator's identifier, only ``HMAC-SHA256(k_contract, id)`` in
hex, where ``k_contract = HMAC-SHA256(master, "temoin/pseudonym/v1/" + contract_id)``. The same
person gets the same key within a contract (so follow-up waves join on it) and unrelated keys
across contracts (so two contracts' data cannot be linked without the master secret).

>>> k = pseudonymise("DOSSIER-0042", "aemo-renforcee", master="s3cret")
>>> len(k), k == pseudonymise(" DOSSIER-0042 ", "aemo-renforcee", master="s3cret")
(64, True)
>>> k == pseudonymise("DOSSIER-0042", "cravate-solidaire", master="s3cret")
False
"""

from __future__ import annotations

import hashlib
import hmac

from temoin.errors import InvalidInputError
from temoin.messages import Msg

__all__ = ["contract_key", "pseudonymise"]

_DOMAIN = b"temoin/pseudonym/v1/"


def contract_key(contract_id: str, *, master: str) -> bytes:
    """The per-contract HMAC key derived from the master secret (the settings'
    ``pseudonym_master``, passed by the caller) and the contract id."""
    if not master:
        raise InvalidInputError(
            "pseudonym.no_secret",
            Msg('No pseudonymisation secret is configured.'),
            hint=Msg('Set TEMOIN_PSEUDONYM_SECRET (or TEMOIN_SECRET_KEY).'),
        )
    return hmac.new(master.encode("utf-8"), _DOMAIN + contract_id.encode("utf-8"), hashlib.sha256).digest()


def pseudonymise(identifier: str, contract_id: str, *, master: str | None = None, key: bytes | None = None) -> str:
    """The participant's pseudonymous key (64 hex characters); surrounding spaces are ignored.

    Give the contract's ``key`` (from :func:`contract_key`, once per file) or the ``master`` secret."""
    text = str(identifier).strip()
    if not text:
        raise InvalidInputError(
            "pseudonym.empty_identifier",
            Msg('Empty participant identifier.'),
            hint=Msg("Each row needs the operator's case identifier."),
        )
    if key is None and master is None:
        raise TypeError("pseudonymise needs the contract's key or the master secret")
    k = key if key is not None else contract_key(contract_id, master=master or "")
    return hmac.new(k, text.encode("utf-8"), hashlib.sha256).hexdigest()

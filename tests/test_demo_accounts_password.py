"""The demo's random passwords are always ones the platform's own password rules accept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from temoin.demo import accounts
from temoin.services.passwords import problem


def test_a_random_draw_the_rules_refuse_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = "_250TthGFx22"  # a real draw of token_urlsafe(9): a keyboard run once its edges are stripped
    assert problem(refused, username="demo-payeur") == "pattern"
    draws: Iterator[str] = iter([refused, "Rq7-mZ2kW9xL"])
    monkeypatch.setattr(accounts.secrets, "token_urlsafe", lambda n: next(draws))
    assert accounts._fresh_password("demo-payeur") == "Rq7-mZ2kW9xL"
    assert problem("Rq7-mZ2kW9xL", username="demo-payeur") is None

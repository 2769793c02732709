"""Every word of data protection is in both catalogues: the messages of its modules and pages, and a
label for every code of its closed sets (in words, never the code)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from temoin.contract.data_protection import (
    DataClass,
    ErasureRule,
    LegalBasis,
    RequestKind,
    RequestOutcome,
    RetentionEnd,
    RiskLevel,
)
from temoin.governance.ledger import LedgerEvent
from temoin.i18n import Translator, catalogue

SRC = Path(__file__).resolve().parents[1] / "src" / "temoin"
MODULES = ["services/rights.py", "services/requests.py", "services/erasure.py", "services/registre.py", "services/aipd.py",
           "services/todo.py", "reports/rgpd.py",
           "web/routes/rgpd.py", "cli/rgpd.py", "demo/rgpd.py", "store/audit.py", "contract/checks.py"]
TEMPLATES = ["web/templates/rgpd.html", "reports/templates/register.html", "web/templates/_todo.html"]


def _ids(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return {n.args[0].value for n in ast.walk(ast.parse(text))
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("Msg", "t", "tr", "w")
                and n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)}
    return set(re.findall(r'\b(?:t|w)\("((?:[^"\\]|\\.)*)"', text))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_message_of_data_protection_is_in_both_catalogues(lang: str) -> None:
    ids = set().union(*(_ids(SRC / p) for p in (*MODULES, *TEMPLATES)))
    assert len(ids) > 150  # the scan finds them
    words = catalogue(lang)
    assert sorted(i for i in ids if i not in words) == []


@pytest.mark.parametrize("closed", [DataClass, ErasureRule, LegalBasis, RequestKind, RequestOutcome, RetentionEnd, RiskLevel])
def test_every_code_has_words_in_both_languages(closed: type) -> None:
    for lang in ("fr", "en"):
        t = Translator(lang)
        labels = [t.label(member) for member in closed]  # type: ignore[attr-defined]
        assert all("_" not in label for label in labels), labels
        assert len(set(labels)) == len(labels)


def test_every_data_protection_event_has_a_label() -> None:
    fr = Translator("fr")
    for event in LedgerEvent:
        if event.value.startswith("rgpd."):
            assert f"label:ledger_event:{event.value}" in catalogue("fr") and fr.label("ledger_event", event.value) != event.value

"""The README stays true: its contract example parses and passes, its settings table matches."""

from __future__ import annotations

import re
from pathlib import Path

from temoin.contract import check_contract, parse_contract
from temoin.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    first = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make demo" in first and "make test" in first


def test_readme_contract_example_is_complete_and_safe() -> None:
    block = README.split("```yaml", 1)[1].split("```", 1)[0]
    contract = parse_contract(block)
    assert all(o.passed for o in check_contract(contract))


def test_every_setting_is_documented() -> None:
    documented = set(re.findall(r"`TEMOIN_([A-Z_]+)`", README))
    declared = {name.upper() for name in Settings.model_fields}
    assert declared == documented
    for name, field in Settings.model_fields.items():
        assert field.description, f"setting {name} has no description"


def test_the_table_of_parts_names_every_folder_of_the_package() -> None:
    """Every folder of ``src/temoin`` (and no folder that does not exist) is in the README's table of parts."""
    package = Path(__file__).resolve().parents[1] / "src" / "temoin"
    folders = {p.name for p in package.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    table = README.split("## What Témoin does", 1)[1].split("\n\n", 2)[1]
    named = set(re.findall(r"`src/temoin/([a-z0-9_]+)/`", table))
    assert named == folders


def test_the_security_section_states_the_threat_model() -> None:
    section = README.split("## Security", 1)[1].split("\n## ", 1)[0]
    for words in ("What Témoin promises", "What Témoin does not promise", "reversible by whoever holds the pseudonym secret",
                  "TEMOIN_SECRET_KEY", "TEMOIN_PSEUDONYM_SECRET", "audit verify", "differencing attack"):
        assert words in section, words

"""The words of people and roles: every message the invitation services, the route and its
templates use is in both catalogues (invitations.po), and the settings they need refuse bad values."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from temoin.i18n import catalogue
from temoin.settings import Settings

SRC = Path(__file__).resolve().parents[1] / "src" / "temoin"
CODE = [SRC / "services" / "invitations.py", SRC / "services" / "mail.py", SRC / "web" / "routes" / "invitations.py",
        SRC / "web" / "layout.py"]
TEMPLATES = [SRC / "web" / "templates" / "people.html", SRC / "web" / "templates" / "invitation.html"]
IN_TEMPLATE = re.compile(r"""\bw\(\s*"((?:[^"\\]|\\.)+)"\s*[,)]""")


def _ids() -> set[str]:
    found: set[str] = set()
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str) and (
                        (isinstance(node.func, ast.Name) and node.func.id in ("Msg", "w"))
                        or (isinstance(node.func, ast.Call) and isinstance(node.func.func, ast.Name)
                            and node.func.func.id == "Words")):
                found.add(node.args[0].value)
    for path in TEMPLATES:
        found.update(IN_TEMPLATE.findall(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_message_of_people_and_roles_is_in_the_catalogue(lang: str) -> None:
    ids = _ids()
    assert len(ids) > 70 and "People and roles" in ids  # the scan finds them, the tab's label included
    assert sorted(ids - set(catalogue(lang))) == []


def test_the_french_catalogue_translates_them() -> None:
    fr = catalogue("fr")
    same = sorted(i for i in _ids() if fr[i] == i and i not in ("Invitation", "Invitations"))
    assert same == []


def test_mail_and_address_settings_refuse_what_cannot_work() -> None:
    with pytest.raises(ValidationError, match="TEMOIN_SMTP_FROM"):
        Settings(smtp_host="smtp.example.org")
    with pytest.raises(ValidationError, match="public address"):
        Settings(public_url="temoin.example.org")
    assert Settings(public_url="https://temoin.example.org/").public_url == "https://temoin.example.org"
    assert Settings(smtp_host="smtp.example.org", smtp_from="temoin@example.org").smtp_starttls

"""Issue 16, item 7: no page sends anyone to the command line or to the contract file's keys.

What a person reads on the web comes from the web's templates, the report templates, and the
messages the domain and the services build (errors, hints, safeguard findings). None of them may
name a ``temoin …`` command or one of its options; only the command line's own modules (``cli``,
and the demo, which prints commands to type) may. The check reads the source: every string of
every module but those, docstrings and comments left out, and every template."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from temoin.i18n import Translator

SRC = Path(__file__).resolve().parents[1] / "src" / "temoin"
COMMANDS = ("plan", "budget", "cohort", "settle", "settlement", "contract", "import", "export", "power", "call", "audit",
            "user", "serve", "demo", "registry", "research-extract", "evaluate", "simulate", "roles", "report",
            "observatory", "diagnose", "token")
COMMAND = re.compile(rf"\btemoin ({'|'.join(re.escape(c) for c in COMMANDS)})\b")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]+")
# A key of the contract file written as YAML: ``caps.investor_return``, ``payments.basis: …``.
YAML_KEY = re.compile(r"\b(?:caps|payments|evaluation|governance|population|savings|parties)\.[a-z_]+")
COMMAND_LINE_ONLY = ("cli", "demo")
SERVER_LOG = {"web/serve.py"}  # `temoin serve`'s own messages on standard error, for whoever started it
# Options still named in messages reached from the command line only, each with the reason.
OPTIONS_ALLOWED = {
    ("services/synthetic.py", "--seed"): "generate_synthetic, called by `temoin cohort synthetic` and the demo only",
    ("web/serve.py", "--port"): "the `temoin serve` command's own start-up error",
    ("evaluation/power.py", "--effect"): "the power calculation (its page is another area's, issue 16 item 4)",
    ("evaluation/power.py", "--sd"): "the power calculation (its page is another area's, issue 16 item 4)",
}


def _strings(path: Path) -> list[tuple[int, str, bool]]:
    """(line, text, inside a Msg(...) call) of every string of a module, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docstrings.add(id(first.value))
    in_msg = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("Msg",):
            in_msg.update(id(n) for a in node.args for n in ast.walk(a))
    return [(n.lineno, n.value, id(n) in in_msg) for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


def _modules() -> list[Path]:
    return [p for p in sorted(SRC.rglob("*.py"))
            if p.relative_to(SRC).parts[0] not in COMMAND_LINE_ONLY and "migrations" not in p.parts]


def test_no_message_outside_the_command_line_names_a_command() -> None:
    found = [f"{p.relative_to(SRC)}:{line}: {text!r}" for p in _modules() for line, text, _ in _strings(p)
             if COMMAND.search(text) and str(p.relative_to(SRC)) not in SERVER_LOG]
    assert found == []


def test_no_message_outside_the_command_line_names_an_option() -> None:
    found = []
    for p in _modules():
        where = str(p.relative_to(SRC))
        for line, text, in_msg in _strings(p):
            for option in OPTION.findall(text) if in_msg else ():
                if (where, option) not in OPTIONS_ALLOWED:
                    found.append(f"{where}:{line}: {option} in {text!r}")
    assert found == []


def test_no_template_names_a_command_or_a_contract_key() -> None:
    templates = sorted((SRC / "web" / "templates").glob("*.html")) + sorted((SRC / "reports" / "templates").glob("*.html"))
    assert len(templates) > 20
    found = [f"{t.name}: {m.group(0)}" for t in templates for m in COMMAND.finditer(t.read_text(encoding="utf-8"))]
    assert found == []


def test_the_catalogue_outside_the_command_lines_own_file_names_no_command_used_on_the_web() -> None:
    """Every catalogue entry naming a command is used only by the command line's modules."""
    used_elsewhere = {text for p in _modules() for _, text, _ in _strings(p)}
    for template in (SRC / "web" / "templates").glob("*.html"):
        used_elsewhere.update(re.findall(r'_\("((?:[^"\\]|\\.)*)"', template.read_text(encoding="utf-8")))
    entries = []
    for po in sorted((SRC / "i18n" / "locales" / "en" / "LC_MESSAGES").glob("*.po")):
        entries += [(po.name, m) for m in re.findall(r'^msgid "((?:[^"\\]|\\.)*)"$', po.read_text(encoding="utf-8"), re.M)
                    if COMMAND.search(m)]
    assert entries, "the command line's own entries are still in the catalogue"
    assert [(f, m) for f, m in entries if m in used_elsewhere] == []


def test_safeguard_findings_are_words_not_contract_keys() -> None:
    """Every message of the safeguard rules (what is wrong, what to do) says it in words, in both
    languages: no key of the contract file, no value to type."""
    messages = [text for _, text, in_msg in _strings(SRC / "contract" / "checks.py") if in_msg and " " in text]
    assert len(messages) >= 28
    for lang in ("fr", "en"):
        words = Translator(lang)
        for text in messages:
            shown = words(text)
            assert shown != text or lang == "en", f"not translated: {text!r}"
            assert not YAML_KEY.search(shown) and ": true" not in shown and "roles: [" not in shown, shown

"""Reading and writing contracts as YAML, with errors that point at the field and the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from temoin.contract._consistency import consistency_problems
from temoin.contract.model import Contract
from temoin.errors import ContractValidationError, TemoinError


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tagged-union")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow a pydantic location through the YAML node tree to the line it came from (1-based)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == part), None)
            key = next((k for k, v in node.value if k.value == part), None)
            if nxt is None:
                break
            node, line = nxt, key.start_mark.line + 1 if key is not None else line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _path_to_loc(path: str) -> tuple[Any, ...]:
    loc: list[Any] = []
    for chunk in path.replace("]", "").split("."):
        name, *idx = chunk.split("[")
        if name:
            loc.append(name)
        loc.extend(int(i) for i in idx)
    return tuple(loc)


def parse_contract(text: str, *, source: str = "<contract>") -> Contract:
    """Parse and validate a contract from YAML (or JSON) text; every problem is reported at once."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TemoinError(
            "contract.yaml_syntax",
            f"YAML illisible dans {source} : {getattr(exc, 'problem', exc)}.",
            f"Unreadable YAML in {source}: {getattr(exc, 'problem', exc)}.",
            line=mark.line + 1 if mark else None,
            hint_fr="Vérifiez l'indentation et les deux-points à cette ligne.",
            hint_en="Check the indentation and colons on that line.",
        ) from None
    if not isinstance(data, dict):
        raise TemoinError("contract.not_a_mapping", f"{source} ne décrit pas un contrat (un dictionnaire YAML est attendu).",
                          f"{source} does not describe a contract (a YAML mapping is expected).")
    try:
        currency = data.get("currency", "EUR")
        contract = Contract.model_validate(data, context={"currency": currency})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
            path = _loc_to_path(loc)
            kind = err["type"]
            msg = err["msg"].removeprefix("Value error, ")
            if kind == "extra_forbidden":
                fr, en = "Clé inconnue.", "Unknown key."
                hint_fr, hint_en = "Retirez-la ou corrigez son orthographe (voir `temoin contract schema`).", \
                    "Remove it or fix its spelling (see `temoin contract schema`)."
            elif kind == "missing":
                fr, en = "Champ obligatoire manquant.", "Required field missing."
                hint_fr, hint_en = "Ajoutez-le.", "Add it."
            else:
                fr, en = f"Valeur refusée ({msg}) : {err.get('input')!r}.", f"Value refused ({msg}): {err.get('input')!r}."
                hint_fr, hint_en = "Corrigez la valeur.", "Fix the value."
            problems.append(TemoinError(f"contract.{kind}", fr, en, path=path, line=_line_of(root, loc),
                                        hint_fr=hint_fr, hint_en=hint_en))
        raise ContractValidationError(problems) from None
    problems = consistency_problems(contract)
    if problems:
        for p in problems:
            p.line = _line_of(root, _path_to_loc(p.path or ""))
        raise ContractValidationError(problems)
    return contract


def load_contract(path: str | Path) -> Contract:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemoinError("contract.file_not_found", f"Fichier introuvable : {p}.", f"File not found: {p}.",
                          hint_fr="Vérifiez le chemin.", hint_en="Check the path.") from None
    except UnicodeDecodeError:
        raise TemoinError("contract.encoding", f"{p} n'est pas en UTF-8.", f"{p} is not UTF-8.",
                          hint_fr="Enregistrez le fichier en UTF-8.", hint_en="Save the file as UTF-8.") from None
    return parse_contract(text, source=str(p))


def contract_to_data(contract: Contract) -> dict[str, Any]:
    """Plain data (JSON types only) in the YAML layout: dates ISO, amounts as strings."""
    data: dict[str, Any] = json.loads(contract.model_dump_json(exclude_defaults=True))
    return data


def dump_contract(contract: Contract) -> str:
    """YAML text that parses back to an equal contract."""
    return yaml.safe_dump(contract_to_data(contract), allow_unicode=True, sort_keys=False, width=100)


def contract_json_schema() -> dict[str, Any]:
    schema = Contract.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "urn:temoin:schema:contract"
    return schema

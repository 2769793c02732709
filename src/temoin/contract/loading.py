"""Reading and writing contracts as YAML, with errors that point at the field and the line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from temoin.contract._consistency import consistency_problems
from temoin.contract._lenient import lenient
from temoin.contract._pydantic import problem_of
from temoin.contract.model import Contract
from temoin.errors import ContractValidationError, TemoinError
from temoin.messages import Msg


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


_YAML_PROBLEMS = (
    ("mapping values are not allowed here", Msg("a ':' where none can be (a missing quote, or a wrong indentation?)")),
    ("could not find expected ':'", Msg("a ':' is missing")),
    ("found character '\\t' that cannot start any token", Msg("a tab character (indent with spaces)")),
    ("expected ',' or '}'", Msg("a ',' or a closing brace is missing")),
    ("expected ',' or ']'", Msg("a ',' or a closing bracket is missing")),
    ("expected <block end>", Msg("the indentation does not match the lines above")),
    ("found unexpected end of stream", Msg("the file ends inside a quoted text")),
)


def _yaml_problem(exc: yaml.YAMLError) -> Msg | str:
    """PyYAML's problem in the catalogue's words when it is a common one, else as PyYAML says it."""
    problem = str(getattr(exc, "problem", None) or exc)
    return next((msg for start, msg in _YAML_PROBLEMS if problem.startswith(start)), problem)


def parse_contract(text: str, *, source: str = "<contract>") -> Contract:
    """Parse and validate a contract from YAML (or JSON) text.

    Every problem is reported at once, in the order of the document: pydantic's (an unknown key
    with the nearest known one, a wrong value with what is allowed) and the cross-field ones of
    :mod:`temoin.contract._consistency`, which run on the parts that did validate."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise TemoinError(
            "contract.yaml_syntax", Msg("Unreadable YAML in {source}: {problem}.", source=source, problem=_yaml_problem(exc)),
            line=mark.line + 1 if mark else None, hint=Msg("Check the indentation and colons on that line."),
        ) from None
    if not isinstance(data, dict):
        raise TemoinError("contract.not_a_mapping",
                          Msg("{source} does not describe a contract (a YAML mapping is expected).", source=source),
                          hint=Msg("Start from one of the example contracts."))
    context = {"currency": data.get("currency", "EUR")}
    problems: list[TemoinError] = []
    try:
        contract = Contract.model_validate(data, context=context)
    except ValidationError as exc:
        for err in exc.errors():
            problem, loc = problem_of(err)
            problem.line = _line_of(root, loc)
            problems.append(problem)
        contract = lenient(Contract, data, context)
    for p in consistency_problems(contract):
        p.line = _line_of(root, _path_to_loc(p.path or ""))
        problems.append(p)
    if problems:
        problems.sort(key=lambda p: p.line if p.line is not None else 1 << 30)
        raise ContractValidationError(problems)
    return contract


def load_contract(path: str | Path) -> Contract:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemoinError("contract.file_not_found", Msg("File not found: {path}.", path=str(p)),
                          hint=Msg("Check the path.")) from None
    except UnicodeDecodeError:
        raise TemoinError("contract.encoding", Msg("{path} is not UTF-8.", path=str(p)),
                          hint=Msg("Save the file as UTF-8.")) from None
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

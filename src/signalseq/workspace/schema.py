"""The base of every workspace file schema, and pydantic errors turned into Problems."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from signalseq.errors import Problem
from signalseq.workspace.suggest import did_you_mean
from signalseq.workspace.yamlfile import YamlDocument


class WorkspaceModel(BaseModel):
    """Strict: unknown fields are errors, models are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _data_loc(data: Any, loc: Sequence[str | int], kind: str) -> tuple[str | int, ...]:
    """Drop the parts of a pydantic location that are not keys in the data
    (union tags, ``function-after`` wrappers), so it names what the user wrote."""
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif kind in ("missing", "extra_forbidden") and isinstance(part, str) and part == loc[-1]:
            path.append(part)  # a missing or unknown field: name it anyway
    return tuple(path)


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        name = str(error["loc"][-1]) if error.get("loc") else ""
        return "unknown field" + did_you_mean(name, field_names())
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_not_found":
        return f"required field {error['ctx']['discriminator']} is missing"
    if kind == "union_tag_invalid":
        return f"unknown {error['ctx']['discriminator'].strip(chr(39))} {error['ctx']['tag']!r}; expected one of {error['ctx']['expected_tags']}"
    shown = repr(given) if not isinstance(given, dict | list) else type(given).__name__
    expectations = {
        "int_parsing": "expected a whole number",
        "int_type": "expected a whole number",
        "float_parsing": "expected a number",
        "float_type": "expected a number",
        "bool_parsing": "expected true or false",
        "bool_type": "expected true or false",
        "string_type": "expected text",
        "list_type": "expected a list",
        "dict_type": "expected a mapping",
        "model_type": "expected a mapping",
        "int_from_float": "expected a whole number",
    }
    if kind in expectations:
        return f"{expectations[kind]}, got {shown}"
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message[:1].lower() + message[1:]


@lru_cache(maxsize=1)
def field_names() -> frozenset[str]:
    """Every field name of every workspace file schema (for "did you mean")."""
    names: set[str] = set()
    todo: list[type[BaseModel]] = [WorkspaceModel]
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        for name, info in model.model_fields.items():
            names.add(info.alias or name)
    return frozenset(names)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part, node)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return node  # a union tag or wrapper in pydantic's path: not a level of the data


def without_unknown_fields(data: Any, exc: ValidationError) -> Any:
    """``data`` without the fields the schema does not know, so the rest of a file can
    still be checked (its unknown fields are reported on their own)."""
    cleaned = copy.deepcopy(data)
    for error in exc.errors():
        if error["type"] != "extra_forbidden":
            continue
        node = cleaned
        for part in error["loc"][:-1]:
            node = _child(node, part)
        if isinstance(node, dict):
            node.pop(error["loc"][-1], None)
    return cleaned


def problems_from_validation(document: YamlDocument, exc: ValidationError) -> list[Problem]:
    problems = []
    seen: set[tuple[str, str]] = set()
    for error in exc.errors():
        loc = _data_loc(document.data, error["loc"], error["type"])
        if error["type"].startswith("union_tag"):  # point at the field that picks the kind
            loc = (*loc, str(error["ctx"]["discriminator"]).strip("'"))
        message = _message(dict(error))
        key = (repr(loc), message)
        if key in seen:
            continue
        seen.add(key)
        problems.append(document.problem(loc, message))
    return problems

"""Strict YAML: safe loader, duplicate keys rejected, every value keeps its line."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from signalseq.errors import Problem

Loc = tuple[Any, ...]  # keys as written: text, numbers, dates
MAX_VALUES = 100_000  # values a workspace file may expand to (aliases repeat their target)
MAX_DEPTH = 64  # nesting of mappings and lists
MAX_BYTES = 2_000_000
_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class YamlDocument:
    """A parsed file plus where each value came from (1-based line and column)."""

    path: str
    data: Any
    lines: list[str]
    positions: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: Sequence[str | int]) -> tuple[int | None, int | None]:
        """The line of the deepest known part of ``loc`` (a key's own line for mappings)."""
        key = tuple(loc)
        while key:
            if key in self.positions:
                return self.positions[key]
            key = key[:-1]
        return self.positions.get((), (None, None))

    def problem(self, loc: Sequence[str | int], message: str) -> Problem:
        line, column = self.locate(loc)
        snippet = self.lines[line - 1] if line and 0 < line <= len(self.lines) else None
        return Problem(self.path, line, format_loc(loc), message, column, snippet)


def format_loc(loc: Sequence[str | int]) -> str:
    """``("when", 1, "gte")`` → ``when[1].gte``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


class _TooLarge(Exception):
    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node = node


class _Builder:
    def __init__(self, document: YamlDocument, loader: yaml.SafeLoader):
        self.document = document
        self.loader = loader
        self.problems: list[Problem] = []
        self.values = 0  # a budget: nested aliases would otherwise expand exponentially

    def _mark(self, loc: Loc, node: yaml.Node) -> None:
        self.document.positions.setdefault(
            loc, (node.start_mark.line + 1, node.start_mark.column + 1)
        )

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooLarge(node, f"the file expands to more than {MAX_VALUES:,} values "
                                  "(nested YAML aliases?)")  # fmt: skip
        if len(loc) > MAX_DEPTH:
            raise _TooLarge(node, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, yaml.CollectionNode) and node.tag not in _PLAIN_TAGS:
            self._error(node, loc, f"unsupported YAML tag {node.tag}")
            return None
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self._error(key_node, loc, "YAML merge keys (<<) are not supported here")
                    continue
                key = self.loader.construct_object(key_node, deep=True)
                if not isinstance(key, Hashable) or isinstance(key, list | dict):
                    self._error(key_node, loc, "a mapping key must be a plain value")
                    continue
                if key in result:
                    self._error(
                        key_node,
                        (*loc, key),
                        f"duplicate key {key!r} (first defined on line {first_line[key]})",
                    )
                    continue
                first_line[key] = key_node.start_mark.line + 1
                self._mark((*loc, key), key_node)
                result[key] = self.build(value_node, (*loc, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self._mark((*loc, index), item)
                items.append(self.build(item, (*loc, index)))
            return items
        return self.loader.construct_object(node, deep=True)

    def _error(self, node: yaml.Node, loc: Loc, message: str) -> None:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        snippet = self.document.lines[line - 1] if line <= len(self.document.lines) else None
        self.problems.append(
            Problem(self.document.path, line, format_loc(loc), message, column, snippet)
        )


class _Loader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML 1.2 booleans: only true/false. In YAML 1.1 `on`, `no` and `y` are booleans,
    which turns a rule's `on:` key into True and Norway (`country: NO`) into False."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str, path: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse one YAML document; problems carry ``path:line``. Never raises on bad YAML."""
    document = YamlDocument(path=path, data=None, lines=text.splitlines())
    if len(text) > MAX_BYTES:
        return None, [Problem(path, None, "", f"the file is over {MAX_BYTES:,} characters")]
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: refused before parsing
        at = text[: exc.position].count("\n") + 1
        return None, [Problem(path, at, "", f"invalid YAML: {exc.reason} (#x{exc.character:04x})")]
    try:
        node = loader.get_single_node()
        if node is None:
            document.data = None
            return document, []
        document.positions[()] = (node.start_mark.line + 1, node.start_mark.column + 1)
        builder = _Builder(document, loader)
        document.data = builder.build(node, ())
        return document, builder.problems
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        snippet = document.lines[line - 1] if line and line <= len(document.lines) else None
        reason = exc.problem or str(exc)
        return None, [Problem(path, line, "", f"invalid YAML: {reason}", column, snippet)]
    except yaml.YAMLError as exc:
        return None, [Problem(path, None, "", f"invalid YAML: {exc}")]
    except _TooLarge as exc:
        line, column = exc.node.start_mark.line + 1, exc.node.start_mark.column + 1
        snippet = document.lines[line - 1] if line <= len(document.lines) else None
        return None, [Problem(path, line, "", str(exc), column, snippet)]
    except RecursionError:  # the parser itself recurses per level
        return None, [Problem(path, None, "", f"nested deeper than {MAX_DEPTH} levels")]
    finally:
        loader.dispose()


def load_yaml(path: Path, display: str) -> tuple[YamlDocument | None, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Problem(display, None, "", "not UTF-8 text")]
    except OSError as exc:
        return None, [Problem(display, None, "", f"cannot read: {exc.strerror}")]
    return parse_yaml(text, display)

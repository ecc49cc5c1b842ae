"""The condition language of trigger rules: parsing (with locations), and the Python
evaluator that explains every decision.

A condition is a one-key mapping: ``fact: value`` (equals) or ``fact: {op: value}``.
Operators: ``equals``, ``not_equals``, ``lt``, ``lte``, ``gt``, ``gte``, ``in``,
``not_in``, ``between: [low, high]``, ``exists: true``, ``missing: true``,
``matches: "regex"`` (Python syntax), and over list facts ``any: {op: value}`` /
``all: {op: value}``. Groups: ``any: [conditions]`` (one must hold) and
``all: [conditions]``. A condition on a missing fact is false, except ``missing``;
``all`` over an empty list is false. The durable_rules compilation follows the same
rules, and a property-based test holds the two to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from signalseq.normalize.titles import DEPARTMENTS, SENIORITIES
from signalseq.rules.facts import FACTS, FactType, fact_type
from signalseq.signals.schemas import CHANGE_TYPES, PAGE_CATEGORIES, SIGNAL_KINDS
from signalseq.workspace.suggest import did_you_mean

SCALAR_OPS = (
    "equals",
    "not_equals",
    "lt",
    "lte",
    "gt",
    "gte",
    "in",
    "not_in",
    "between",
    "exists",
    "missing",
    "matches",
)
LIST_OPS = ("any", "all")
OPERATORS = SCALAR_OPS + LIST_OPS
_ORDERING = ("lt", "lte", "gt", "gte", "between")
ROUNDS = (
    "pre_seed",
    "seed",
    *(f"series_{c}" for c in "abcdefgh"),
    "growth",
    "debt",
    "bridge",
    "extension",
)
KNOWN_VALUES: dict[str, tuple[str, ...]] = {
    "signal.kind": SIGNAL_KINDS,
    "signal.round": ROUNDS,
    "signal.change_type": CHANGE_TYPES,
    "signal.page_category": PAGE_CATEGORIES,
    "signal.match_status": ("matched", "needs_review", "unmatched"),
    "contact.seniority": SENIORITIES,
    "signal.new_seniority": SENIORITIES,
    "signal.previous_seniority": SENIORITIES,
    "contact.department": DEPARTMENTS,
    "signal.new_department": DEPARTMENTS,
}

Loc = tuple[Any, ...]


@dataclass(frozen=True)
class Test:
    """One operator applied to a value (or, for any/all, to each item of a list)."""

    op: str
    value: Any
    inner: Test | None = None
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Condition:
    fact: str
    test: Test
    source: Loc = ()
    check: Callable[[dict[str, Any]], bool] = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        object.__setattr__(self, "check", _compile(self.fact, self.test))


@dataclass(frozen=True)
class Group:
    kind: str  # "any" or "all"
    items: tuple[Node, ...]
    source: Loc = ()


Node = Condition | Group


@dataclass
class ConditionError:
    loc: Loc
    message: str


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_value(
    fact: str, ftype: FactType, value: Any, loc: Loc, errors: list[ConditionError]
) -> None:
    if ftype == "number" and not _is_number(value):
        errors.append(ConditionError(loc, f"expected a number for {fact}, got {value!r}"))
    elif ftype == "bool" and not isinstance(value, bool):
        errors.append(ConditionError(loc, f"expected true or false for {fact}, got {value!r}"))
    elif ftype in ("text", "list") and not isinstance(value, str):
        errors.append(ConditionError(loc, f"expected text for {fact}, got {value!r}"))
    elif fact in KNOWN_VALUES and isinstance(value, str) and value not in KNOWN_VALUES[fact]:
        errors.append(
            ConditionError(
                loc, f"unknown value {value!r} for {fact}; one of: {', '.join(KNOWN_VALUES[fact])}"
            )
        )


def _parse_test(
    fact: str,
    ftype: FactType,
    spec: Any,
    loc: Loc,
    errors: list[ConditionError],
    item: bool = False,
) -> Test | None:
    value_type: FactType = "text" if item else ftype
    if not isinstance(spec, dict):
        if ftype == "list" and not item:
            errors.append(
                ConditionError(loc, f"{fact} is a list: use any: {{...}} or all: {{...}}")
            )
            return None
        _check_value(fact, value_type, spec, loc, errors)
        return Test("equals", spec)
    if len(spec) != 1:
        errors.append(ConditionError(loc, f"give exactly one operator, got {len(spec)}"))
        return None
    ((op, value),) = spec.items()
    here = (*loc, op)
    if op not in OPERATORS:
        errors.append(
            ConditionError(
                here,
                f"unknown operator {op!r}{did_you_mean(str(op), OPERATORS)}; "
                f"one of: {', '.join(OPERATORS)}",
            )
        )
        return None
    if op in LIST_OPS:
        if item or ftype != "list":
            errors.append(ConditionError(here, f"{op} applies to list facts; {fact} is {ftype}"))
            return None
        inner = _parse_test(fact, ftype, value, here, errors, item=True)
        if inner is not None and inner.op in ("exists", "missing"):
            errors.append(ConditionError(here, f"{inner.op} cannot be used inside {op}"))
            return None
        return Test(op, None, inner) if inner else None
    if ftype == "list" and not item and op not in ("exists", "missing"):
        errors.append(ConditionError(here, f"{fact} is a list: use any: {{...}} or all: {{...}}"))
        return None
    if op in ("exists", "missing"):
        if value is not True:
            errors.append(ConditionError(here, f"{op} takes true"))
            return None
        return Test(op, True)
    if op in _ORDERING and value_type != "number":
        errors.append(ConditionError(here, f"{op} compares numbers; {fact} is {value_type}"))
        return None
    if op == "matches":
        if value_type != "text" or not isinstance(value, str):
            errors.append(ConditionError(here, "matches takes a pattern (text) on a text fact"))
            return None
        try:
            return Test(op, value, pattern=re.compile(value))
        except re.error as exc:
            errors.append(ConditionError(here, f"pattern does not compile: {exc}"))
            return None
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            errors.append(ConditionError(here, f"{op} takes a non-empty list"))
            return None
        for index, element in enumerate(value):
            _check_value(fact, value_type, element, (*here, index), errors)
        return Test(op, tuple(value))
    if op == "between":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_is_number(v) for v in value)
            or value[0] > value[1]
        ):
            errors.append(
                ConditionError(here, "between takes [low, high], two numbers, low <= high")
            )
            return None
        return Test(op, tuple(value))
    _check_value(fact, value_type, value, here, errors)
    return Test(op, value)


def parse_conditions(raw: Any, loc: Loc, errors: list[ConditionError]) -> tuple[Node, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.append(ConditionError(loc, "expected a list of conditions"))
        return ()
    nodes = []
    for index, item in enumerate(raw):
        node = parse_condition(item, (*loc, index), errors)
        if node is not None:
            nodes.append(node)
    return tuple(nodes)


def parse_condition(raw: Any, loc: Loc, errors: list[ConditionError]) -> Node | None:
    if not isinstance(raw, dict) or len(raw) != 1:
        errors.append(
            ConditionError(loc, "a condition is a mapping with one key: fact: {op: value}")
        )
        return None
    ((key, spec),) = raw.items()
    if key in ("any", "all"):
        items = parse_conditions(spec, (*loc, key), errors)
        if not items:
            errors.append(ConditionError((*loc, key), f"{key} needs at least one condition"))
            return None
        return Group(key, items, loc)
    ftype = fact_type(str(key))
    if ftype is None:
        errors.append(
            ConditionError((*loc, key), f"unknown fact {key!r}{did_you_mean(str(key), FACTS)}")
        )
        return None
    test = _parse_test(str(key), ftype, spec, (*loc, key), errors)
    return Condition(str(key), test, (*loc, key)) if test else None


# --- evaluation (the explanation evaluator) ---------------------------------------------


def _apply(test: Test, value: Any) -> bool:
    if test.op == "missing":
        return value is None
    if value is None:
        return False
    if test.op == "exists":
        return True
    if test.op in LIST_OPS:
        assert test.inner is not None
        if not isinstance(value, list) or not value:
            return False
        results = (_apply(test.inner, item) for item in value)
        return any(results) if test.op == "any" else all(results)
    try:
        if test.op == "equals":
            return bool(value == test.value)
        if test.op == "not_equals":
            return bool(value != test.value)
        if test.op == "in":
            return value in test.value
        if test.op == "not_in":
            return value not in test.value
        if test.op == "matches":
            assert test.pattern is not None
            return isinstance(value, str) and test.pattern.search(value) is not None
        if test.op == "between":
            return bool(test.value[0] <= value <= test.value[1])
        comparisons = {
            "lt": value < test.value,
            "lte": value <= test.value,
            "gt": value > test.value,
            "gte": value >= test.value,
        }
        return bool(comparisons[test.op])
    except TypeError:
        return False


@dataclass
class Outcome:
    """A condition's verdict with the actual value, for traces and explanations."""

    description: str
    passed: bool
    actual: Any = None
    children: list[Outcome] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "condition": self.description,
            "passed": self.passed,
            "actual": self.actual,
        }
        if self.children:
            data["conditions"] = [child.as_dict() for child in self.children]
        return data


def describe(test: Test) -> str:
    if test.op in LIST_OPS and test.inner is not None:
        return f"{test.op} item {describe(test.inner)}"
    if test.op in ("exists", "missing"):
        return test.op
    value = list(test.value) if isinstance(test.value, tuple) else test.value
    return f"{test.op} {value!r}"


def evaluate(node: Node, facts: dict[str, Any]) -> Outcome:
    if isinstance(node, Group):
        children = [evaluate(item, facts) for item in node.items]
        passed = (
            any(c.passed for c in children)
            if node.kind == "any"
            else all(c.passed for c in children)
        )
        return Outcome(f"{node.kind} of", passed, None, children)
    actual = facts.get(node.fact)
    return Outcome(f"{node.fact} {describe(node.test)}", _apply(node.test, actual), actual)


def _compile(fact: str, test: Test) -> Callable[[dict[str, Any]], bool]:
    """A closure equal to ``_apply(test, facts.get(fact))``, for the hot path."""
    op, value = test.op, test.value
    if op == "equals" and value is not None:
        return lambda facts: facts.get(fact) == value
    if op == "in":
        try:
            members = frozenset(value)
        except TypeError:
            members = None
        if members is not None and None not in members:
            frozen = members

            def member(facts: dict[str, Any]) -> bool:
                try:
                    return facts.get(fact) in frozen
                except TypeError:  # an unhashable value is in no list of scalars
                    return False

            return member
    if op == "exists":
        return lambda facts: facts.get(fact) is not None
    if op == "missing":
        return lambda facts: facts.get(fact) is None
    if op in ("lt", "lte", "gt", "gte", "between"):

        def ordered(facts: dict[str, Any]) -> bool:
            actual = facts.get(fact)
            if actual is None:
                return False
            try:
                if op == "gte":
                    return bool(actual >= value)
                if op == "lte":
                    return bool(actual <= value)
                if op == "gt":
                    return bool(actual > value)
                if op == "lt":
                    return bool(actual < value)
                return bool(value[0] <= actual <= value[1])
            except TypeError:
                return False

        return ordered
    return lambda facts: _apply(test, facts.get(fact))


def passes(node: Node, facts: dict[str, Any]) -> bool:
    """``evaluate(node, facts).passed``, without building the explanation."""
    if isinstance(node, Group):
        results = (passes(item, facts) for item in node.items)
        return any(results) if node.kind == "any" else all(results)
    return node.check(facts)


def holds(nodes: tuple[Node, ...], facts: dict[str, Any]) -> bool:
    return all(passes(node, facts) for node in nodes)

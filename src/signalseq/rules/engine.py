"""durable_rules as a stateless single-event matcher, behind a small interface.

What we know about durable-rules 2.0.28, and what this module does about it:
- ``Host`` starts two timer threads: ``QuietHost`` overrides ``_run`` to start none.
- It is not thread-safe: one process-wide lock around every ``post``.
- It keeps state per session id (at most 1024): every event uses one session id, and
  every event is consumed — a lowest-priority catch-all rule matches anything that
  carries our marker fact (a marker, because the engine re-posts its own state and a
  rule matching *everything* would match that state forever).
- Pending messages are compared by a 32-bit hash: every event gets a unique id.
- Its regex dialect is Lua-like (``\\d`` silently never matches): ``matches`` is
  evaluated with Python's ``re`` and posted as a boolean fact instead.
- It swallows exceptions raised in actions: actions only record the rule id.
- Deleting a ruleset leaks memory: rulesets are registered once per rules version and
  never deleted; a changed rule file registers a new version.
- Joins segfault: every rule is a single-event pattern; aggregates arrive as facts.
The rule that fires is the highest-priority match (priority, then rule id).
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from durable.engine import Host

from signalseq.rules.conditions import LIST_OPS, Group, Node, Test, evaluate
from signalseq.rules.facts import engine_key
from signalseq.rules.ruleset import CompiledRule, RuleSet

MARKER = "signalseq_event"
CATCH_ALL = "zz_no_rule_matched"
_LOWEST = 1_000_000


class QuietHost(Host):  # type: ignore[misc]
    """A durable_rules host that starts no background threads."""

    def _run(self) -> None:
        return None


_LOCK = threading.Lock()
_HOST: QuietHost | None = None
_EVENT_IDS = itertools.count(1)
_REGISTERED: dict[str, str] = {}
_RECORDERS: dict[str, list[str]] = {}


def _recorder(fired: list[str], rule_name: str) -> Any:
    """The rule's action: only note that it fired (the engine swallows exceptions)."""

    def run(_closure: Any) -> None:
        fired.append(rule_name)

    return run


def _host() -> QuietHost:
    global _HOST
    if _HOST is None:
        _HOST = QuietHost()
    return _HOST


def _derived_key(rule_index: int, path: str) -> str:
    return f"derived__{rule_index}__{path}"


class _Compiler:
    """One rule's conditions → a durable_rules expression (plus derived boolean facts)."""

    def __init__(self, rule_index: int):
        self.rule_index = rule_index
        self.derived: dict[str, Node] = {}

    def _derive(self, node: Node, path: str) -> dict[str, Any]:
        key = _derived_key(self.rule_index, path)
        self.derived[key] = node
        return {key: True}

    def _test(self, key: str, test: Test) -> dict[str, Any]:
        op, value = test.op, test.value
        if op == "equals":
            return {key: value}
        if op == "not_equals":
            return {"$neq": {key: value}}
        if op in ("lt", "lte", "gt", "gte"):
            return {f"${op}": {key: value}}
        if op == "in":
            return {key: value[0]} if len(value) == 1 else {"$or": [{key: v} for v in value]}
        if op == "not_in":
            return {"$and": [{"$neq": {key: v}} for v in value]}
        if op == "between":
            return {"$and": [{"$gte": {key: value[0]}}, {"$lte": {key: value[1]}}]}
        if op == "exists":
            return {"$ex": {key: 1}}
        if op == "missing":
            return {"$nex": {key: 1}}
        raise ValueError(f"operator {op} is not compiled directly")

    def node(self, node: Node, path: str) -> dict[str, Any]:
        if isinstance(node, Group):
            parts = [self.node(item, f"{path}_{i}") for i, item in enumerate(node.items)]
            return {"$or" if node.kind == "any" else "$and": parts}
        test, key = node.test, engine_key(node.fact)
        if test.op == "matches" or (test.inner is not None and test.inner.op == "matches"):
            return self._derive(node, path)
        if test.op in LIST_OPS:
            assert test.inner is not None
            return {f"$i{test.op}": {key: self._test("$i", test.inner)}}
        return self._test(key, test)


def compile_ruleset(ruleset: RuleSet) -> tuple[dict[str, Any], dict[str, Node]]:
    """The durable_rules JSON for a rule set, and the derived facts it needs."""
    definition: dict[str, Any] = {}
    derived: dict[str, Node] = {}
    marker = {"$ex": {MARKER: 1}}
    for index, rule in enumerate(ruleset.rules):
        compiler = _Compiler(index)
        parts = [marker, {engine_key("signal.kind"): rule.on}]
        parts += [compiler.node(node, str(n)) for n, node in enumerate(rule.conditions)]
        definition[f"r{index}"] = {"all": [{"m": {"$and": parts}}], "pri": 1 + index}
        derived.update(compiler.derived)
    definition[CATCH_ALL] = {"all": [{"m": marker}], "pri": _LOWEST}
    return definition, derived


def _event(facts: dict[str, Any], derived: dict[str, Node]) -> dict[str, Any]:
    event: dict[str, Any] = {engine_key(k): v for k, v in facts.items() if v is not None}
    for key, node in derived.items():
        event[key] = evaluate(node, facts).passed
    event[MARKER] = 1
    return event


class RuleEngine:
    """Matches one evaluation's facts against a rule set; returns the winning rule."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        definition, self.derived = compile_ruleset(ruleset)
        with _LOCK:
            name = _REGISTERED.get(ruleset.version)
            if name is None:
                name = f"rules_{ruleset.version}_{len(_REGISTERED)}"
                fired: list[str] = []
                _host().set_rulesets(
                    {
                        name: {
                            rule_name: {**spec, "run": _recorder(fired, rule_name)}
                            for rule_name, spec in definition.items()
                        }
                    }
                )
                _REGISTERED[ruleset.version] = name
                _RECORDERS[name] = fired
            self.name = name
            self._fired = _RECORDERS[name]

    def winner(self, facts: dict[str, Any]) -> CompiledRule | None:
        event = _event(facts, self.derived)
        with _LOCK:
            self._fired.clear()
            event.update(id=f"e{next(_EVENT_IDS)}", sid="0")
            _host().post(self.name, event)
            fired = list(self._fired)
        if len(fired) != 1:
            raise RuntimeError(f"rules engine fired {len(fired)} rules for one event")
        if fired[0] == CATCH_ALL:
            return None
        return self.ruleset.rules[int(fired[0][1:])]

"""Trigger files → a versioned ``RuleSet``: conditions parsed, references checked.

The version is a hash of the rule files, so a decision can say exactly which rules
made it, and a worker can tell when they changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from signalseq.errors import Problem
from signalseq.rules.conditions import Condition, ConditionError, Node, Test, parse_conditions
from signalseq.rules.schema import MAX_RULES, BranchChoice, TriggerRule
from signalseq.sequences import catalog
from signalseq.workspace.loader import LoadedFile, Workspace
from signalseq.workspace.suggest import did_you_mean


@dataclass(frozen=True)
class CompiledRule:
    id: str
    description: str | None
    on: str
    priority: int
    conditions: tuple[Node, ...]  # the rule's `when` plus its `who`, as conditions
    when_count: int
    enroll: str
    branch_cases: tuple[tuple[tuple[Node, ...], str], ...]
    branch_default: str
    max_per_account: int
    location: str
    account_conditions: tuple[Node, ...] = ()  # those not about the contact (pre-screen)
    holdout: float = 0.0

    def holds_out(self, contact_id: int) -> bool:
        """Whether this contact is in the rule's holdout: a stable hash of rule and
        contact, so reruns, backtests and later signals agree."""
        if self.holdout <= 0:
            return False
        digest = hashlib.sha256(f"holdout:{self.id}:{contact_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.holdout

    def branch_for(self, facts: dict[str, Any]) -> str:
        from signalseq.rules.conditions import holds

        for conditions, branch in self.branch_cases:
            if holds(conditions, facts):
                return branch
        return self.branch_default


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[CompiledRule, ...]

    def by_id(self, rule_id: str) -> CompiledRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def for_kind(self, kind: str) -> list[CompiledRule]:
        return [r for r in self.rules if r.on == kind]


def _who_conditions(rule: TriggerRule, loc: tuple[Any, ...]) -> list[Node]:
    import re

    who = rule.who
    nodes: list[Node] = []
    if who.signal_person:
        nodes.append(
            Condition("contact.is_signal_person", Test("equals", True), (*loc, "signal_person"))
        )
    if who.seniority:
        nodes.append(
            Condition("contact.seniority", Test("in", tuple(who.seniority)), (*loc, "seniority"))
        )
    if who.department:
        nodes.append(
            Condition("contact.department", Test("in", tuple(who.department)), (*loc, "department"))
        )
    if who.title_matches:
        nodes.append(
            Condition(
                "contact.title",
                Test("matches", who.title_matches, pattern=re.compile(who.title_matches)),
                (*loc, "title_matches"),
            )
        )
    return nodes


def rules_version(workspace: Workspace) -> str:
    digest = hashlib.sha256()
    for loaded in sorted(workspace.all("trigger"), key=lambda f: str(f.path)):
        # relative to the rules folder, so the same rules have the same version wherever they live
        name = workspace.relative(loaded.path).removeprefix("rules/")
        digest.update(name.encode() + b"\0")
        digest.update(loaded.path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def compile_rules(workspace: Workspace) -> tuple[RuleSet, list[Problem]]:
    problems: list[Problem] = []
    sequences = catalog.latest(workspace)
    seen: dict[str, str] = {}
    compiled: list[CompiledRule] = []
    for loaded in workspace.all("trigger"):
        for index, rule in enumerate(loaded.model.rules):
            rule_problems, result = _compile_rule(loaded, index, rule, sequences, seen)
            problems.extend(rule_problems)
            if result is not None and rule.enabled:
                compiled.append(result)
    if len(compiled) > MAX_RULES:
        problems.append(
            Problem(
                "rules/triggers",
                None,
                "",
                f"{len(compiled)} enabled rules; at most {MAX_RULES} are supported",
            )
        )
    ordered = tuple(sorted(compiled, key=lambda r: (-r.priority, r.id)))
    return RuleSet(rules_version(workspace), ordered), problems


def _compile_rule(
    loaded: LoadedFile[Any],
    index: int,
    rule: TriggerRule,
    sequences: dict[str, Any],
    seen: dict[str, str],
) -> tuple[list[Problem], CompiledRule | None]:
    base = ("rules", index)
    problems: list[Problem] = []
    where = f"{loaded.document.path}:{loaded.document.locate((*base, 'id'))[0]}"
    if rule.id in seen:
        problems.append(
            loaded.problem(
                (*base, "id"), f"duplicate rule id {rule.id!r} (also at {seen[rule.id]})"
            )
        )
    seen.setdefault(rule.id, where)
    errors: list[ConditionError] = []
    conditions = parse_conditions(rule.when, (*base, "when"), errors)
    cases: list[tuple[tuple[Node, ...], str]] = []
    branch_names: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(rule.branch, BranchChoice):
        for case_index, case in enumerate(rule.branch.cases):
            loc = (*base, "branch", "cases", case_index)
            cases.append((parse_conditions(case.when, (*loc, "when"), errors), case.use))
            branch_names.append(((*loc, "use"), case.use))
        branch_names.append(((*base, "branch", "default"), rule.branch.default))
    elif isinstance(rule.branch, str):
        branch_names.append(((*base, "branch"), rule.branch))
    problems.extend(loaded.problem(e.loc, e.message) for e in errors)
    sequence = sequences.get(rule.enroll)
    default = rule.branch.default if isinstance(rule.branch, BranchChoice) else rule.branch
    if sequence is None:
        known = ", ".join(sorted(sequences)) or "none defined"
        problems.append(
            loaded.problem(
                (*base, "enroll"),
                f"unknown sequence {rule.enroll!r}{did_you_mean(rule.enroll, sequences)} "
                f"(known: {known})",
            )
        )
    else:
        for loc, name in branch_names:
            if name not in sequence.branches:
                problems.append(
                    loaded.problem(
                        loc,
                        f"sequence {rule.enroll!r} has no branch {name!r}"
                        f"{did_you_mean(name, sequence.branches)} "
                        f"(branches: {', '.join(sequence.branches)})",
                    )
                )
        if default is None:
            if len(sequence.branches) == 1:
                default = next(iter(sequence.branches))
            else:
                problems.append(
                    loaded.problem(
                        (*base, "enroll"),
                        f"sequence {rule.enroll!r} has several branches: choose one with `branch:`",
                    )
                )
    if problems:
        return problems, None
    who = _who_conditions(rule, (*base, "who"))
    return [], CompiledRule(
        id=rule.id,
        description=rule.description,
        on=rule.on,
        priority=rule.priority,
        conditions=(*conditions, *who),
        when_count=len(conditions),
        enroll=rule.enroll,
        account_conditions=tuple(n for n in (*conditions, *who) if not _uses_contact(n)),
        branch_cases=tuple(cases),
        branch_default=str(default),
        max_per_account=rule.who.max_per_account,
        location=where,
        holdout=rule.holdout,
    )


def _uses_contact(node: Node) -> bool:
    if isinstance(node, Condition):
        return node.fact.startswith("contact.")
    return any(_uses_contact(item) for item in node.items)


def check_rules(workspace: Workspace) -> list[Problem]:
    return compile_rules(workspace)[1]

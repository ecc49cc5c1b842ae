"""Decide one signal: which contacts, which rule, which sequence and branch — or why not.

Shared by live decisions and backtests; only the history (store or memory) and what
happens to the verdicts differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from signalseq.normalize.titles import SENIORITIES
from signalseq.policy.gate import History, apply_policy
from signalseq.policy.schema import PolicyFile
from signalseq.rules.conditions import Condition, Node, evaluate, passes
from signalseq.rules.engine import RuleEngine
from signalseq.rules.facts import SignalFacts, account_facts, contact_facts
from signalseq.rules.ruleset import CompiledRule, RuleSet
from signalseq.signals.aggregates import AGGREGATE_FACTS

_RANK = {level: rank for rank, level in enumerate(SENIORITIES)}
_AGGREGATE_KEYS = {name: f"account.{name}" for name in AGGREGATE_FACTS}


@dataclass
class Verdict:
    signal_id: int
    contact_id: int | None
    account_id: int | None
    outcome: str  # enrolled | held_out | skipped
    reason: str
    rule_id: str | None = None
    sequence_id: str | None = None
    branch: str | None = None
    matched_rules: list[str] = field(default_factory=list)
    trace: dict[str, Any] = field(default_factory=dict)
    needs_review: bool = False
    enrollment_id: int | None = None


def referenced_facts(nodes: Iterable[Node]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, Condition):
            found.add(node.fact)
        else:
            found |= referenced_facts(node.items)
    return found


@dataclass
class KindPlan:
    """What deciding a signal of one kind needs, worked out once per rule set."""

    rules: list[CompiledRule]
    signal_facts: SignalFacts
    prescreen_names: tuple[str, ...]  # the facts the account-level conditions read
    prescreen: dict[tuple[Any, ...], list[CompiledRule]] = field(default_factory=dict)

    @classmethod
    def build(cls, ruleset: RuleSet, kind: str) -> KindPlan:
        rules = ruleset.for_kind(kind)
        names = {"signal.kind"}
        prescreen: set[str] = set()
        for rule in rules:
            names |= referenced_facts(rule.conditions)
            for conditions, _branch in rule.branch_cases:
                names |= referenced_facts(conditions)
            prescreen |= referenced_facts(rule.account_conditions)
        signal_names = frozenset(n for n in names if n.startswith("signal."))
        return cls(rules, SignalFacts(signal_names), tuple(sorted(prescreen)))

    def open_rules(self, facts: dict[str, Any]) -> list[CompiledRule]:
        """Rules whose signal and account conditions hold; memoized on the facts they read."""
        try:
            key = tuple(facts.get(name) for name in self.prescreen_names)
            cached = self.prescreen.get(key)
        except TypeError:  # an unhashable (list) value: evaluate directly
            key, cached = None, None
        if cached is None:
            cached = [r for r in self.rules if all(passes(n, facts) for n in r.account_conditions)]
            if key is not None and len(self.prescreen) < 100_000:
                self.prescreen[key] = cached
        return cached


@dataclass
class DecisionContext:
    ruleset: RuleSet
    engine: RuleEngine
    policy: PolicyFile
    history: History
    # Called for each enrollment at once, so the next contact's policy check sees it.
    record_enrollment: Callable[[Verdict, datetime], int | None]
    # Traces for signals no rule matched (the nearest rule's conditions). Live decisions
    # and rule diffs keep them; a plain backtest report does not need them.
    explain: bool = True
    # each contact's latest past employment (champion facts); None: not known here
    previous_job: Callable[[int], Any] | None = None
    # rules whose circuit breaker stopped their enrollments (live decisions only)
    paused_rules: frozenset[str] = frozenset()
    account_cache: dict[int, dict[str, Any]] = field(default_factory=dict)
    contact_cache: dict[int, dict[str, Any]] = field(default_factory=dict)
    plans: dict[str, KindPlan] = field(default_factory=dict)

    def plan(self, kind: str) -> KindPlan:
        plan = self.plans.get(kind)
        if plan is None:
            plan = self.plans[kind] = KindPlan.build(self.ruleset, kind)
        return plan

    def account_facts(self, account: Any, aggregates: dict[str, Any]) -> dict[str, Any]:
        if account is None:
            return {}
        static = self.account_cache.get(account.id)
        if static is None:
            static = self.account_cache[account.id] = account_facts(account, {})
        return {**static, **{_AGGREGATE_KEYS[name]: value for name, value in aggregates.items()}}

    def forget(self, contact_id: int) -> None:
        """A contact moved: its facts are read again."""
        self.contact_cache.pop(contact_id, None)

    def contact_facts(self, contact: Any, signal_contact_id: int | None) -> dict[str, Any]:
        static = self.contact_cache.get(contact.id)
        if static is None:
            previous = self.previous_job(contact.id) if self.previous_job else None
            static = self.contact_cache[contact.id] = contact_facts(contact, None, previous)
        return {**static, "contact.is_signal_person": contact.id == signal_contact_id}


def _trace(
    rule: CompiledRule | None, facts: dict[str, Any], *, with_contact: bool = True
) -> dict[str, Any]:
    """The rule's conditions with actual values (account-level: contact ones not evaluated)."""
    if rule is None:
        return {}
    nodes = rule.conditions if with_contact else rule.account_conditions
    return {
        "rule": rule.id,
        "location": rule.location,
        "conditions": [evaluate(node, facts).as_dict() for node in nodes],
    }


def _nearest(rules: list[CompiledRule], facts: dict[str, Any]) -> CompiledRule | None:
    """The rule that came closest: most conditions passing, then priority."""
    if not rules:
        return None
    return max(rules, key=lambda r: (sum(passes(n, facts) for n in r.conditions), r.priority))


def needs_aggregates(ruleset: RuleSet, kind: str) -> bool:
    return bool(aggregates_used(ruleset, kind))


def aggregates_used(ruleset: RuleSet, kind: str) -> frozenset[str]:
    """The aggregate names the rules for ``kind`` refer to (without ``account.``)."""
    from signalseq.signals.aggregates import AGGREGATE_FACTS

    found: set[str] = set()

    def visit(node: Node) -> None:
        if isinstance(node, Condition):
            name = node.fact.removeprefix("account.")
            if node.fact.startswith("account.") and name in AGGREGATE_FACTS:
                found.add(name)
        else:
            for item in node.items:
                visit(item)

    for rule in ruleset.for_kind(kind):
        for node in rule.conditions:
            visit(node)
        for conditions, _branch in rule.branch_cases:
            for node in conditions:
                visit(node)
    return frozenset(found)


def decide_signal(
    context: DecisionContext,
    *,
    signal: Any,
    account: Any,
    contacts: Sequence[Any] | Callable[[], Sequence[Any]],
    signal_contact_id: int | None,
    aggregates: dict[str, Any],
    as_of: datetime,
) -> list[Verdict]:
    plan = context.plan(signal.kind)
    rules = plan.rules
    base = {**plan.signal_facts(signal), **context.account_facts(account, aggregates)}
    account_id = account.id if account is not None else None

    def skipped(reason: str, contact_id: int | None = None, **extra: Any) -> Verdict:
        return Verdict(signal.id, contact_id, account_id, "skipped", reason, **extra)

    def unmatched_trace(facts: dict[str, Any], with_contact: bool) -> dict[str, Any]:
        if not context.explain:
            return {}
        return _trace(_nearest(rules, facts), facts, with_contact=with_contact)

    # Pre-screen: rules whose signal and account conditions fail cannot match any contact.
    open_rules = plan.open_rules(base)
    if not open_rules:
        return [skipped("no_rule_matched", trace=unmatched_trace(base, with_contact=False))]
    if callable(contacts):  # built only for signals past the pre-screen
        contacts = contacts()
    if not contacts:
        reason = "no_contacts" if account is not None else "no_account"
        rule = open_rules[0]
        return [skipped(reason, rule_id=rule.id, trace=_trace(rule, base, with_contact=False))]
    winners: dict[str, list[tuple[Any, dict[str, Any], list[str]]]] = defaultdict(list)
    verdicts: list[Verdict] = []
    for contact in contacts:
        facts = {**base, **context.contact_facts(contact, signal_contact_id)}
        winner = context.engine.winner(facts)
        if context.explain:
            # The other rules that matched, for the record, and a check that the engine
            # and the explanations agree (a property-based test holds them to it too).
            matched = [r.id for r in rules if all(passes(n, facts) for n in r.conditions)]
            if (winner.id if winner else None) != (matched[0] if matched else None):
                raise RuntimeError(
                    f"engine chose {winner.id if winner else None}, explanation "
                    f"{matched[:1]}, for signal {signal.id}"
                )
        else:
            matched = [winner.id] if winner else []
        if winner is None:
            verdicts.append(
                skipped("no_rule_matched", contact.id, trace=unmatched_trace(facts, True))
            )
            continue
        winners[winner.id].append((contact, facts, matched))
    for rule_id, chosen in winners.items():
        winning = context.ruleset.by_id(rule_id)
        assert winning is not None
        chosen.sort(key=lambda item: (_RANK.get(item[0].seniority, 99), item[0].id))
        for position, (contact, facts, matched) in enumerate(chosen):
            common: dict[str, Any] = {
                "rule_id": winning.id,
                "sequence_id": winning.enroll,
                "matched_rules": matched,
                "trace": _trace(winning, facts),
            }
            if position >= winning.max_per_account:
                verdicts.append(skipped("max_per_account", contact.id, **common))
                continue
            if winning.id in context.paused_rules:
                verdicts.append(skipped("rule_paused", contact.id, **common))
                continue
            gate = apply_policy(
                context.policy,
                context.history,
                contact=contact,
                account=account,
                sequence_id=winning.enroll,
                as_of=as_of,
                explain=context.explain,
            )
            common["trace"]["policy"] = gate.checks
            if gate.reason:
                verdicts.append(skipped(gate.reason, contact.id, **common))
                continue
            if winning.holds_out(contact.id):  # measured against, never contacted
                verdicts.append(
                    Verdict(
                        signal.id,
                        contact.id,
                        account_id,
                        "held_out",
                        "holdout",
                        branch=winning.branch_for(facts),
                        **common,
                    )  # fmt: skip
                )
                continue
            verdict = Verdict(
                signal.id,
                contact.id,
                account_id,
                "enrolled",
                "enrolled",
                branch=winning.branch_for(facts),
                needs_review=gate.needs_review or signal.match_status == "needs_review",
                **common,
            )
            verdict.enrollment_id = context.record_enrollment(verdict, as_of)
            verdicts.append(verdict)
    return verdicts

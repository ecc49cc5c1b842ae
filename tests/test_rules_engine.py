"""The durable_rules matcher agrees with the explanation evaluator, on any facts."""

from __future__ import annotations

import threading

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalseq.rules.conditions import SCALAR_OPS, holds
from signalseq.rules.engine import RuleEngine
from signalseq.rules.ruleset import compile_rules
from signalseq.workspace.loader import load_workspace

SEQUENCE = "id: outreach\nversion: 1\nbranches:\n  exec: {steps: [{id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener}]}\n  manager: {steps: [{id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener}]}\n"
RULES = """
rules:
  - id: big-round
    on: funding
    priority: 300
    when:
      - signal.amount_usd: {gte: 10000000}
      - signal.round: {in: [series_a, series_b, series_c]}
      - account.tier: {between: [1, 2]}
    enroll: outreach
    branch: {cases: [{when: [{contact.seniority: {in: [c_level, vp]}}], use: exec}], default: manager}
  - id: named-investor
    on: funding
    priority: 200
    when:
      - signal.investors: {any: {matches: "^Seq\\\\w+ \\\\d+"}}
      - account.country: {not_in: [CN, RU]}
    who: {seniority: [vp, head]}
    enroll: outreach
    branch: manager
  - id: pricing-heat
    on: website_visit
    priority: 150
    when:
      - account.pricing_visits_7d: {gte: 3}
      - any:
          - account.tier: 1
          - account.employees: {gt: 500}
      - account.is_customer: false
    enroll: outreach
    branch: manager
  - id: everyone-tagged
    on: funding
    priority: 100
    when:
      - signal.lead_investors: {all: {not_equals: Nobody}}
      - contact.title: {matches: "(?i)\\\\bhead\\\\b|\\\\d"}
      - account.industry: {missing: true}
    enroll: outreach
    branch: manager
  - id: fallback
    on: funding
    priority: 10
    when:
      - account.tier: {exists: true}
      - signal.round: {not_equals: seed}
    enroll: outreach
    branch: manager
"""


def _ruleset(make_workspace):
    root = make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "rules/sequences/outreach.yaml": SEQUENCE,
            "rules/triggers/main.yaml": RULES,
        }
    )
    ruleset, problems = compile_rules(load_workspace(root))
    assert problems == []
    return ruleset


def expected_winner(ruleset, facts):
    return next(
        (
            r.id
            for r in ruleset.rules
            if r.on == facts.get("signal.kind") and holds(r.conditions, facts)
        ),
        None,
    )


def test_highest_priority_match_wins(make_workspace):
    ruleset = _ruleset(make_workspace)
    engine = RuleEngine(ruleset)
    facts = {
        "signal.kind": "funding",
        "signal.amount_usd": 25_000_000,
        "signal.round": "series_b",
        "account.tier": 2,
        "contact.seniority": "vp",
        "signal.investors": ["Sequoia 2"],
        "account.country": "DE",
    }
    assert engine.winner(facts).id == "big-round"
    assert engine.winner({**facts, "account.tier": 3}).id == "named-investor", (
        "\\d works (Python re)"
    )
    assert engine.winner({**facts, "account.tier": None, "signal.investors": []}) is None
    assert engine.winner({"signal.kind": "job_change"}) is None


def test_engine_is_safe_to_call_from_threads(make_workspace):
    engine = RuleEngine(_ruleset(make_workspace))
    facts = {
        "signal.kind": "funding",
        "signal.amount_usd": 25_000_000,
        "signal.round": "series_b",
        "account.tier": 1,
    }
    results: list[str | None] = []

    def work() -> None:
        for _ in range(200):
            winner = engine.winner(facts)
            results.append(winner.id if winner else None)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["big-round"] * 800


maybe = st.one_of
facts_strategy = st.fixed_dictionaries(
    {
        "signal.kind": st.sampled_from(["funding", "website_visit"]),
        "signal.amount_usd": maybe(st.none(), st.integers(0, 50_000_000)),
        "signal.round": maybe(
            st.none(), st.sampled_from(["seed", "series_a", "series_c", "growth"])
        ),
        "account.tier": maybe(st.none(), st.integers(1, 4)),
        "account.country": maybe(st.none(), st.sampled_from(["US", "CN", "DE"])),
        "account.industry": maybe(st.none(), st.just("Software")),
        "account.pricing_visits_7d": st.integers(0, 6),
        "account.employees": maybe(st.none(), st.integers(0, 2000)),
        "account.is_customer": st.booleans(),
        "contact.seniority": st.sampled_from(["c_level", "vp", "head", "manager"]),
        "contact.title": maybe(st.none(), st.sampled_from(["Head of Sales", "VP 2", "Engineer"])),
        "signal.investors": maybe(
            st.none(), st.lists(st.sampled_from(["Sequoia 7", "Seq", "Accel"]), max_size=3)
        ),
        "signal.lead_investors": maybe(
            st.none(), st.lists(st.sampled_from(["Nobody", "Index"]), max_size=2)
        ),
    }
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(facts=facts_strategy)
def test_engine_agrees_with_the_explanation_evaluator(make_workspace, facts):
    ruleset = _ruleset(make_workspace)
    winner = RuleEngine(ruleset).winner(facts)
    assert (winner.id if winner else None) == expected_winner(ruleset, facts)


def test_changed_rules_are_swapped_in_and_broken_ones_are_not(make_workspace, caplog):
    import os
    import time

    from signalseq.rules.watcher import RulesWatcher

    root = make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "rules/sequences/outreach.yaml": SEQUENCE,
            "rules/triggers/main.yaml": RULES,
        }
    )
    watcher = RulesWatcher(root)
    first = watcher.current()
    assert watcher.current() is first, "unchanged files: the same rules, nothing reloaded"
    rules_file = root / "rules" / "triggers" / "main.yaml"

    def rewrite(text: str) -> None:
        rules_file.write_text(text)
        later = time.time() + 5
        os.utime(rules_file, (later, later))

    rewrite(RULES.replace("priority: 300", "priority: 301"))
    second = watcher.current()
    assert second.ruleset.version != first.ruleset.version
    assert second.ruleset.by_id("big-round").priority == 301
    facts = {
        "signal.kind": "funding",
        "signal.amount_usd": 25_000_000,
        "signal.round": "series_b",
        "account.tier": 1,
    }
    assert second.engine.winner(facts).id == "big-round"

    rewrite(RULES.replace("enroll: outreach", "enroll: nowhere", 1))
    with caplog.at_level("ERROR", logger="signalseq.rules"):
        third = watcher.current()
    assert third is second, "a broken file leaves the previous version running"
    assert any("unknown sequence 'nowhere'" in r.getMessage() for r in caplog.records)
    assert watcher.last_problems and "rules/triggers/main.yaml" in watcher.last_problems[0]


values = st.one_of(
    st.none(),
    st.integers(-5, 5),
    st.floats(-5, 5, allow_nan=False),
    st.booleans(),
    st.sampled_from(["a", "b", "10"]),
    st.lists(st.integers(0, 3), max_size=2),
)


@settings(max_examples=600, deadline=None)
@given(
    op=st.sampled_from([op for op in SCALAR_OPS if op != "matches"]),
    target=st.one_of(st.integers(-3, 3), st.sampled_from(["a", "b"]), st.booleans()),
    actual=values,
)
def test_fast_checks_agree_with_the_explanations(op, target, actual):
    from signalseq.rules.conditions import Condition, Test, evaluate, passes

    value = {
        "in": (target, 2),
        "not_in": (target, 2),
        "between": (-1, 2),
        "exists": True,
        "missing": True,
    }.get(op, target)
    condition = Condition("account.x", Test(op, value))
    facts = {"account.x": actual}
    assert passes(condition, facts) == evaluate(condition, facts).passed

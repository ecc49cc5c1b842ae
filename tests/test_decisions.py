"""Decisions on a seeded scenario: every outcome and skip reason, and `explain`."""

from __future__ import annotations

import json

import pytest

ACCOUNTS = (
    "domain,name,tier,country,is_customer\n"
    "alpha.com,Alpha Robotics,1,US,no\n"
    "beta.de,Beta Logistik,1,DE,no\n"
    "gamma.com,Gamma Cloud,2,US,yes\n"
    "delta.com.br,Delta Pagamentos,2,BR,no\n"
    "omega.com,Omega Data,3,US,no\n"
)
CONTACTS = (
    "email,first_name,last_name,title,company_domain\n"
    "ceo@alpha.com,Ada,Lane,CEO,alpha.com\n"
    "vp@alpha.com,Ben,Marsh,VP Sales,alpha.com\n"
    "mgr@alpha.com,Cy,North,Sales Manager,alpha.com\n"
    "cto@beta.de,Dora,Ost,CTO,beta.de\n"
    "ceo@gamma.com,Eli,Park,CEO,gamma.com\n"
    "ceo@delta.com.br,Fay,Quinn,CEO,delta.com.br\n"
    "ceo@omega.com,Gus,Reed,CEO,omega.com\n"
)
ITEM = (
    "<item><title>{title}</title><guid>{guid}</guid>"
    "<pubDate>{day} Nov 2026 09:00:00 +0000</pubDate></item>"
)


def feed(*items: tuple[str, str, str]) -> str:
    body = "".join(ITEM.format(title=t, guid=g, day=d) for t, g, d in items)
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>n</title>{body}</channel></rss>'
    )


WORKSPACE = {
    "workspace.yaml": "name: t\n",
    "rules/sequences/growth.yaml": "id: growth\nversion: 3\nbranches:\n  exec: {steps: [{id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener}]}\n  team: {steps: [{id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener}]}\n",
    "rules/triggers/funding.yaml": """
rules:
  - id: big-round
    on: funding
    priority: 200
    when:
      - signal.amount_usd: {gte: 10000000}
      - account.tier: {in: [1, 2]}
    who: {seniority: [c_level, vp], max_per_account: 1}
    enroll: growth
    branch:
      cases: [{when: [{contact.seniority: c_level}], use: exec}]
      default: team
  - id: any-round
    on: funding
    priority: 10
    when:
      - signal.amount_usd: {gte: 10000000}
    who: {seniority: [c_level, vp]}
    enroll: growth
    branch: team
""",
    "rules/policy.yaml": """
suppression: {addresses: [ceo@omega.com]}
jurisdictions: {default: blocked, countries: {US: allowed, DE: needs_review}}
""",
}


@pytest.fixture
def scenario(make_workspace, run_cli, tmp_path):
    (tmp_path / "a.csv").write_text(ACCOUNTS)
    (tmp_path / "c.csv").write_text(CONTACTS)
    assert run_cli("import", "accounts", tmp_path / "a.csv", "--strict").exit_code == 0
    assert run_cli("import", "contacts", tmp_path / "c.csv", "--strict").exit_code == 0
    make_workspace(
        {
            **WORKSPACE,
            "connectors/news.yaml": "type: funding_feed\npath: news.xml\n",
            "news.xml": feed(
                ("Alpha Robotics raises $25M Series B", "n1", "Mon, 02"),
                ("Beta Logistik raises $30M Series C", "n2", "Mon, 02"),
                ("Gamma Cloud raises $40M Series C", "n3", "Mon, 02"),
                ("Delta Pagamentos raises $20M Series B", "n4", "Mon, 02"),
                ("Omega Data raises $12M Series A", "n5", "Mon, 02"),
                ("Alpha Robotics raises $5M seed extension", "n6", "Tue, 03"),
                ("Alpha Robotics lands $60M Series C", "n7", "Wed, 04"),
            ),
        }
    )
    assert run_cli("ingest").exit_code == 0


def decisions_of(run_cli, email):
    return json.loads(run_cli("explain", email, "--json").stdout)["decisions"]


def test_every_outcome_has_its_reason(scenario, run_cli):
    result = run_cli("decide", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["signals"] == 7
    assert report["enrolled_by_rule"] == {"big-round": 2}

    ceo = [d for d in decisions_of(run_cli, "ceo@alpha.com") if d["for_this_contact"]]
    assert [(d["outcome"], d["reason"]) for d in ceo] == [
        ("enrolled", "enrolled"),
        ("skipped", "already_enrolled"),
    ]
    assert (ceo[0]["rule"], ceo[0]["sequence"], ceo[0]["branch"]) == ("big-round", "growth", "exec")
    assert ceo[0]["other_matching_rules"] == ["any-round"]
    assert [c["condition"] for c in ceo[0]["trace"]["conditions"]] == [
        "signal.amount_usd gte 10000000",
        "account.tier in [1, 2]",
        "contact.seniority in ['c_level', 'vp']",
    ]

    vp = [d for d in decisions_of(run_cli, "vp@alpha.com") if d["for_this_contact"]]
    assert [d["reason"] for d in vp] == ["max_per_account", "max_per_account"], (
        "the CEO outranks the VP"
    )
    manager = [d for d in decisions_of(run_cli, "mgr@alpha.com") if d["for_this_contact"]]
    assert {d["reason"] for d in manager} == {"no_rule_matched"}
    small = [d for d in decisions_of(run_cli, "mgr@alpha.com") if not d["for_this_contact"]]
    assert [d["reason"] for d in small] == ["no_rule_matched"], (
        "the $5M round is decided once, for the account"
    )

    (beta,) = decisions_of(run_cli, "cto@beta.de")
    assert beta["outcome"] == "enrolled"
    enrollment = json.loads(run_cli("explain", "cto@beta.de", "--json").stdout)["enrollments"][0]
    assert (enrollment["needs_review"], enrollment["version"]) == (True, 3), (
        "DE needs review; version pinned"
    )

    assert [d["reason"] for d in decisions_of(run_cli, "ceo@gamma.com")] == ["customer"]
    assert [d["reason"] for d in decisions_of(run_cli, "ceo@delta.com.br")] == [
        "jurisdiction_blocked"
    ]
    (omega,) = decisions_of(run_cli, "ceo@omega.com")
    assert (omega["reason"], omega["rule"]) == ("suppressed", "any-round"), (
        "tier 3: only the fallback rule"
    )
    failed = [c for c in omega["trace"]["policy"] if not c["passed"]]
    assert failed == [{"check": "suppressed", "passed": False, "detail": "on the suppression list"}]


def test_deciding_twice_decides_nothing_new(scenario, run_cli):
    first = json.loads(run_cli("decide", "--json").stdout)
    second = json.loads(run_cli("decide", "--json").stdout)
    assert first["signals"] == 7 and second["signals"] == 0


def test_explain_prints_a_readable_timeline(scenario, run_cli):
    run_cli("decide")
    result = run_cli("explain", "ceo@alpha.com")
    assert result.exit_code == 0
    assert "ENROLLED in growth/exec — rule big-round" in result.stdout
    assert "also matched: any-round" in result.stdout
    assert "policy ✗ already_enrolled: active in growth" in result.stdout
    missing = run_cli("explain", "nobody@nowhere.com")
    assert missing.exit_code == 1 and "no contact with e-mail" in missing.stderr


def test_rule_references_are_validated(make_workspace, run_cli):
    make_workspace(
        {
            **WORKSPACE,
            "rules/triggers/funding.yaml": """
rules:
  - id: r1
    on: funding
    when:
      - signal.amount_usd: {gte: ten}
      - signal.round: {in: [series_z]}
      - signal.colour: red
      - account.tier: {near: 1}
      - contact.title: {matches: "([unclosed"}
    enroll: growth
    branch: vip
  - id: r1
    on: funding
    enroll: nurture
""",
        }
    )
    lines = [line for line in run_cli("validate").stdout.splitlines() if line.startswith("rules/")]
    assert lines == [
        "rules/triggers/funding.yaml:6 rules[0].when[0].signal.amount_usd.gte: expected a number for signal.amount_usd, got 'ten'",
        "rules/triggers/funding.yaml:7 rules[0].when[1].signal.round.in[0]: unknown value 'series_z' for signal.round; "
        "one of: pre_seed, seed, series_a, series_b, series_c, series_d, series_e, series_f, series_g, series_h, growth, debt, bridge, extension",
        "rules/triggers/funding.yaml:8 rules[0].when[2].signal.colour: unknown fact 'signal.colour'",
        "rules/triggers/funding.yaml:9 rules[0].when[3].account.tier.near: unknown operator 'near'; one of: equals, "
        "not_equals, lt, lte, gt, gte, in, not_in, between, exists, missing, matches, any, all",
        "rules/triggers/funding.yaml:10 rules[0].when[4].contact.title.matches: pattern does not compile: "
        "unterminated character set at position 1",
        "rules/triggers/funding.yaml:12 rules[0].branch: sequence 'growth' has no branch 'vip' (branches: exec, team)",
        "rules/triggers/funding.yaml:13 rules[1].id: duplicate rule id 'r1' (also at rules/triggers/funding.yaml:3)",
        "rules/triggers/funding.yaml:15 rules[1].enroll: unknown sequence 'nurture' (known: growth)",
    ]


def test_a_holdout_records_held_out_contacts_and_enrolls_none_of_them(
    scenario, run_cli, make_workspace
):
    rules = WORKSPACE["rules/triggers/funding.yaml"].replace(
        "    enroll: growth\n    branch:\n      cases:",
        "    holdout: 50%\n    enroll: growth\n    branch:\n      cases:",
    )
    assert "holdout: 50%" in rules
    make_workspace({**WORKSPACE, "rules/triggers/funding.yaml": rules,
                    "connectors/news.yaml": "type: funding_feed\npath: news.xml\n"})  # fmt: skip
    report = json.loads(run_cli("decide", "--json").stdout)
    decided = {
        email: [d for d in decisions_of(run_cli, email) if d["for_this_contact"]]
        for email in ("ceo@alpha.com", "cto@beta.de")
    }
    outcomes = {email: d[0]["outcome"] for email, d in decided.items()}
    assert set(outcomes.values()) <= {"enrolled", "held_out"}
    held = [email for email, outcome in outcomes.items() if outcome == "held_out"]
    assert held, "with these ids the 50% share holds someone out (the hash is stable)"
    for email in held:
        assert json.loads(run_cli("explain", email, "--json").stdout)["enrollments"] == []
        assert decided[email][0]["reason"] == "holdout"
    assert report["outcomes"].get("holdout", 0) >= len(held)
    again = run_cli("backtest", "--json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["skips"].get("holdout", 0) == report["outcomes"].get(
        "holdout", 0
    ), "a backtest holds out the same contacts"

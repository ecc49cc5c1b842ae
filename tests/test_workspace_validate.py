"""`signalseq validate`: every problem, located, and a one-line summary when clean."""

from __future__ import annotations

import json

from signalseq.workspace.yamlfile import parse_yaml

GOOD = "name: Acme outbound\ndefault_timezone: Europe/Berlin\ndefault_country: DE\n"


def test_clean_workspace_prints_one_line_and_exits_0(make_workspace, run_cli):
    make_workspace({"workspace.yaml": GOOD})
    result = run_cli("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().count("\n") == 0
    assert "valid" in result.stdout


def test_three_planted_errors_are_all_reported_with_file_and_line(make_workspace, run_cli):
    make_workspace(
        {
            "workspace.yaml": (
                "name: Acme outbound\n"  # 1
                "default_timezone: Europe/Berlin\n"  # 2
                "name: Acme again\n"  # 3: a duplicate key
                "default_country: [DE]\n"  # 4: a wrong type
                "tone: friendly\n"  # 5: an unknown field
            )
        }
    )
    result = run_cli("validate")
    assert result.exit_code == 1
    located = [line for line in result.stdout.splitlines() if line.startswith("workspace.yaml:")]
    assert located == [
        "workspace.yaml:3 name: duplicate key 'name' (first defined on line 1)",
        "workspace.yaml:4 default_country: expected text, got list",
        "workspace.yaml:5 tone: unknown field",
    ]
    assert result.stdout.splitlines()[-1].startswith("3 problem(s)")


def test_problems_in_several_files_are_all_reported(make_workspace, run_cli):
    from signalseq.errors import Problem
    from signalseq.workspace.service import validate

    root = make_workspace({"workspace.yaml": "name: A\ndefault_timezone: Mars/Olympus\n"})
    report = validate(root)
    assert report.problems == [
        Problem(
            "workspace.yaml",
            2,
            "default_timezone",
            "unknown time zone 'Mars/Olympus' (use an IANA name like Europe/Berlin)",
            1,
            "default_timezone: Mars/Olympus",
        )
    ]


def test_problems_show_a_caret_under_the_offending_line(make_workspace, run_cli):
    make_workspace({"workspace.yaml": "name: A\ncolour: red\n"})
    lines = run_cli("validate").stdout.splitlines()
    index = lines.index("workspace.yaml:2 colour: unknown field")
    assert lines[index + 1].endswith("| colour: red")
    assert lines[index + 2].strip() == "^"


def test_yaml_syntax_error_is_located(make_workspace, run_cli):
    make_workspace({"workspace.yaml": "name: A\ndefault_timezone: [UTC\n"})
    result = run_cli("validate")
    assert result.exit_code == 1
    assert result.stdout.startswith("workspace.yaml:3 invalid YAML")


def test_validate_json_lists_problems(make_workspace, run_cli):
    make_workspace({"workspace.yaml": "name: A\ncolour: red\n"})
    result = run_cli("validate", "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["problems"] == [
        {"path": "workspace.yaml", "line": 2, "field": "colour", "message": "unknown field"}
    ]


def test_not_a_workspace_is_a_usage_error(tmp_path, run_cli):
    result = run_cli("validate", str(tmp_path))
    assert result.exit_code == 2
    assert "not a signalseq workspace" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unsafe_yaml_tags_are_refused():
    _document, problems = parse_yaml("name: !!python/object/apply:os.system ['true']\n", "x.yaml")
    assert [(p.line, p.field) for p in problems] == [(1, "name")]
    assert (
        "unsupported YAML tag tag:yaml.org,2002:python/object/apply:os.system"
        in problems[0].message
    )
    _document, problems = parse_yaml("name: !!python/name:os.system\n", "x.yaml")
    assert problems and "invalid YAML" in problems[0].message


def test_the_shipped_default_workspace_is_valid(run_cli):
    from tests.conftest import REPO_ROOT

    result = run_cli("validate", str(REPO_ROOT))
    assert result.exit_code == 0, result.output


def test_connector_files_are_validated_with_locations(make_workspace, run_cli):
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "connectors/a.yaml": "type: funding_feed\nurl: https://x.example/feed\npath: feed.xml\n",
            "connectors/b.yaml": "type: carrier_pigeon\n",
            "connectors/c.yaml": "type: job_changes\npath: missing.jsonl\n",
            "connectors/d.yaml": "name: shared\ntype: webhook\nsecret_env: HOOK\n",
            "connectors/e.yaml": "name: shared\ntype: webhook\nsecret_env: lower-case\nschedule: weekly\n",
        }
    )
    result = run_cli("validate")
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("connectors/")]
    assert lines == [
        "connectors/a.yaml:1 give exactly one of url or path",
        "connectors/b.yaml:1 type: unknown type 'carrier_pigeon'; expected one of "
        "'funding_feed', 'job_changes', 'job_snapshots', 'website_visits', 'webhook'",
        "connectors/c.yaml:2 path: no such file: missing.jsonl",  # all problems in one pass
        "connectors/e.yaml:3 secret_env: string should match pattern '^[A-Z_][A-Z0-9_]*$'",
        "connectors/e.yaml:4 schedule: expected an interval like 15m, 1h or 1d, got 'weekly'",
    ]
    make_workspace(
        {
            "connectors/b.yaml": "type: job_changes\npath: missing.jsonl\n",
            "connectors/a.yaml": "type: funding_feed\npath: feed.xml\n",
            "connectors/e.yaml": "name: shared\ntype: webhook\nsecret_env: HOOK\n",
        }
    )
    lines = [
        line for line in run_cli("validate").stdout.splitlines() if line.startswith("connectors/")
    ]
    assert lines == [
        "connectors/a.yaml:2 path: no such file: feed.xml",
        "connectors/b.yaml:2 path: no such file: missing.jsonl",
        "connectors/c.yaml:2 path: no such file: missing.jsonl",
        "connectors/e.yaml:1 name: connector name 'shared' is also used by connectors/d.yaml",
    ]


def test_a_mailbox_name_with_a_line_break_is_a_located_problem(make_workspace, run_cli):
    root = make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "delivery/mailboxes.yaml": "mailboxes:\n  - id: sales\n"
            "    address: maya@tallyforge-demo.com\n"
            '    name: "Maya\\r\\nBcc: victim@example.com"\n',
        }
    )
    result = run_cli("validate", root)
    assert result.exit_code == 1
    assert "delivery/mailboxes.yaml:4 mailboxes[0].name:" in result.output
    assert "cannot stand in a From header" in result.output


PLANTED = """rules:
  - id: typo-rule
    on: funding
    priority: 5
    when:
      - signal.amount_usdd: {gte: 1000000}
      - account.tier: {inn: [1, 2]}
      - contact.senority: {in: [vp]}
    who: {seniority: [vp]}
    enroll: funded-grwoth
    brnach: exec
"""


def test_validate_reports_every_planted_problem_in_one_run_with_suggestions(tmp_path, run_cli):
    root = tmp_path / "ws"
    assert run_cli("init", root).exit_code == 0
    (root / "rules/triggers/bad.yaml").write_text(PLANTED)
    for folder, prefix in (
        (root, "rules/triggers/bad.yaml"),
        (root / "rules", "triggers/bad.yaml"),
    ):
        result = run_cli("validate", folder)  # a workspace, or a bare rules folder
        assert result.exit_code == 1, result.output
        lines = [line for line in result.stdout.splitlines() if line.startswith(prefix)]
        assert lines == [
            f"{prefix}:6 rules[0].when[0].signal.amount_usdd: unknown fact 'signal.amount_usdd' "
            "(did you mean 'signal.amount_usd'?)",
            f"{prefix}:7 rules[0].when[1].account.tier.inn: unknown operator 'inn' (did you mean "
            "'in'?); one of: equals, not_equals, lt, lte, gt, gte, in, not_in, between, exists, "
            "missing, matches, any, all",
            f"{prefix}:8 rules[0].when[2].contact.senority: unknown fact 'contact.senority' "
            "(did you mean 'contact.seniority'?)",
            f"{prefix}:10 rules[0].enroll: unknown sequence 'funded-grwoth' (did you mean "
            "'funded-growth'?) (known: funded-growth, hot-account, new-leader)",
            f"{prefix}:11 rules[0].brnach: unknown field (did you mean 'branch'?)",
        ]
    (root / "rules/triggers/bad.yaml").unlink()
    assert run_cli("validate", root / "rules").exit_code == 0

"""Sequence files: validation with locations, and `signalseq lint` warnings."""

from __future__ import annotations

import json

GOOD = """id: outreach
version: 2
branches:
  main:
    steps:
      - {id: opener, channel: email, day: 0, purpose: opener, prompt: email-opener}
      - {id: connect, channel: linkedin_connect, after: 2, purpose: connect, prompt: linkedin-connect}
      - {id: bump, channel: email, after: 2, purpose: bump, prompt: email-bump, thread: continue}
      - {id: call, channel: call, after: 2, purpose: call, prompt: call-script}
      - {id: value, channel: email, after: 3, purpose: value_add, prompt: email-value}
      - {id: breakup, channel: email, after: 4, purpose: breakup, prompt: email-breakup}
"""
RULE = "rules:\n  - {id: r, on: funding, enroll: outreach, branch: main}\n"


def test_a_good_sequence_validates_and_lints_clean(make_workspace, run_cli):
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "rules/sequences/outreach.yaml": GOOD,
            "rules/triggers/t.yaml": RULE,
        }
    )
    assert run_cli("validate").exit_code == 0
    result = run_cli("lint")
    assert (result.exit_code, result.stdout.strip()) == (0, "no warnings")


def test_sequence_errors_are_located(make_workspace, run_cli):
    bad = """id: outreach
version: 1
exits: {on_reply: false}
branches:
  main:
    steps:
      - {id: opener, channel: email, after: 1, purpose: opener, prompt: p1, thread: continue}
      - {id: opener, channel: sms, day: 3, purpose: opener}
      - {id: late, channel: email, day: 1, purpose: pitch, prompt: p2}
      - {id: call, channel: call, day: 5, after: 2, purpose: call, prompt: p3}
      - {id: noprompt, channel: linkedin_message, day: 6, purpose: message}
engagement:
  - {on: link_click, then: {branch: vip}}
  - {on: opened_without_reply, then: {skip_to: nowhere}}
"""
    make_workspace({"workspace.yaml": "name: t\n", "rules/sequences/outreach.yaml": bad})
    lines = [line for line in run_cli("validate").stdout.splitlines() if line.startswith("rules/")]
    assert lines == [
        "rules/sequences/outreach.yaml:3 exits: exits on reply, meeting booked, unsubscribe and hard bounce "
        "are always on and cannot be configured",
        "rules/sequences/outreach.yaml:8 branches.main.steps[1].channel: input should be 'email', 'call', "
        "'linkedin_connect', 'linkedin_message' or 'task'",
        "rules/sequences/outreach.yaml:9 branches.main.steps[2].purpose: unknown purpose 'pitch'; one of: opener, "
        "bump, new_angle, value_add, breakup, call, connect, message, follow_up, task",
        "rules/sequences/outreach.yaml:10 branches.main.steps[3]: give exactly one of day (after enrollment) "
        "or after (after the previous step)",
        "rules/sequences/outreach.yaml:14 engagement[1]: opened_without_reply needs after_touches",
    ]
    fixed = bad.replace("exits: {on_reply: false}\n", "").replace("channel: sms", "channel: email")
    fixed = fixed.replace("purpose: pitch", "purpose: bump").replace("day: 5, after: 2", "after: 2")
    fixed = fixed.replace(
        "then: {skip_to: nowhere}}", "after_touches: 2, then: {skip_to: nowhere}}"
    )
    make_workspace({"rules/sequences/outreach.yaml": fixed})
    lines = [line for line in run_cli("validate").stdout.splitlines() if line.startswith("rules/")]
    assert lines == [
        "rules/sequences/outreach.yaml:6 branches.main.steps[0].after: the first step is timed with day (after enrollment)",
        "rules/sequences/outreach.yaml:6 branches.main.steps[0].thread: continue needs an earlier email in this branch",
        "rules/sequences/outreach.yaml:7 branches.main.steps[1].id: duplicate step id 'opener' in branch 'main'",
        "rules/sequences/outreach.yaml:7 branches.main.steps[1].id: step 'opener' (email) needs a prompt",
        "rules/sequences/outreach.yaml:8 branches.main.steps[2].day: step 'late' (business day 1) comes before "
        "the previous step (day 3)",
        "rules/sequences/outreach.yaml:10 branches.main.steps[4].id: step 'noprompt' (linkedin_message) needs a prompt",
        "rules/sequences/outreach.yaml:12 engagement[0].then.branch: no branch 'vip' (branches: main)",
        "rules/sequences/outreach.yaml:13 engagement[1].then.skip_to: no step 'nowhere' in this sequence",
    ]


def test_lint_warns_where_sequences_depart_from_what_works(make_workspace, run_cli):
    short = """id: outreach
version: 1
branches:
  main:
    steps:
      - {id: e1, channel: email, day: 0, purpose: opener, prompt: a}
      - {id: e2, channel: email, day: 1, purpose: bump, prompt: b}
      - {id: e3, channel: email, day: 3, purpose: bump, prompt: b}
      - {id: e4, channel: email, day: 5, purpose: breakup, prompt: c}
      - {id: e5, channel: email, day: 7, purpose: value_add, prompt: d}
  orphan:
    steps:
      - {id: e1, channel: email, day: 0, purpose: opener, prompt: a}
"""
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "rules/sequences/outreach.yaml": short,
            "rules/triggers/t.yaml": RULE,
        }
    )
    result = run_cli("lint", "--json")
    assert result.exit_code == 0, "warnings alone exit 0"
    messages = [(f["line"], f["message"]) for f in json.loads(result.stdout)]
    assert messages == [
        (4, "1 channel(s) (email); use email, phone and LinkedIn"),
        (4, "5 touches; 6–12 work best"),
        (4, "spans about 10 days; 14–28 work best"),
        (7, "1 business day(s) after the previous touch; leave at least 2"),
        (8, "same prompt 'b' as the previous step (same message, different channel)"),
        (9, "4 or more emails in a row"),
        (10, "a step after the breakup"),
        (10, "the last email is not a breakup"),
        (11, "1 channel(s) (email); use email, phone and LinkedIn"),
        (11, "1 touches; 6–12 work best"),
        (11, "no trigger rule or engagement rule leads to branch 'orphan'"),
        (11, "spans about 0 days; 14–28 work best"),
        (13, "the last email is not a breakup"),
    ]
    assert run_cli("lint", "--strict").exit_code == 1


def test_the_demo_sequences_lint_clean(run_cli):
    from tests.conftest import REPO_ROOT

    result = run_cli("-w", str(REPO_ROOT), "lint")
    assert result.stdout.strip() == "no warnings"

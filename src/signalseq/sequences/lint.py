"""``signalseq lint``: research-backed warnings about sequences, with locations.

Best-practice ranges: 6–12 touches over 14–28 days, at least 3 channels, no more than
3 emails in a row, at least 2 business days between touches, ending on a breakup email,
never the same message twice in a row on different channels.
"""

from __future__ import annotations

from dataclasses import dataclass

from signalseq.errors import Problem
from signalseq.rules.ruleset import compile_rules
from signalseq.sequences.checks import step_offsets
from signalseq.workspace.loader import Workspace

CHANNEL_FAMILY = {
    "email": "email",
    "call": "phone",
    "linkedin_connect": "linkedin",
    "linkedin_message": "linkedin",
    "task": "task",
}


@dataclass(frozen=True, order=True)
class Finding:
    problem: Problem
    level: str  # warning or error

    def __str__(self) -> str:
        return f"{self.problem} [{self.level}]"


def _calendar_days(business_days: int) -> float:
    return business_days * 7 / 5


def lint_workspace(workspace: Workspace) -> list[Finding]:
    findings: list[Finding] = []
    ruleset, _problems = compile_rules(workspace)
    reachable: dict[str, set[str]] = {}
    for rule in ruleset.rules:
        names = reachable.setdefault(rule.enroll, set())
        names.add(rule.branch_default)
        names.update(branch for _conditions, branch in rule.branch_cases)
    for loaded in workspace.all("sequence"):
        sequence = loaded.model
        targets = {r.then.branch for r in sequence.engagement if r.then.branch}

        def warn(loc: tuple[object, ...], message: str, loaded: object = loaded) -> None:
            findings.append(Finding(loaded.problem(loc, message), "warning"))  # type: ignore[attr-defined]

        for name, branch in sequence.branches.items():
            base = ("branches", name, "steps")
            steps = branch.steps
            offsets = step_offsets(steps)
            if not 6 <= len(steps) <= 12:
                warn(("branches", name), f"{len(steps)} touches; 6–12 work best")
            span = _calendar_days(offsets[-1] - offsets[0]) if steps else 0
            if not 14 <= span <= 28:
                warn(("branches", name), f"spans about {span:.0f} days; 14–28 work best")
            families = {CHANNEL_FAMILY[s.channel] for s in steps} - {"task"}
            if len(families) < 3:
                warn(
                    ("branches", name),
                    f"{len(families)} channel(s) ({', '.join(sorted(families))}); "
                    "use email, phone and LinkedIn",
                )
            run = 0
            for index, step in enumerate(steps):
                run = run + 1 if step.channel == "email" else 0
                if run == 4:
                    warn((*base, index), "4 or more emails in a row")
                if index and offsets[index] - offsets[index - 1] < 2:
                    warn(
                        (*base, index),
                        f"{offsets[index] - offsets[index - 1]} business day(s) after the "
                        "previous touch; leave at least 2",
                    )
                if index and step.prompt and step.prompt == steps[index - 1].prompt:
                    warn(
                        (*base, index, "prompt"),
                        f"same prompt {step.prompt!r} as the previous step "
                        "(same message, different channel)",
                    )
            breakups = [i for i, s in enumerate(steps) if s.purpose == "breakup"]
            emails = [i for i, s in enumerate(steps) if s.channel == "email"]
            if emails and steps[emails[-1]].purpose != "breakup":
                warn((*base, emails[-1], "purpose"), "the last email is not a breakup")
            if breakups and breakups[0] < len(steps) - 1:
                warn((*base, breakups[0] + 1), "a step after the breakup")
            if name not in reachable.get(sequence.id, set()) | targets:
                warn(
                    ("branches", name),
                    f"no trigger rule or engagement rule leads to branch {name!r}",
                )
    return sorted(findings)

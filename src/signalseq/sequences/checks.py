"""Checks across sequence files, run by ``validate``: errors, with file and line."""

from __future__ import annotations

from typing import Any

from signalseq.errors import Problem
from signalseq.sequences.schema import SequenceFile
from signalseq.workspace.loader import LoadedFile, Workspace


def step_offsets(steps: list[Any]) -> list[int]:
    """Each step's business-day offset from enrollment (``day``, or previous + ``after``)."""
    offsets: list[int] = []
    for step in steps:
        offsets.append(
            step.day if step.day is not None else (offsets[-1] if offsets else 0) + step.after
        )
    return offsets


def _check_sequence(loaded: LoadedFile[SequenceFile]) -> list[Problem]:
    sequence = loaded.model
    problems: list[Problem] = []
    all_steps = {step.id for branch in sequence.branches.values() for step in branch.steps}
    for name, branch in sequence.branches.items():
        seen: set[str] = set()
        emailed = False
        offsets = step_offsets(branch.steps)
        for index, step in enumerate(branch.steps):
            loc = ("branches", name, "steps", index)
            if step.id in seen:
                problems.append(
                    loaded.problem(
                        (*loc, "id"), f"duplicate step id {step.id!r} in branch {name!r}"
                    )
                )
            seen.add(step.id)
            if index == 0 and step.after is not None:
                problems.append(
                    loaded.problem(
                        (*loc, "after"), "the first step is timed with day (after enrollment)"
                    )
                )
            if index > 0 and offsets[index] < offsets[index - 1]:
                problems.append(
                    loaded.problem(
                        (*loc, "day"),
                        f"step {step.id!r} (business day {offsets[index]}) "
                        f"comes before the previous step (day {offsets[index - 1]})",
                    )
                )
            if step.channel == "email":
                if step.thread == "continue" and not emailed:
                    problems.append(
                        loaded.problem(
                            (*loc, "thread"), "continue needs an earlier email in this branch"
                        )
                    )
                emailed = True
            if step.channel != "task" and step.prompt is None:
                problems.append(
                    loaded.problem(
                        (*loc, "id"), f"step {step.id!r} ({step.channel}) needs a prompt"
                    )
                )
    for index, rule in enumerate(sequence.engagement):
        then_loc: tuple[str | int, ...] = ("engagement", index, "then")
        if rule.then.branch and rule.then.branch not in sequence.branches:
            problems.append(
                loaded.problem(
                    (*then_loc, "branch"),
                    f"no branch {rule.then.branch!r} (branches: {', '.join(sequence.branches)})",
                )
            )
        if rule.then.skip_to and rule.then.skip_to not in all_steps:
            problems.append(
                loaded.problem(
                    (*then_loc, "skip_to"), f"no step {rule.then.skip_to!r} in this sequence"
                )
            )
    return problems


def check_sequences(workspace: Workspace) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[tuple[str, int], str] = {}
    for loaded in workspace.all("sequence"):
        key = (loaded.model.id, loaded.model.version)
        if key in seen:
            problems.append(
                loaded.problem(
                    ("version",),
                    f"sequence {key[0]!r} version {key[1]} is also defined in {seen[key]}",
                )
            )
        seen.setdefault(key, workspace.relative(loaded.path))
        problems.extend(_check_sequence(loaded))
    return problems

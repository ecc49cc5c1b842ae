"""The prompts a workspace drafts with, and the checks ``validate`` runs on them.

A workspace with a ``prompts/`` folder uses its own prompts and ``sender.yaml``, and every
step's ``prompt`` must name one of them with the step's channel. A workspace without one
(a bare rules folder, an old workspace) drafts with the prompts shipped with signalseq,
picked by the step's prompt id or, failing that, by channel, purpose and signal kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from signalseq.drafting.prompts import PromptFile, compiled, template_problems
from signalseq.drafting.samples import SAMPLE_KINDS, sample_variables
from signalseq.drafting.sender import SenderProfile
from signalseq.errors import ConfigError, Problem
from signalseq.workspace.loader import Workspace


@dataclass(frozen=True)
class PromptLibrary:
    prompts: dict[str, PromptFile]
    sender: SenderProfile
    origin: str  # "workspace" or "shipped"

    def find(
        self, prompt_id: str | None, channel: str, purpose: str, signal_kind: str | None
    ) -> PromptFile:
        if prompt_id and prompt_id in self.prompts:
            return self.prompts[prompt_id]
        if prompt_id and self.origin == "workspace":
            raise ConfigError(f"no prompt {prompt_id!r} in prompts/")
        candidates = [p for p in self.prompts.values() if p.channel == channel]
        if not candidates:
            raise ConfigError(f"no prompt for channel {channel!r}")

        def fit(prompt: PromptFile) -> tuple[int, int, str]:
            return (
                prompt.purpose != purpose,
                prompt.signal is not None and prompt.signal != signal_kind,
                prompt.id,
            )

        return min(candidates, key=fit)


def workspace_library(workspace: Workspace) -> PromptLibrary:
    prompts = {p.id: p for p in workspace.models("prompt")}
    sender = workspace.one("sender")
    if not prompts and sender is None:
        return shipped_library()
    if sender is None:  # validate reports it; keep running with the shipped profile
        return PromptLibrary(prompts, shipped_library().sender, "workspace")
    return PromptLibrary(prompts, sender.model, "workspace")


@cache
def shipped_library() -> PromptLibrary:
    from signalseq.workspace.kinds import KINDS
    from signalseq.workspace.loader import validate_workspace
    from signalseq.workspace.service import default_workspace_dir

    kinds = [k for k in KINDS if k.name in ("prompt", "sender")]
    shipped, problems = validate_workspace(default_workspace_dir(), kinds=kinds, checks=[])
    if problems:  # a packaging error, caught by the test suite
        raise ConfigError(f"shipped prompts are invalid: {problems[0]}")
    sender = shipped.one("sender")
    assert sender is not None
    return PromptLibrary({p.id: p for p in shipped.models("prompt")}, sender.model, "shipped")


def check_prompts(workspace: Workspace) -> list[Problem]:
    """Templates (syntax, variables, a trial render per signal kind), duplicate ids,
    ``sender.yaml`` present, and every sequence step naming a prompt of its channel."""
    loaded = workspace.all("prompt")
    if not loaded and workspace.one("sender") is None:
        return []
    problems: list[Problem] = []
    if workspace.one("sender") is None:
        problems.append(
            Problem("prompts/sender.yaml", None, "", "is missing: prompts need a sender profile")
        )
    seen: dict[str, str] = {}
    for item in loaded:
        path = workspace.relative(item.path)
        prompt: PromptFile = item.model
        if prompt.id in seen:
            problems.append(
                item.problem(("id",), f"prompt id {prompt.id!r} is also used by {seen[prompt.id]}")
            )
        seen.setdefault(prompt.id, path)
        found = template_problems(prompt, path)
        problems.extend(found)
        if not found:
            problems.extend(_trial_renders(prompt, path, workspace))
    by_id = {item.model.id: item.model for item in loaded}
    for sequence in workspace.all("sequence"):
        for name, branch in sequence.model.branches.items():
            for index, step in enumerate(branch.steps):
                loc = ("branches", name, "steps", index, "prompt")
                if step.prompt is None:
                    continue
                target = by_id.get(step.prompt)
                if target is None:
                    problems.append(sequence.problem(loc, f"no prompt {step.prompt!r} in prompts/"))
                elif target.channel != step.channel:
                    problems.append(
                        sequence.problem(
                            loc,
                            f"prompt {step.prompt!r} is for channel {target.channel}, "
                            f"this step is {step.channel}",
                        )
                    )
    return problems


def _trial_renders(prompt: PromptFile, path: str, workspace: Workspace) -> list[Problem]:
    """Render against a sample context of each signal kind the prompt may see, so a
    misspelt attribute (``signal.amonut``) is found now, not at send time."""
    sender = workspace.one("sender")
    profile = sender.model if sender is not None else shipped_library().sender
    kinds = [prompt.signal] if prompt.signal else list(SAMPLE_KINDS)
    for kind in kinds:
        variables: dict[str, Any] = sample_variables(kind, profile, prompt)
        for name, (source, line) in prompt.sections.items():
            try:
                compiled(source).render(variables)
            except Exception as exc:  # jinja2 UndefinedError, SecurityError, TypeError…
                return [
                    Problem(
                        path, line, f"body.{name}", f"fails to render for a {kind} signal: {exc}"
                    )
                ]
    return []

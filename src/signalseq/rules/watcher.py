"""Rules that reload themselves: a running worker calls ``current()`` each tick.

When the rule files, prompts, the review policy or ``workspace.yaml`` change, the new set is loaded, compiled and checked; only a clean
set replaces the old one (one atomic swap). A broken file leaves the previous version
running and logs every problem.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from signalseq.drafting.library import PromptLibrary, workspace_library
from signalseq.errors import ValidationFailed
from signalseq.policy.schema import PolicyFile
from signalseq.review.policy import DEFAULT_REVIEW_POLICY, ReviewPolicy
from signalseq.rules.engine import RuleEngine
from signalseq.rules.ruleset import RuleSet
from signalseq.sequences import catalog
from signalseq.sequences.catalog import SequenceKey
from signalseq.sequences.schema import SequenceFile
from signalseq.workspace.loader import Workspace, load_workspace

log = logging.getLogger("signalseq.rules")


@dataclass(frozen=True)
class LoadedRules:
    ruleset: RuleSet
    policy: PolicyFile
    sequence_versions: dict[str, int]  # what new enrollments start on
    engine: RuleEngine
    workspace: Workspace
    sequences: dict[SequenceKey, SequenceFile]  # every version still on disk
    prompts: PromptLibrary
    review: ReviewPolicy = DEFAULT_REVIEW_POLICY


WATCHED = (
    "rules/**/*.yaml",
    "rules/**/*.yml",
    "prompts/*.md",
    "prompts/*.yaml",
    "review/*.yaml",
    "delivery/*.yaml",
    "workspace.yaml",
)


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    files = [p for pattern in WATCHED for p in root.glob(pattern)]
    return tuple(
        sorted((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files if p.is_file())
    )


class RulesWatcher:
    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._loaded: LoadedRules | None = None
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._failure: ValidationFailed | None = None  # a first load that failed, cached
        self.last_problems: list[str] = []

    def current(self) -> LoadedRules:
        """The rules in force, reloaded if their files changed and the new ones are valid."""
        from signalseq.decisions.service import workspace_rules

        stamp = _stamp(self.root)
        with self._lock:
            if self._loaded is not None and stamp == self._stamp:
                return self._loaded
            if self._loaded is None and self._failure is not None and stamp == self._stamp:
                raise self._failure
            try:
                workspace = load_workspace(self.root)
                ruleset, policy, versions = workspace_rules(workspace)
            except ValidationFailed as exc:
                if self._loaded is None:
                    self._stamp, self._failure = stamp, exc  # fail fast until the files change
                    raise
                self.last_problems = [str(p) for p in exc.problems]
                for problem in self.last_problems:
                    log.error("rule files not reloaded: %s", problem)
                log.error("still running rules version %s", self._loaded.ruleset.version)
                self._stamp = stamp  # do not retry until the files change again
                return self._loaded
            engine = self._loaded.engine if self._loaded is not None else None
            if engine is None or ruleset.version != engine.ruleset.version:
                if self._loaded is not None:
                    log.warning(
                        "rules reloaded: version %s replaces %s",
                        ruleset.version,
                        self._loaded.ruleset.version,
                    )
                engine = RuleEngine(ruleset)  # durable_rules leaks on reload: only on change
            self._loaded = LoadedRules(
                engine.ruleset,
                policy,
                versions,
                engine,
                workspace,
                catalog.all_versions(workspace),
                workspace_library(workspace),
                review_policy(workspace),
            )
            self._stamp = stamp
            self.last_problems = []
            return self._loaded


def review_policy(workspace: Workspace) -> ReviewPolicy:
    """``review/policy.yaml``, else the defaults (a bare rules folder, an older workspace)."""
    loaded = workspace.one("review_policy")
    return loaded.model if loaded else DEFAULT_REVIEW_POLICY

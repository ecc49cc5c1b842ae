"""Every kind of workspace file and every cross-file check, in one list each.

A domain that adds a file kind adds one line here.
"""

from __future__ import annotations

from signalseq.connectors.config import ConnectorFile
from signalseq.connectors.workspace import check_connectors
from signalseq.delivery.mailboxes import MailboxesFile
from signalseq.drafting.library import check_prompts
from signalseq.drafting.prompts import PromptFile, parse_prompt
from signalseq.drafting.sender import SenderProfile
from signalseq.people.schema import EmailFinderFile
from signalseq.policy.schema import PolicyFile
from signalseq.review.policy import ReviewPolicy
from signalseq.rules.ruleset import check_rules
from signalseq.rules.schema import TriggerFile
from signalseq.sequences.checks import check_sequences
from signalseq.sequences.schema import SequenceFile
from signalseq.workspace.config import WorkspaceConfig
from signalseq.workspace.loader import Check, FileKind

KINDS: list[FileKind] = [
    FileKind("workspace", ("workspace.yaml",), WorkspaceConfig, required=True),
    FileKind("connector", ("connectors/*.yaml", "connectors/*.yml"), ConnectorFile),
    FileKind("sequence", ("rules/sequences/*.yaml", "rules/sequences/*.yml"), SequenceFile),
    FileKind("trigger", ("rules/triggers/*.yaml", "rules/triggers/*.yml"), TriggerFile),
    FileKind("policy", ("rules/policy.yaml",), PolicyFile),
    FileKind("prompt", ("prompts/*.md",), PromptFile, parse=parse_prompt),
    FileKind("sender", ("prompts/sender.yaml",), SenderProfile),
    FileKind("review_policy", ("review/policy.yaml",), ReviewPolicy),
    FileKind("mailboxes", ("delivery/mailboxes.yaml",), MailboxesFile),
    FileKind("email_finder", ("delivery/email_finder.yaml",), EmailFinderFile),
]

CHECKS: list[Check] = [check_connectors, check_sequences, check_rules, check_prompts]

__all__ = ["CHECKS", "KINDS", "check_rules", "rules_dir_kinds"]


def rules_dir_kinds() -> list[FileKind]:
    """The kinds of a bare rules folder (triggers/, sequences/, policy.yaml), as used by
    `backtest --rules DIR` and `--compare`."""
    prefix = "rules/"
    return [
        FileKind(k.name, tuple(p.removeprefix(prefix) for p in k.patterns), k.model)
        for k in KINDS
        if k.name in ("sequence", "trigger", "policy")
    ]

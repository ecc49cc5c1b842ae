"""The sequences of a workspace, by id and version.

A workspace may keep several versions of one sequence (one file each): the highest
version is the one new enrollments start on; older versions keep running the
enrollments pinned to them until ``signalseq sequences migrate`` moves them.
"""

from __future__ import annotations

from signalseq.sequences.schema import SequenceFile
from signalseq.workspace.loader import Workspace

SequenceKey = tuple[str, int]


def all_versions(workspace: Workspace) -> dict[SequenceKey, SequenceFile]:
    return {(m.id, m.version): m for m in workspace.models("sequence")}


def latest(workspace: Workspace) -> dict[str, SequenceFile]:
    """Each sequence id's newest version: the one new enrollments start on."""
    newest: dict[str, SequenceFile] = {}
    for model in workspace.models("sequence"):
        if model.id not in newest or model.version > newest[model.id].version:
            newest[model.id] = model
    return newest

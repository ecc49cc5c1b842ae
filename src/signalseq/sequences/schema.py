"""``rules/sequences/*.yaml``: a sequence's id, version and named branches.

Trigger rules enroll into a sequence and branch; the step format is defined with the
scheduler (steps are kept as written until then).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from signalseq.workspace.schema import WorkspaceModel

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,80}$"


class BranchSpec(WorkspaceModel):
    description: str | None = None
    steps: list[dict[str, Any]] = Field(default_factory=list)


class SequenceFile(WorkspaceModel):
    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    name: str | None = None
    description: str | None = None
    branches: dict[str, BranchSpec] = Field(min_length=1)

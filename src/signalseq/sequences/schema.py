"""``rules/sequences/*.yaml``: a planned series of touches, in named branches.

A step is due a number of business days after enrollment (``day``) or after the
previous step (``after``), in the contact's time zone, inside a send window. Exits on
reply, meeting booked, unsubscribe and hard bounce are always on: they cannot be
configured away.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from signalseq.workspace.schema import WorkspaceModel

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,80}$"
Channel = Literal["email", "call", "linkedin_connect", "linkedin_message", "task"]
PURPOSES = (
    "opener",
    "bump",
    "new_angle",
    "value_add",
    "breakup",
    "call",
    "connect",
    "message",
    "follow_up",
    "task",
)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_clock(value: str) -> time:
    match = _CLOCK.match(value)
    if not match:
        raise ValueError(f"expected a 24-hour time like 09:30, got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


class Window(WorkspaceModel):
    start: str
    end: str

    @model_validator(mode="after")
    def _order(self) -> Window:
        if parse_clock(self.start) >= parse_clock(self.end):
            raise ValueError(f"window {self.start}–{self.end}: start must be before end")
        return self

    @property
    def bounds(self) -> tuple[time, time]:
        return parse_clock(self.start), parse_clock(self.end)


DEFAULT_WINDOWS = (Window(start="09:00", end="11:00"), Window(start="13:00", end="15:00"))


class Step(WorkspaceModel):
    id: str = Field(pattern=ID_PATTERN)
    channel: Channel
    day: int | None = Field(
        default=None, ge=0, le=365, description="business days after enrollment"
    )
    after: int | None = Field(
        default=None, ge=0, le=365, description="business days after the previous step"
    )
    purpose: str
    prompt: str | None = Field(default=None, pattern=ID_PATTERN)
    thread: Literal["continue", "new"] | None = None
    window: list[Window] | None = None
    review: Literal["policy", "always", "never"] = "policy"

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, value: str) -> str:
        if value not in PURPOSES:
            raise ValueError(f"unknown purpose {value!r}; one of: {', '.join(PURPOSES)}")
        return value

    @model_validator(mode="after")
    def _when(self) -> Step:
        if (self.day is None) == (self.after is None):
            raise ValueError(
                "give exactly one of day (after enrollment) or after (after the previous step)"
            )
        if self.thread is not None and self.channel != "email":
            raise ValueError("thread applies to email steps only")
        return self


class BranchSpec(WorkspaceModel):
    description: str | None = None
    steps: list[Step] = Field(min_length=1)


class EngagementThen(WorkspaceModel):
    branch: str | None = None
    skip_to: str | None = Field(default=None, pattern=ID_PATTERN)

    @model_validator(mode="after")
    def _one(self) -> EngagementThen:
        if (self.branch is None) == (self.skip_to is None):
            raise ValueError("give exactly one of branch or skip_to")
        return self


class EngagementRule(WorkspaceModel):
    """E.g. a link click moves the enrollment to another branch; an accepted LinkedIn
    connection skips ahead; opened-without-reply after N touches switches angle."""

    on: Literal["link_click", "connection_accepted", "opened_without_reply"]
    after_touches: int | None = Field(default=None, ge=1, le=50)
    then: EngagementThen

    @model_validator(mode="after")
    def _count(self) -> EngagementRule:
        if self.on == "opened_without_reply" and self.after_touches is None:
            raise ValueError("opened_without_reply needs after_touches")
        return self


class OutOfOffice(WorkspaceModel):
    pause: bool = True
    business_days_after_return: int = Field(default=1, ge=0, le=30)
    default_days: int = Field(default=7, ge=1, le=90, description="when no return date is stated")


class SequenceFile(WorkspaceModel):
    id: str = Field(pattern=ID_PATTERN)
    version: int = Field(ge=1)
    name: str | None = None
    description: str | None = None
    send_windows: list[Window] = Field(default_factory=lambda: list(DEFAULT_WINDOWS), min_length=1)
    engagement: list[EngagementRule] = Field(default_factory=list)
    out_of_office: OutOfOffice = Field(default_factory=OutOfOffice)
    branches: dict[str, BranchSpec] = Field(min_length=1)
    exits: Any = Field(default=None, description="not configurable")

    @field_validator("exits")
    @classmethod
    def _exits(cls, value: Any) -> None:
        if value is not None:
            raise ValueError(
                "exits on reply, meeting booked, unsubscribe and hard bounce are always "
                "on and cannot be configured"
            )
        return None

    def step(self, branch: str, step_id: str) -> Step | None:
        spec = self.branches.get(branch)
        return next((s for s in spec.steps if s.id == step_id), None) if spec else None

    @field_validator("branches")
    @classmethod
    def _branch_names(cls, value: dict[str, BranchSpec]) -> dict[str, BranchSpec]:
        for name in value:
            if not re.match(ID_PATTERN, name):
                raise ValueError(f"branch name {name!r} must be lowercase letters, digits, - or _")
        return value

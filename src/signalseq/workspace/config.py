"""``workspace.yaml``: the settings of a workspace that belong in git with its rules."""

from __future__ import annotations

from pydantic import Field, field_validator

from signalseq.normalize.places import is_timezone, normalize_country
from signalseq.workspace.schema import WorkspaceModel


class WorkspaceConfig(WorkspaceModel):
    name: str = Field(min_length=1, max_length=200)
    default_timezone: str = "UTC"
    default_country: str | None = None
    allowed_paths: list[str] = Field(
        default_factory=list,
        description="folders outside the workspace that connector files may be read from",
    )

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not is_timezone(value):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)")
        return value

    @field_validator("default_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = normalize_country(value)
        if code is None:
            raise ValueError(f"unknown country {value!r}")
        return code

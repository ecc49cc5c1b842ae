"""``rules/policy.yaml``: the contact policy applied after a rule matches."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from signalseq.normalize.domains import normalize_domains
from signalseq.normalize.places import normalize_country
from signalseq.workspace.schema import WorkspaceModel

Jurisdiction = Literal["allowed", "blocked", "needs_review"]


class Suppression(WorkspaceModel):
    addresses: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [a.strip().lower() for a in value]

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        return normalize_domains(value)


class Jurisdictions(WorkspaceModel):
    default: Jurisdiction = "blocked"
    countries: dict[str, Jurisdiction] = Field(default_factory=dict)

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: dict[str, Jurisdiction]) -> dict[str, Jurisdiction]:
        result = {}
        for raw, status in value.items():
            code = normalize_country(str(raw))
            if code is None:
                raise ValueError(f"unknown country {raw!r}")
            result[code] = status
        return result


class Exclusions(WorkspaceModel):
    customers: bool = True
    open_opportunities: bool = True


class Breakers(WorkspaceModel):
    """When a mailbox stops sending, or a trigger rule stops enrolling, until a person
    resumes it: its hard-bounce or complaint rate over the window went too high."""

    window_days: int = Field(default=7, ge=1, le=90)
    min_sends: int = Field(default=50, ge=1, le=100_000, description="below this, no rate")
    max_bounce_rate: float = Field(default=0.03, gt=0, le=1)
    max_complaint_rate: float = Field(default=0.001, gt=0, le=1)


class PolicyFile(WorkspaceModel):
    suppression: Suppression = Field(default_factory=Suppression)
    exclusivity: Literal["one_active", "one_per_sequence", "none"] = "one_active"
    cooldown_days: int = Field(default=90, ge=0, le=3650)
    cooldowns: dict[str, int] = Field(default_factory=dict, description="per sequence id")
    min_days_since_last_touch: int = Field(default=14, ge=0, le=365)
    max_new_enrollments_per_account_30d: int = Field(default=3, ge=1, le=1000)
    jurisdictions: Jurisdictions = Field(default_factory=Jurisdictions)
    exclude: Exclusions = Field(default_factory=Exclusions)
    require_channel: bool = True
    breakers: Breakers = Field(default_factory=Breakers)


DEFAULT_POLICY = PolicyFile()

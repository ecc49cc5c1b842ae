"""``rules/triggers/*.yaml``: who enters which sequence and branch, on which signal."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from signalseq.normalize.titles import DEPARTMENTS, SENIORITIES
from signalseq.signals.schemas import SignalKind
from signalseq.workspace.schema import WorkspaceModel

RULE_ID = r"^[a-z0-9][a-z0-9_-]{0,80}$"
MAX_RULES = 400  # durable_rules caps a ruleset near 512 rules; keep well below


class Who(WorkspaceModel):
    """Which contacts at the account a matching signal enrolls."""

    signal_person: bool = Field(default=False, description="only the person the signal is about")
    seniority: list[str] | None = None
    department: list[str] | None = None
    title_matches: str | None = None
    max_per_account: int = Field(default=3, ge=1, le=100)

    @field_validator("seniority")
    @classmethod
    def _seniority(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if item not in SENIORITIES:
                raise ValueError(f"unknown seniority {item!r}; one of: {', '.join(SENIORITIES)}")
        return value

    @field_validator("department")
    @classmethod
    def _department(cls, value: list[str] | None) -> list[str] | None:
        for item in value or []:
            if item not in DEPARTMENTS:
                raise ValueError(f"unknown department {item!r}; one of: {', '.join(DEPARTMENTS)}")
        return value


class BranchCase(WorkspaceModel):
    when: list[Any]
    use: str


class BranchChoice(WorkspaceModel):
    cases: list[BranchCase] = Field(default_factory=list)
    default: str


class TriggerRule(WorkspaceModel):
    id: str = Field(pattern=RULE_ID)
    description: str | None = None
    on: SignalKind
    when: list[Any] = Field(default_factory=list)
    who: Who = Field(default_factory=Who)
    enroll: str
    branch: str | BranchChoice | None = None
    priority: int = Field(default=100, ge=0, le=100_000, description="higher wins")
    enabled: bool = True
    holdout: float = Field(
        default=0.0,
        description="share of matched contacts recorded as held out instead of enrolled "
        "(`10%` or 0.1), chosen by a hash of the contact: the same contact stays out",
    )

    @field_validator("holdout", mode="before")
    @classmethod
    def _share(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return float(value.strip()[:-1]) / 100
            except ValueError as exc:
                raise ValueError(f"expected a percentage like 10%, got {value!r}") from exc
        return value

    @field_validator("holdout")
    @classmethod
    def _range(cls, value: float) -> float:
        if not 0 <= value <= 0.5:
            raise ValueError("holdout must be between 0% and 50%")
        return value


class TriggerFile(WorkspaceModel):
    rules: list[TriggerRule] = Field(min_length=1)

"""``review/policy.yaml``: which drafts need a person, who may approve, the SLA, and the
reasons a reviewer may give for a rejection."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from signalseq.normalize.titles import SENIORITIES
from signalseq.sequences.schema import PURPOSES, Channel
from signalseq.workspace.schema import WorkspaceModel

Role = Literal["reviewer", "rules_author", "admin"]

# Every reason an item can be in the queue, with the words the reviewer sees.
REASONS: dict[str, str] = {
    "step": "the sequence step asks for review every time",
    "first_touch": "first touch of the enrollment",
    "account_tier": "account tier",
    "seniority": "contact seniority",
    "new_sequence_version": "sequence version not yet approved enough times",
    "new_prompt_version": "prompt version not yet approved enough times",
    "guardrails": "a guardrail check failed",
    "low_confidence": "low-confidence signal or entity match",
    "channel": "channel is reviewed",
    "purpose": "step purpose is reviewed",
    "jurisdiction": "contact's country is marked needs_review",
    "redraft": "redrafted after a rejection",
    "edited": "edited by a reviewer: a second reviewer approves (four eyes)",
    "approval_void": "an earlier approval was voided",
}
# reasons that can never be cleared in bulk, whatever the policy says
NEVER_LOW_RISK = ("guardrails", "edited", "approval_void", "redraft")

DEFAULT_REJECT_REASONS = {
    "tone": "Tone or style is off",
    "facts": "A fact is wrong or not supported by the research",
    "personalization": "Not personal enough",
    "wrong_person": "Wrong person or account",
    "timing": "Bad timing",
    "compliance": "Compliance or legal concern",
    "other": "Something else",
}


class RequireReview(WorkspaceModel):
    first_touch: bool = True
    account_tiers: list[int] = Field(default_factory=lambda: [1])
    seniorities: list[str] = Field(default_factory=lambda: ["c_level", "vp"])
    new_versions: int = Field(
        default=3, ge=0, le=1000, description="approvals before a new version flows"
    )
    low_confidence: float = Field(default=0.8, ge=0, le=1)
    channels: list[Channel] = Field(default_factory=list)
    purposes: list[str] = Field(default_factory=list)
    jurisdictions: bool = True

    @field_validator("seniorities")
    @classmethod
    def _seniorities(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in SENIORITIES]
        if unknown:
            raise ValueError(f"unknown seniority {unknown[0]!r}; one of: {', '.join(SENIORITIES)}")
        return value

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PURPOSES]
        if unknown:
            raise ValueError(f"unknown purpose {unknown[0]!r}; one of: {', '.join(PURPOSES)}")
        return value


class ReviewPolicy(WorkspaceModel):
    require_review: RequireReview = Field(default_factory=RequireReview)
    low_risk: list[str] = Field(
        default_factory=lambda: ["new_sequence_version", "new_prompt_version", "purpose"],
        description="reasons bulk approve may clear",
    )
    approvers: list[Role] = Field(default_factory=lambda: list[Role](["reviewer", "admin"]))
    four_eyes: bool = True
    sla_minutes: int = Field(default=120, ge=0, le=7 * 24 * 60)
    lease_minutes: int = Field(default=10, ge=1, le=240)
    reject_reasons: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_REJECT_REASONS))

    @field_validator("low_risk")
    @classmethod
    def _low_risk(cls, value: list[str]) -> list[str]:
        for code in value:
            if code not in REASONS:
                raise ValueError(f"unknown reason {code!r}; one of: {', '.join(REASONS)}")
            if code in NEVER_LOW_RISK:
                raise ValueError(f"{code!r} always needs a person; it cannot be low-risk")
        return value

    @field_validator("reject_reasons")
    @classmethod
    def _reject_reasons(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("give at least one reject reason")
        for code in value:
            if not code.replace("_", "").isalnum() or len(code) > 50:
                raise ValueError(f"reason code {code!r}: letters, digits and _ only (≤ 50)")
        return value

    @model_validator(mode="after")
    def _someone_approves(self) -> ReviewPolicy:
        if not self.approvers:
            raise ValueError("approvers: give at least one role")
        return self


DEFAULT_REVIEW_POLICY = ReviewPolicy()

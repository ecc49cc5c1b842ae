"""The canonical signal every connector produces."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

SignalKind = Literal["funding", "job_change", "website_visit", "custom"]
SIGNAL_KINDS: tuple[str, ...] = ("funding", "job_change", "website_visit", "custom")
CHANGE_TYPES = ("new_company", "promotion", "title_change", "departure")
PAGE_CATEGORIES = (
    "pricing",
    "demo",
    "case_study",
    "integrations",
    "security",
    "docs",
    "careers",
    "blog",
    "home",
    "other",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def as_mapping(value: Any) -> dict[str, Any]:
    """A nested JSON object from untrusted input, or an empty one."""
    return value if isinstance(value, dict) else {}


class CompanyRef(_Strict):
    name: str | None = Field(default=None, max_length=300)
    domain: str | None = Field(default=None, max_length=253)
    crm_id: str | None = Field(default=None, max_length=100)


class PersonRef(_Strict):
    name: str | None = Field(default=None, max_length=250)
    email: str | None = Field(default=None, max_length=320)
    linkedin_url: str | None = Field(default=None, max_length=500)


class FundingAttributes(_Strict):
    round: str | None = None
    round_extension: bool = False
    amount: str | None = None
    currency: str | None = None
    currency_stated: bool = True
    amount_usd: int | None = Field(default=None, ge=0)
    valuation_usd: int | None = Field(default=None, ge=0)
    lead_investors: list[str] = Field(default_factory=list)
    investors: list[str] = Field(default_factory=list)
    headline: str | None = None
    url: str | None = None
    dated_by: str | None = Field(
        default=None, max_length=100, description="set when the time is not the item's own"
    )


class Role(_Strict):
    company_name: str | None = None
    company_domain: str | None = None
    title: str | None = None
    seniority: str | None = None
    department: str | None = None
    started_on: str | None = None
    email: str | None = None  # the work address at this employer, when the provider gives one


class JobChangeAttributes(_Strict):
    change_type: Literal["new_company", "promotion", "title_change", "departure"]
    previous: Role | None = None
    current: Role | None = None


class VisitAttributes(_Strict):
    event_type: Literal["page", "track", "identify", "identified_visit"] = "page"
    event_name: str | None = None
    url: str | None = None
    path: str | None = None
    page_title: str | None = None
    page_category: str = "other"
    intent: bool = True
    anonymous_id: str | None = None
    user_id: str | None = None
    ip: str | None = None
    referrer: str | None = None


ATTRIBUTE_MODELS: dict[str, type[BaseModel]] = {
    "funding": FundingAttributes,
    "job_change": JobChangeAttributes,
    "website_visit": VisitAttributes,
}


class SignalIn(_Strict):
    """One buying signal, as every connector emits it, before it is resolved and stored."""

    kind: SignalKind
    occurred_at: AwareDatetime
    source: str = Field(min_length=1, max_length=200)
    source_event_id: str = Field(min_length=1, max_length=500)
    dedupe_key: str = Field(default="", max_length=500)
    company: CompanyRef = Field(default_factory=CompanyRef)
    person: PersonRef | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    raw: Any = None
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _typed_attributes(self) -> SignalIn:
        if not self.dedupe_key:
            self.dedupe_key = self.source_event_id
        model = ATTRIBUTE_MODELS.get(self.kind)
        if model is not None:
            self.attributes = model.model_validate(self.attributes).model_dump(mode="json")
        return self

    @property
    def actor_key(self) -> str | None:
        """Who acted, for distinct-visitor counts: the anonymous id, else the person."""
        anonymous = self.attributes.get("anonymous_id")
        if anonymous:
            return str(anonymous)
        return (self.person.email or self.person.linkedin_url) if self.person else None

    @property
    def subtype(self) -> str | None:
        """The one attribute aggregates and lists filter on, kept in its own column."""
        key = {"funding": "round", "job_change": "change_type", "website_visit": "page_category"}
        name = key.get(self.kind)
        value = self.attributes.get(name) if name else self.attributes.get("type")
        return str(value) if value is not None else None

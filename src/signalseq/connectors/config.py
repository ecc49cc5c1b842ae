"""``connectors/*.yaml``: one file per signal source, validated like every workspace file."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, RootModel, field_validator, model_validator

from signalseq.workspace.schema import WorkspaceModel

_INTERVAL = re.compile(r"^(\d+)\s*(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

DEFAULT_PAGE_CATEGORIES: dict[str, list[str]] = {
    "pricing": ["/pricing*", "/plans*", "*/pricing*"],
    "demo": ["/demo*", "/book-a-demo*", "/contact-sales*", "/get-started*", "*/demo*"],
    "case_study": ["/customers*", "/case-studies*", "/case-study*", "*/customers/*"],
    "integrations": ["/integrations*", "/marketplace*", "/apps*"],
    "security": ["/security*", "/trust*", "/compliance*", "/soc2*"],
    "docs": ["/docs*", "/documentation*", "/api*", "/developers*"],
    "careers": ["/careers*", "/jobs*", "/join-us*"],
    "blog": ["/blog*", "/resources*"],
    "home": ["/"],
}


def interval_seconds(text: str) -> int:
    match = _INTERVAL.match(text.strip())
    if not match:
        raise ValueError(f"expected an interval like 15m, 1h or 1d, got {text!r}")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


class ConnectorBase(WorkspaceModel):
    name: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9][a-z0-9_-]{0,80}$",
        description="Defaults to the file name without .yaml",
    )
    description: str | None = None
    enabled: bool = True
    schedule: str | None = None

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        if value is not None:
            interval_seconds(value)
        return value


class _FileOrUrl(ConnectorBase):
    url: str | None = None
    path: str | None = None
    timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    retries: int = Field(default=3, ge=0, le=10)
    max_bytes: int = Field(default=20 * 1024 * 1024, gt=0)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _one_location(self) -> _FileOrUrl:
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url or path")
        return self


class FundingFeedConfig(_FileOrUrl):
    type: Literal["funding_feed"]
    create_accounts: bool = False


class JobChangesConfig(ConnectorBase):
    type: Literal["job_changes"]
    path: str
    create_accounts: bool = False
    format: Literal["auto", "jsonl", "csv"] = "auto"


class JobSnapshotsConfig(ConnectorBase):
    type: Literal["job_snapshots"]
    previous: str
    current: str
    observed_at: str | None = Field(
        default=None, description="ISO date the current export was taken"
    )


class WebsiteVisitsConfig(ConnectorBase):
    type: Literal["website_visits"]
    path: str | None = None
    format: Literal["auto", "segment", "rb2b"] = "auto"
    page_categories: dict[str, list[str]] = Field(
        default_factory=lambda: dict(DEFAULT_PAGE_CATEGORIES)
    )
    ip_ranges: str | None = None
    secret_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")


class WebhookConfig(ConnectorBase):
    type: Literal["webhook"]
    secret_env: str = Field(pattern=r"^[A-Z_][A-Z0-9_]*$")
    create_accounts: bool = False


AnyConnectorConfig = Annotated[
    FundingFeedConfig | JobChangesConfig | JobSnapshotsConfig | WebsiteVisitsConfig | WebhookConfig,
    Field(discriminator="type"),
]

CONNECTOR_TYPES = ("funding_feed", "job_changes", "job_snapshots", "website_visits", "webhook")


class ConnectorFile(RootModel[AnyConnectorConfig]):
    pass

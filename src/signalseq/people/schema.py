"""``delivery/email_finder.yaml``: how a mover's new work address is found."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from signalseq.workspace.schema import WorkspaceModel


class PatternSettings(WorkspaceModel):
    enabled: bool = True
    min_examples: int = Field(
        default=2, ge=1, le=100, description="contacts at the domain that must follow the pattern"
    )
    check_mx: bool = Field(default=True, description="require MX records on the domain")
    nameservers: list[str] = Field(
        default_factory=list, description="DNS servers to ask (default: the system's)"
    )
    port: int = Field(default=53, ge=1, le=65535)
    timeout: float = Field(default=3.0, gt=0, le=30)

    @field_validator("nameservers")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_address(item)
            except ValueError as exc:
                raise ValueError(f"not an IP address: {item!r}") from exc
        return value


class HttpFinderSettings(WorkspaceModel):
    url: str = Field(pattern=r"^https?://", description="GET endpoint of the enrichment API")
    api_key_env: str | None = Field(
        default=None, description="environment variable holding the API key (Bearer)"
    )
    timeout: float = Field(default=5.0, gt=0, le=60)


class EmailFinderFile(WorkspaceModel):
    min_confidence: float = Field(
        default=0.5, ge=0, le=1, description="an address found below this is not used"
    )
    pattern: PatternSettings = Field(default_factory=PatternSettings)
    http: HttpFinderSettings | None = None

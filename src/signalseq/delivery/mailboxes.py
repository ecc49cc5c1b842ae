"""``delivery/mailboxes.yaml``: the mailboxes that send (and are read for replies), with
their throttles. Passwords never live in the file: ``password_env`` names the
environment variable that holds one.

A workspace without the file sends from one mailbox made of the settings
(``SIGNALSEQ_SMTP_*``, ``SIGNALSEQ_IMAP_*``) and ``prompts/sender.yaml``'s sender: the
outbox folder until ``SIGNALSEQ_SMTP_HOST`` is set.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from signalseq.drafting.sender import SenderProfile
from signalseq.errors import ConfigError, InputRejected
from signalseq.normalize.people import normalize_email
from signalseq.normalize.places import is_timezone
from signalseq.settings import Settings
from signalseq.workspace.schema import WorkspaceModel

if TYPE_CHECKING:
    from signalseq.workspace.loader import Workspace

Security = Literal["starttls", "ssl", "none"]
SETTINGS_MAILBOX = "default"


class Server(WorkspaceModel):
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    security: Security = "starttls"
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="environment variable holding the password"
    )
    timeout: float = Field(default=30.0, gt=0, le=600)
    # set only for the mailbox made of the settings (its password is a setting)
    password_value: str | None = Field(default=None, exclude=True, repr=False)

    def password(self) -> str | None:
        if self.password_value is not None:
            return self.password_value
        if self.password_env is None:
            return None
        value = os.environ.get(self.password_env)
        if not value:
            raise ConfigError(f"the environment variable {self.password_env} is not set")
        return value


class ImapServer(Server):
    port: int = Field(default=993, ge=1, le=65535)
    security: Security = "ssl"
    folder: str = "INBOX"


class SmtpServer(Server):
    port: int = Field(default=587, ge=1, le=65535)


PROVIDERS: dict[str, dict[str, Any]] = {
    "google": {
        "flow": "redirect",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_url": "https://oauth2.googleapis.com/token",
        "scopes": ["https://mail.google.com/"],
    },
    "microsoft": {
        "flow": "device",
        "authorize_url": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
        "device_authorization_url": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
        "token_url": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        "scopes": [
            "offline_access",
            "https://outlook.office.com/SMTP.Send",
            "https://outlook.office.com/IMAP.AccessAsUser.All",
        ],
    },
}


class OAuthSettings(WorkspaceModel):
    provider: Literal["google", "microsoft"]
    client_id: str = Field(min_length=1)
    client_secret_env: str | None = Field(
        default=None, description="environment variable holding the client secret"
    )
    tenant: str = Field(default="common", pattern=r"^[A-Za-z0-9.-]{1,100}$")
    scopes: list[str] | None = None
    # overrides of the provider's endpoints (a proxy, a sovereign cloud, a test server)
    authorize_url: str | None = Field(default=None, pattern=r"^https?://")
    token_url: str | None = Field(default=None, pattern=r"^https?://")
    device_authorization_url: str | None = Field(default=None, pattern=r"^https?://")

    def endpoint(self, name: str) -> str:
        value = getattr(self, name) or PROVIDERS[self.provider].get(name)
        if not value:
            raise ConfigError(f"{self.provider} has no {name}")
        return str(value).format(tenant=self.tenant)

    @property
    def flow(self) -> str:
        return str(PROVIDERS[self.provider]["flow"])

    def scope(self) -> str:
        return " ".join(self.scopes or PROVIDERS[self.provider]["scopes"])


class Warmup(WorkspaceModel):
    start: int = Field(ge=1, le=100_000, description="the cap on the first sending day")
    add_per_day: int = Field(ge=0, le=100_000, description="added to the cap each day after")


class Mailbox(WorkspaceModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    address: str
    name: str = Field(
        min_length=1,
        max_length=200,
        description="the From display name (one line)",
    )
    dkim_selector: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$",
        description="the DKIM selector the provider signs with (checked by `mailbox check`)",
    )
    transport: Literal["outbox", "smtp"] = "outbox"
    auth: Literal["password", "oauth2"] = Field(
        default="password", description="how SMTP and IMAP sign in: password or OAuth2 (XOAUTH2)"
    )
    oauth2: OAuthSettings | None = None
    smtp: SmtpServer | None = None
    imap: ImapServer | None = None
    owners: list[str] = Field(
        default_factory=list, description="contact owners whose sequences send from here"
    )
    daily_cap: int = Field(default=200, ge=1, le=100_000)
    warmup: Warmup | None = None
    min_gap_seconds: float = Field(default=0, ge=0, le=86_400)
    jitter_seconds: float = Field(default=0, ge=0, le=86_400)
    timezone: str | None = Field(default=None, description="whose day the cap counts")

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        try:
            return normalize_email(value)
        except InputRejected as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("owners")
    @classmethod
    def _owners(cls, value: list[str]) -> list[str]:
        return [owner.strip().lower() for owner in value]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and not is_timezone(value):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)")
        return value

    @model_validator(mode="after")
    def _oauth2_given(self) -> Mailbox:
        if self.auth == "oauth2" and self.oauth2 is None:
            raise ValueError("auth: oauth2 needs an oauth2 section (provider, client_id)")
        return self

    @model_validator(mode="after")
    def _smtp_given(self) -> Mailbox:
        if self.transport == "smtp" and self.smtp is None:
            raise ValueError("transport smtp needs an smtp: section (host, port, security)")
        return self

    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]

    def cap_on(self, sending_day: int) -> int:
        """The cap on the mailbox's n-th sending day (0: the first), warm-up applied."""
        if self.warmup is None:
            return self.daily_cap
        return min(self.daily_cap, self.warmup.start + self.warmup.add_per_day * sending_day)

    @field_validator("name")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if re.search(r"[\x00-\x1f\x7f\u2028\u2029]", value):
            raise ValueError("a line break or control character cannot stand in a From header")
        return value


class MailboxesFile(WorkspaceModel):
    mailboxes: list[Mailbox] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> MailboxesFile:
        for attribute in ("id", "address"):
            seen: set[str] = set()
            for mailbox in self.mailboxes:
                value = getattr(mailbox, attribute)
                if value in seen:
                    raise ValueError(f"two mailboxes have the {attribute} {value!r}")
                seen.add(value)
        return self


def workspace_mailboxes(
    workspace: Workspace, sender: SenderProfile, settings: Settings
) -> list[Mailbox]:
    """``delivery/mailboxes.yaml``, else the one mailbox made of the settings."""
    loaded = workspace.one("mailboxes")
    if loaded is not None:
        return list(loaded.model.mailboxes)
    return [from_settings(settings, sender)]


def from_settings(settings: Settings, sender: SenderProfile) -> Mailbox:
    """The one mailbox of a workspace without ``delivery/mailboxes.yaml``."""
    address = sender.sender.email or settings.smtp_username
    if not address:
        raise ConfigError(
            "no sending address: give the sender an email in prompts/sender.yaml, "
            "or describe mailboxes in delivery/mailboxes.yaml"
        )
    smtp = imap = None
    if settings.smtp_host:
        smtp = SmtpServer(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password_value=settings.smtp_password.get_secret_value()
            if settings.smtp_password
            else None,
        )
    if settings.imap_host:
        imap = ImapServer(
            host=settings.imap_host,
            port=settings.imap_port,
            security=settings.imap_security,
            username=settings.imap_username or address,
            password_value=settings.imap_password.get_secret_value()
            if settings.imap_password
            else None,
            folder=settings.imap_folder,
        )
    return Mailbox(
        id=SETTINGS_MAILBOX,
        address=address,
        name=sender.sender.name,
        transport="smtp" if smtp else "outbox",
        smtp=smtp,
        imap=imap,
        daily_cap=settings.mailbox_daily_cap,
    )

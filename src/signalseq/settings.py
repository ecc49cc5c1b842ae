"""Settings from the environment (prefix ``SIGNALSEQ_``) or a ``.env`` file.

Every field here must be documented in the README's settings table; a test checks it.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from signalseq.clock import ensure_utc
from signalseq.errors import ConfigError

STATE_DIR = ".signalseq"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIGNALSEQ_", env_file=".env", extra="ignore", frozen=True
    )

    workspace: Path = Field(
        default=Path("."),
        description="Workspace folder holding rules/, prompts/, connectors/ and review/.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store. Default: SQLite at "
        "<workspace>/.signalseq/signalseq.db. PostgreSQL: postgresql+psycopg://user@host/db.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs unsubscribe links, sessions and webhooks. Default: "
        "generated once into <workspace>/.signalseq/secret.key.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible endpoint (e.g. http://127.0.0.1:11434/v1). Unset: "
        "the deterministic offline drafter.",
    )
    llm_api_key: SecretStr | None = Field(default=None, description="API key for the endpoint.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model name sent to the endpoint.")
    llm_concurrency: int = Field(default=8, ge=1, le=256, description="Drafts in flight at once.")
    llm_timeout: float = Field(
        default=60.0, gt=0, description="Seconds before a request times out."
    )
    llm_max_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Retries of a failed request (429 honouring Retry-After, 5xx, timeouts).",
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server for sending. Unset: messages are written to the outbox folder.",
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str | None = Field(default=None, description="SMTP login name.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_security: Literal["starttls", "ssl", "none"] = Field(
        default="starttls", description="starttls, ssl or none."
    )
    imap_host: str | None = Field(
        default=None,
        description="IMAP server read for replies, bounces and out-of-office messages. "
        "Unset: no polling (inbound mail can still arrive by webhook or `inbound import`).",
    )
    imap_port: int = Field(default=993, ge=1, le=65535, description="IMAP port.")
    imap_username: str | None = Field(
        default=None, description="IMAP login name. Default: the sending address."
    )
    imap_password: SecretStr | None = Field(default=None, description="IMAP password.")
    imap_security: Literal["starttls", "ssl", "none"] = Field(
        default="ssl", description="ssl, starttls or none."
    )
    imap_folder: str = Field(default="INBOX", description="IMAP folder polled.")
    mailbox_daily_cap: int = Field(
        default=200,
        ge=1,
        le=100_000,
        description="Daily cap of the mailbox made of these settings (without "
        "delivery/mailboxes.yaml).",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Where recipients reach `signalseq serve` (the one-click unsubscribe "
        "link). Must be https:// before an SMTP mailbox sends.",
    )
    inbound_webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC secret of the inbound webhooks (/api/v1/inbound/*). Unset: "
        "those routes answer 404.",
    )
    outbox_dir: Path | None = Field(
        default=None,
        description="Folder of .eml files written instead of sending. Default: "
        "<workspace>/.signalseq/outbox.",
    )
    webhook_max_bytes: int = Field(
        default=1_048_576, ge=1024, description="Largest accepted webhook body, in bytes."
    )
    webhook_tolerance_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="How old (or early) a webhook timestamp may be before it is refused.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a web sign-in lasts, in hours."
    )
    login_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Sign-in attempts allowed per user name in 15 minutes before the "
        "login form answers 429 (a successful sign-in resets the count).",
    )
    login_attempts_per_address: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Sign-in attempts allowed per client address in 15 minutes, whatever "
        "the user name, before the login form answers 429.",
    )
    trusted_proxies: str | None = Field(
        default=None,
        description="Comma-separated addresses of reverse proxies whose X-Forwarded-For "
        "and X-Forwarded-Proto `serve` believes (e.g. `127.0.0.1`). Unset: those headers "
        "are ignored and the client is the connecting address.",
    )
    worker_poll_seconds: float = Field(
        default=30.0, gt=0, le=3600, description="Seconds a worker waits between ticks."
    )
    worker_batch: int = Field(
        default=100, ge=1, le=10_000, description="Touches a worker claims at a time per stage."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING", description="Log level of the CLI and workers."
    )
    recipient_check: bool = Field(
        default=True,
        description="Before an SMTP send, check that the recipient's domain takes mail "
        "(MX or address records, cached per domain): no → the touch fails as undeliverable.",
    )
    dns_servers: str | None = Field(
        default=None,
        description="DNS servers for recipient and sender-domain checks: IP or IP:PORT, "
        "comma-separated. Unset: the system's.",
    )
    dns_timeout: float = Field(default=3.0, gt=0, le=30, description="Seconds per DNS lookup.")
    now: datetime | None = Field(
        default=None,
        description="Run every command as if it were this moment (ISO 8601; UTC when no "
        "offset is given): scripted runs, replays and tests. Unset: the system clock.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:// and postgresql+psycopg:// URLs are supported")
        if value is not None and value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("public_url must start with https:// (or http:// for a demo)")
        return value.rstrip("/")

    @field_validator("now")
    @classmethod
    def _aware_now(cls, value: datetime | None) -> datetime | None:
        return ensure_utc(value) if value is not None else None

    @property
    def workspace_path(self) -> Path:
        return self.workspace.expanduser().resolve()

    @property
    def state_dir(self) -> Path:
        return self.workspace_path / STATE_DIR

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.state_dir / 'signalseq.db'}"

    @property
    def resolved_outbox_dir(self) -> Path:
        return (self.outbox_dir or self.state_dir / "outbox").expanduser().resolve()

    @cached_property
    def resolved_secret_key(self) -> str:
        """The configured key, else one generated once and kept beside the database."""
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value()
            if len(key) < 16:
                raise ConfigError("SIGNALSEQ_SECRET_KEY must be at least 16 characters")
            return key
        path = self.state_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI options) on top."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
    except ValidationError as exc:  # named and explained, never echoed (a URL holds a password)
        error = exc.errors()[0]
        name = "SIGNALSEQ_" + "_".join(str(p) for p in error["loc"]).upper()
        raise ConfigError(f"invalid settings: {name}: {error['msg']}") from None
    except ValueError as exc:
        raise ConfigError(f"invalid settings: {type(exc).__name__}") from None

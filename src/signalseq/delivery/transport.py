"""Which transport delivers: the outbox folder until a mailbox is configured."""

from __future__ import annotations

from signalseq.delivery.outbox import OutboxTransport
from signalseq.errors import ConfigError
from signalseq.settings import Settings


def transport_for(settings: Settings) -> OutboxTransport:
    if settings.smtp_host:
        raise ConfigError(
            "SIGNALSEQ_SMTP_HOST is set, but this version delivers to the outbox folder "
            "only; unset it to write .eml files to "
            f"{settings.resolved_outbox_dir}"
        )
    return OutboxTransport(settings.resolved_outbox_dir)

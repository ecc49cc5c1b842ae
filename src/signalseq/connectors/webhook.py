"""Generic webhook: signals pushed in the canonical shape to ``POST /api/v1/signals``.

It reads nothing on ``ingest``; its dead letters can be retried after a fix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from pydantic import ValidationError

from signalseq import jsontext
from signalseq.connectors.base import Connector, ConnectorContext, Item, Rejected, register
from signalseq.connectors.config import WebhookConfig
from signalseq.signals.schemas import SignalIn


@register
class WebhookConnector(Connector):
    type = "webhook"
    config: WebhookConfig

    def read(self, context: ConnectorContext) -> Iterator[Item]:
        return iter(())

    def reparse(self, raw: str, kind: str, context: ConnectorContext) -> list[Item]:
        try:
            record = jsontext.loads(raw)
            return [SignalIn.model_validate({**record, "source": self.name})]
        except json.JSONDecodeError as exc:
            return [Rejected(raw, f"invalid JSON: {exc.msg}", kind)]
        except (ValidationError, TypeError) as exc:
            return [Rejected(raw, f"invalid signal: {exc}", kind)]

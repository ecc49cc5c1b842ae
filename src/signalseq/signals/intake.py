"""Signals pushed over HTTP: verify the signature, refuse replays, parse, store.

Every refusal (bad signature, replay, invalid JSON) is dead-lettered with the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from signalseq import jsontext
from signalseq.clock import Clock
from signalseq.connectors.base import Connector, ConnectorContext, Item, Rejected
from signalseq.connectors.visits import WebsiteVisitsConnector
from signalseq.connectors.workspace import load_connectors
from signalseq.errors import InputRejected, NotFoundError
from signalseq.signals import webhooks
from signalseq.signals.ingest import run_connector
from signalseq.signals.schemas import SignalIn
from signalseq.store.db import Database
from signalseq.workspace.loader import Workspace

Route = Literal["signals", "segment"]
_ROUTE_TYPES = {"signals": "webhook", "segment": "website_visits"}


class BadPayload(InputRejected):
    http_status = 400
    code = "bad_payload"


@dataclass
class IntakeResult:
    accepted: int = 0
    duplicates: int = 0
    not_signals: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)


def _connector(workspace: Workspace, route: Route, source: str | None) -> Connector:
    wanted = _ROUTE_TYPES[route]
    if not source:
        raise webhooks.SignatureRejected("missing X-Signalseq-Source header")
    matches = [
        c
        for c in load_connectors(workspace, include_disabled=True)
        if c.name == source and c.type == wanted and c.config.enabled
    ]
    if not matches:
        raise NotFoundError(f"no enabled {wanted} connector named {source!r}")
    return matches[0]


def _canonical_items(connector: Connector, payload: Any) -> list[Item]:
    if isinstance(payload, dict) and isinstance(payload.get("signals"), list):
        payload = payload["signals"]
    records = payload if isinstance(payload, list) else [payload]
    items: list[Item] = []
    for index, record in enumerate(records):
        raw = json.dumps(record, ensure_ascii=False, default=str)[: webhooks.RAW_KEPT]
        if not isinstance(record, dict):
            items.append(Rejected(raw, "expected a JSON object", "webhook", f"item {index}"))
            continue
        try:
            items.append(SignalIn.model_validate({**record, "source": connector.name}))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "signal"
            items.append(Rejected(raw, f"{where}: {first['msg']}", "webhook", f"item {index}"))
    return items


def receive(
    database: Database,
    workspace: Workspace,
    clock: Clock,
    *,
    route: Route,
    source: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    tolerance_seconds: int,
    keep_refusal: webhooks.KeepRefusal | None = None,
) -> IntakeResult:
    label = f"webhook:{(source or 'unknown')[:100]}"
    try:
        connector = _connector(workspace, route, source)
    except webhooks.SignatureRejected as exc:  # no source header
        webhooks.dead_letter_request(database, label, body, str(exc), clock.now(), signed=False,
                                     keep_refusal=keep_refusal)  # fmt: skip
        raise
    webhooks.authenticate(
        database,
        secret=webhooks.secret_for(getattr(connector.config, "secret_env", None), connector.name),
        source=connector.name,
        label=label,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=clock.now(),
        tolerance_seconds=tolerance_seconds,
        keep_refusal=keep_refusal,
    )
    try:
        payload = jsontext.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        webhooks.dead_letter_request(
            database, connector.name, body, f"invalid JSON: {exc}", clock.now()
        )
        raise BadPayload(f"invalid JSON: {exc}") from exc
    context = ConnectorContext(workspace.root, clock, allowed=tuple(workspace.config.allowed_paths))
    if isinstance(connector, WebsiteVisitsConnector):
        with database.unit_of_work() as session:
            parser = connector.parser(context, session)
        items = list(
            connector.items(
                parser, payload, body.decode("utf-8", "replace")[: webhooks.RAW_KEPT], "request"
            )
        )
    else:
        items = _canonical_items(connector, payload)
    report = run_connector(database, connector, context, items=items)
    result = IntakeResult(report.stored, report.duplicates, sum(report.skipped.values()))
    result.rejected = [
        {"item": item.location or "", "reason": item.reason}
        for item in items
        if isinstance(item, Rejected) and item.dead_letter
    ]
    return result

"""``events add|list``: what contacts did (replies, out-of-office, clicks…), recorded by
hand or by a script; the next tick applies them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import select

from signalseq.cli.context import print_json, state
from signalseq.clock import ensure_utc
from signalseq.enrollments.engagement import EVENT_KINDS, record_event
from signalseq.enrollments.models import EngagementEvent
from signalseq.errors import UsageError

events_app = typer.Typer(
    help="Engagement events: replies, meetings, unsubscribes, bounces, out-of-office, "
    "clicks, accepted connections, opens.",
    no_args_is_help=True,
)


@events_app.command("add")
def add(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help=f"One of: {', '.join(EVENT_KINDS)}."),
    enrollment: int | None = typer.Option(None, "--enrollment", help="Enrollment id."),
    contact: int | None = typer.Option(
        None, "--contact", help="Contact id (applies to every running enrollment)."
    ),
    touch: int | None = typer.Option(None, "--touch", help="The touch it answers (opens)."),
    return_date: datetime | None = typer.Option(
        None, "--return-date", formats=["%Y-%m-%d"], help="Out of office: back on this date."
    ),
) -> None:
    """Record an event; the next `run --once` or worker tick applies it."""
    if (enrollment is None) == (contact is None):
        raise UsageError("give exactly one of --enrollment or --contact")
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        event = record_event(
            session,
            kind=kind,
            at=cli.clock.now(),
            contact_id=contact,
            enrollment_id=enrollment,
            touch_id=touch,
            return_date=return_date.date() if return_date else None,
        )
        event_id = event.id
    cli.out.print(f"event #{event_id} ({kind}) recorded; the next tick applies it")


@events_app.command("list")
def list_events(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Recent events and what they did."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": e.id,
                "kind": e.kind,
                "contact_id": e.contact_id,
                "enrollment_id": e.enrollment_id,
                "touch_id": e.touch_id,
                "occurred_at": ensure_utc(e.occurred_at).isoformat(),
                "return_date": e.return_date.isoformat() if e.return_date else None,
                "source": e.source,
                "applied_at": ensure_utc(e.applied_at).isoformat() if e.applied_at else None,
                "outcome": e.outcome,
            }
            for e in session.scalars(
                select(EngagementEvent).order_by(EngagementEvent.id.desc()).limit(limit)
            )
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "kind", "contact", "when", "outcome", title=f"{len(rows)} events")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["kind"],
            str(row["contact_id"]),
            row["occurred_at"][:16],
            row["outcome"] or "(pending)",
        )
    cli.out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")

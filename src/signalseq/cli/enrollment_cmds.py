"""``enrollments list|pause|resume|exit|skip-step``."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.table import Table

from signalseq.cli.context import DATETIME_FORMATS, print_json, state
from signalseq.clock import ensure_utc
from signalseq.enrollments import service

enrollments_app = typer.Typer(
    help="Enrollments: list them, pause, resume, exit, skip a step.", no_args_is_help=True
)


@enrollments_app.command("list")
def list_enrollments(
    ctx: typer.Context,
    state_filter: str | None = typer.Option(
        None, "--state", help="active, paused, completed or exited."
    ),
    sequence: str | None = typer.Option(None, "--sequence", help="Only this sequence."),
    limit: int = typer.Option(200, "--limit", min=1, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List enrollments with their touches."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        rows = service.list_enrollments(session, state=state_filter, sequence=sequence, limit=limit)
    if as_json:
        print_json(rows)
        return
    table = Table(
        "id", "contact", "sequence/branch", "state", "next touch", title=f"{len(rows)} enrollments"
    )
    for row in rows:
        pending = [
            t
            for t in row["touches"]
            if t["state"] not in ("sent", "skipped", "cancelled", "failed")
        ]
        upcoming = (
            f"{pending[0]['step']} ({pending[0]['channel']}) {pending[0]['due_at'][:16]}"
            if pending
            else ""
        )
        table.add_row(
            str(row["id"]),
            str(row["contact_id"]),
            f"{row['sequence']} v{row['version']}/{row['branch']}",
            row["state"] + (f" ({row['exit_reason']})" if row["exit_reason"] else ""),
            upcoming,
        )
    cli.out.print(table)


@enrollments_app.command("pause")
def pause(
    ctx: typer.Context,
    enrollment_id: int = typer.Argument(..., help="Enrollment id."),
    until: datetime | None = typer.Option(
        None, "--until", formats=DATETIME_FORMATS, help="Resume then (UTC)."
    ),
) -> None:
    """Pause an enrollment (by hand, or until a date)."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        service.pause(session, enrollment_id, ensure_utc(until) if until else None, cli.clock.now())
    cli.out.print(
        f"enrollment #{enrollment_id} paused" + (f" until {until:%Y-%m-%d}" if until else "")
    )


@enrollments_app.command("resume")
def resume(
    ctx: typer.Context, enrollment_id: int = typer.Argument(..., help="Enrollment id.")
) -> None:
    """Resume a paused enrollment; touches that fell due meanwhile move to after now."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        service.resume(session, enrollment_id, cli.clock.now())
    cli.out.print(f"enrollment #{enrollment_id} resumed")


@enrollments_app.command("exit")
def exit_enrollment(
    ctx: typer.Context, enrollment_id: int = typer.Argument(..., help="Enrollment id.")
) -> None:
    """Exit an enrollment by hand; every touch not yet sent is cancelled."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        cancelled = service.exit_by_hand(session, enrollment_id, cli.clock.now())
    cli.out.print(f"enrollment #{enrollment_id} exited; {cancelled} unsent touch(es) cancelled")


@enrollments_app.command("skip-step")
def skip_step(
    ctx: typer.Context, enrollment_id: int = typer.Argument(..., help="Enrollment id.")
) -> None:
    """Skip the step in flight; the next one is planned on the next tick."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        touch = service.skip_step(session, enrollment_id, cli.clock.now())
    cli.out.print(f"enrollment #{enrollment_id}: step {touch.step_id} skipped")


def register(app: typer.Typer) -> None:
    app.add_typer(enrollments_app, name="enrollments")

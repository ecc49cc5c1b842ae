"""``tasks list|done|skip``: call and LinkedIn steps, and replies to answer, for people.
Done or skipped, a step's task moves its sequence on at the next tick."""

from __future__ import annotations

import typer
from rich.table import Table

from signalseq.cli.context import print_json, state
from signalseq.enrollments.service import Calendars
from signalseq.rules.watcher import RulesWatcher
from signalseq.tasks import service

tasks_app = typer.Typer(
    help="Tasks for people: calls, LinkedIn steps, replies to answer.", no_args_is_help=True
)


@tasks_app.command("list")
def list_cmd(
    ctx: typer.Context,
    owner: str | None = typer.Option(None, "--owner", help="Only this owner's (an email)."),
    task_state: str = typer.Option(
        "open", "--state", help="open (default), done, skipped, cancelled or all."
    ),
    overdue: bool = typer.Option(False, "--overdue", help="Only open tasks past their day."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Tasks, oldest day first; overdue ones are flagged, never dropped."""
    cli = state(ctx)
    config = RulesWatcher(cli.settings.workspace_path).current().workspace.config
    now = cli.clock.now()
    with cli.database.unit_of_work() as session:
        calendars = Calendars(session, config.default_timezone, config.default_country)
        rows = service.list_tasks(
            session,
            lambda contact_id: calendars.of(contact_id).local_date(now),
            owner=owner,
            state=task_state,
            overdue_only=overdue,
        )
    if as_json:
        print_json(rows)
        return
    table = Table("id", "due", "task", "owner", "state", title=f"{len(rows)} task(s)")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["due_on"] + (" OVERDUE" if row["overdue"] else ""),
            row["title"],
            row["owner"] or "",
            row["state"],
        )
    cli.out.print(table)


def _close(ctx: typer.Context, task_id: int, outcome: str, actor: str, note: str | None) -> None:
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        task = service.close(session, task_id, outcome, actor, note, cli.clock.now())
        title = task.title
    cli.out.print(f"task #{task_id} {outcome}: {title}")


@tasks_app.command("done")
def done(
    ctx: typer.Context,
    task_id: int = typer.Argument(..., help="Task id."),
    note: str | None = typer.Option(None, "--note", help="What happened (kept with the task)."),
    actor: str = typer.Option("cli", "--by", help="Who did it."),
) -> None:
    """Mark a task done; a step's sequence moves on."""
    _close(ctx, task_id, "done", actor, note)


@tasks_app.command("skip")
def skip(
    ctx: typer.Context,
    task_id: int = typer.Argument(..., help="Task id."),
    note: str | None = typer.Option(None, "--note", help="Why (kept with the task)."),
    actor: str = typer.Option("cli", "--by", help="Who skipped it."),
) -> None:
    """Skip a task; a step's sequence moves on without it."""
    _close(ctx, task_id, "skipped", actor, note)


def register(app: typer.Typer) -> None:
    app.add_typer(tasks_app, name="tasks")

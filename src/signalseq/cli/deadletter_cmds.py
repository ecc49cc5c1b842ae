"""``deadletters list``."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from signalseq.cli.context import print_json, state
from signalseq.deadletters import repository

deadletters_app = typer.Typer(help="Rejected input, kept with its reason.", no_args_is_help=True)


@deadletters_app.command("list")
def list_dead_letters(
    ctx: typer.Context,
    source: str | None = typer.Option(None, "--source", help="Only this source."),
    include_resolved: bool = typer.Option(False, "--all", help="Include resolved ones."),
    limit: int = typer.Option(200, "--limit", min=1, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List rejected records with their source, location and reason."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        letters = repository.list_open(
            session, source=source, include_resolved=include_resolved, limit=limit
        )
        rows: list[dict[str, Any]] = [
            {
                "id": d.id,
                "source": d.source,
                "kind": d.kind,
                "location": d.location,
                "reason": d.reason,
                "raw": d.raw,
                "created_at": d.created_at.isoformat(),
                "resolved_at": d.resolved_at.isoformat() if d.resolved_at else None,
            }
            for d in letters
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("id", "source", "location", "reason", title=f"{len(rows)} dead letters")
    for row in rows:
        table.add_row(str(row["id"]), row["source"], row["location"] or "", row["reason"])
    cli.out.print(table)


@deadletters_app.command("retry")
def retry(
    ctx: typer.Context,
    source: str | None = typer.Option(None, "--source", help="Only this connector."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Parse open dead letters again (after fixing a connector or its input)."""
    from signalseq.signals.service import retry_dead_letters
    from signalseq.workspace.loader import load_workspace

    cli = state(ctx)
    workspace = load_workspace(cli.settings.workspace_path)
    report = retry_dead_letters(cli.database, workspace, cli.clock, source=source)
    if as_json:
        print_json(report.as_dict())
        return
    cli.out.print(
        f"retried {report.retried}: {report.resolved} resolved, "
        f"{report.still_failing} still failing"
    )


def register(app: typer.Typer) -> None:
    app.add_typer(deadletters_app, name="deadletters")

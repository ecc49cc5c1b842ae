"""``decide`` and ``explain``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from signalseq.cli.context import print_json, state
from signalseq.decisions import explain as explain_service
from signalseq.decisions.service import DecideReport, decide_pending
from signalseq.workspace.loader import load_workspace


def print_decisions(report: DecideReport, console: Console) -> None:
    table = Table(
        "outcome",
        "count",
        title=f"Decisions (rules {report.rules_version}, {report.signals} signals)",
    )
    for reason, count in report.outcomes.most_common():
        label = {"enrolled": "enrolled", "holdout": "held out (holdout)"}.get(reason)
        table.add_row(label or f"skipped: {reason}", str(count))
    console.print(table)
    if report.by_rule:
        console.print(
            "enrolled by rule: " + ", ".join(f"{r} {n}" for r, n in report.by_rule.most_common())
        )


def register(app: typer.Typer) -> None:
    @app.command()
    def decide(
        ctx: typer.Context,
        limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many signals."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Run the trigger rules and contact policy over undecided signals; enroll."""
        cli = state(ctx)
        workspace = load_workspace(cli.settings.workspace_path)
        report = decide_pending(cli.database, workspace, cli.clock, limit=limit)
        if as_json:
            print_json(report.as_dict())
        else:
            print_decisions(report, cli.out)

    @app.command()
    def explain(
        ctx: typer.Context,
        email: str = typer.Argument(..., help="The contact's e-mail address."),
        as_json: bool = typer.Option(False, "--json", help="Print the timeline as JSON."),
    ) -> None:
        """Why was this person enrolled — or not? Signals, decisions and enrollments."""
        cli = state(ctx)
        with cli.database.unit_of_work() as session:
            timeline = explain_service.timeline(session, email)
        if as_json:
            print_json(timeline)
            return
        explain_service.render(timeline, cli.out)

"""``inbound poll|import|list``: replies, bounces, out-of-office messages and
unsubscribes read from IMAP or from .eml files, and what each did."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from signalseq.cli.context import print_json, state
from signalseq.errors import UsageError
from signalseq.inbound import runner
from signalseq.inbound.service import list_messages
from signalseq.rules.watcher import RulesWatcher

inbound_app = typer.Typer(
    help="Inbound mail: replies, bounces, out-of-office, unsubscribes.", no_args_is_help=True
)


def _print_results(
    console: Console, results: list[dict[str, object]], as_json: bool, title: str
) -> None:
    if as_json:
        print_json(results)
        return
    table = Table("classification", "effect", "message", title=title)
    for row in results:
        table.add_row(str(row["classification"]), str(row["effect"]), str(row["message_id"]))
    console.print(table)


@inbound_app.command("poll")
def poll(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")
) -> None:
    """Read every mailbox with IMAP once and apply what arrived (the worker does this
    every tick)."""
    cli = state(ctx)
    rules = RulesWatcher(cli.settings.workspace_path).current()
    reports = runner.poll(cli.database, cli.settings, rules, cli.clock)
    if not reports:
        raise UsageError(
            "no mailbox has IMAP configured (SIGNALSEQ_IMAP_HOST or delivery/mailboxes.yaml)"
        )
    if as_json:
        print_json(
            [
                {"mailbox": r.mailbox, "read": r.read, "error": r.error,
                 "messages": [p.as_dict() for p in r.results]}
                for r in reports
            ]
        )  # fmt: skip
        return
    for report in reports:
        failed = f"; error: {report.error}" if report.error else ""
        cli.out.print(f"mailbox {report.mailbox}: {report.read} read{failed}")
        if report.results:
            rows: list[dict[str, object]] = [p.as_dict() for p in report.results]
            _print_results(cli.out, rows, False, f"mailbox {report.mailbox}")
    if any(r.error for r in reports):
        raise typer.Exit(1)


@inbound_app.command("import")
def import_files(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help=".eml files (RFC 5322 messages)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Process .eml files as if they had arrived in a mailbox, and apply them."""
    for path in files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    cli = state(ctx)
    rules = RulesWatcher(cli.settings.workspace_path).current()
    results = runner.import_files(cli.database, cli.settings, rules, cli.clock, files)
    _print_results(cli.out, [r.as_dict() for r in results], as_json, f"{len(results)} message(s)")


@inbound_app.command("list")
def list_cmd(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Inbound messages read, newest first: classification, match and effect."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        rows = list_messages(session, limit)
    if as_json:
        print_json(rows)
        return
    table = Table("id", "from", "class", "matched", "effect", title=f"{len(rows)} messages")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["from"] or ""),
            str(row["classification"]),
            str(row["matched_by"] or "-"),
            str(row["effect"]),
        )
    cli.out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(inbound_app, name="inbound")

"""``ingest`` and ``signals list``."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from signalseq.cli.context import print_json, progress_bar, state
from signalseq.signals import repository
from signalseq.signals import service as signal_service
from signalseq.signals.ingest import SourceReport
from signalseq.signals.schemas import SIGNAL_KINDS
from signalseq.workspace.loader import load_workspace

signals_app = typer.Typer(help="Stored buying signals.", no_args_is_help=True)


def print_ingest(reports: list[SourceReport], console: Console) -> None:
    table = Table(
        "source",
        "type",
        "read",
        "stored",
        "duplicates",
        "matched",
        "needs review",
        "unmatched",
        "not signals",
        "rejected",
        title="Ingest",
    )
    for report in reports:
        table.add_row(
            report.source,
            report.type,
            str(report.read),
            str(report.stored),
            str(report.duplicates),
            str(report.by_status["matched"]),
            str(report.by_status["needs_review"]),
            str(report.by_status["unmatched"]),
            str(sum(report.skipped.values())),
            str(sum(report.rejected.values())),
        )
    console.print(table)
    for report in reports:
        for warning in report.warnings:
            console.print(f"[yellow]warning[/yellow] {warning}")
        for reason, count in report.rejected.most_common():
            console.print(f"{report.source}: {count} rejected — {reason}")
        if report.skipped:
            reasons = ", ".join(f"{r} {n}" for r, n in report.skipped.most_common())
            console.print(f"{report.source}: not signals — {reasons}")


def register(app: typer.Typer) -> None:
    @app.command()
    def ingest(
        ctx: typer.Context,
        source: str | None = typer.Option(None, "--source", help="Only this connector."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Run the connectors in connectors/*.yaml and store new signals."""
        cli = state(ctx)
        workspace = load_workspace(cli.settings.workspace_path)
        reports = signal_service.ingest(
            cli.database, workspace, cli.clock, source=source, progress=progress_bar
        )
        if as_json:
            print_json([r.as_dict() for r in reports])
        else:
            print_ingest(reports, cli.out)

    app.add_typer(signals_app, name="signals")


@signals_app.command("list")
def list_signals(
    ctx: typer.Context,
    kind: str | None = typer.Option(None, "--kind", help=f"One of: {', '.join(SIGNAL_KINDS)}."),
    source: str | None = typer.Option(None, "--source", help="Only this connector."),
    status: str | None = typer.Option(None, "--status", help="matched, needs_review or unmatched."),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many (newest first)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List signals, newest first, with how each was matched."""
    cli = state(ctx)
    if kind is not None and kind not in SIGNAL_KINDS:
        raise typer.BadParameter(f"unknown kind {kind!r}", param_hint="--kind")
    with cli.database.unit_of_work() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": s.id,
                "kind": s.kind,
                "subtype": s.subtype,
                "occurred_at": s.occurred_at.isoformat(),
                "source": s.source,
                "company": s.company_name,
                "domain": s.company_domain,
                "person": s.person_name,
                "email": s.person_email,
                "account_id": s.account_id,
                "contact_id": s.contact_id,
                "match_status": s.match_status,
                "account_match": s.account_match,
                "account_match_score": s.account_match_score,
                "contact_match": s.contact_match,
                "confidence": s.confidence,
                "attributes": s.attributes,
            }
            for s in repository.list_signals(
                session, kind=kind, source=source, status=status, limit=limit
            )
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "when", "kind", "detail", "company", "person", "match", title=f"{len(rows)} signals"
    )
    for row in rows:
        table.add_row(
            row["occurred_at"][:16],
            row["kind"],
            row["subtype"] or "",
            row["company"] or row["domain"] or "",
            row["person"] or row["email"] or "",
            f"{row['match_status']} ({row['account_match']})",
        )
    cli.out.print(table)

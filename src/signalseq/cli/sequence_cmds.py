"""``lint`` and ``sequences list|migrate|retire``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import func, select

from signalseq.cli.context import print_json, state
from signalseq.enrollments import migration
from signalseq.enrollments.models import Enrollment
from signalseq.sequences import catalog
from signalseq.sequences.lint import lint_workspace
from signalseq.workspace.loader import load_workspace

sequences_app = typer.Typer(
    help="Sequences: their versions, and moving running enrollments between them.",
    no_args_is_help=True,
)


@sequences_app.command("list")
def list_sequences(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Every sequence version on disk or still running, with its enrollments by state."""
    cli = state(ctx)
    workspace = load_workspace(cli.settings.workspace_path)
    on_disk = catalog.all_versions(workspace)
    newest = {key: model.version for key, model in catalog.latest(workspace).items()}
    counts: dict[tuple[str, int], Counter[str]] = {}
    with cli.database.unit_of_work() as session:
        for sequence_id, version, enrollment_state, count in session.execute(
            select(
                Enrollment.sequence_id,
                Enrollment.sequence_version,
                Enrollment.state,
                func.count(),
            ).group_by(Enrollment.sequence_id, Enrollment.sequence_version, Enrollment.state)
        ):
            counts.setdefault((sequence_id, version), Counter())[enrollment_state] = count
    rows: list[dict[str, Any]] = []
    for key in sorted(on_disk.keys() | counts.keys()):
        model = on_disk.get(key)
        rows.append(
            {
                "id": key[0],
                "version": key[1],
                "on_disk": model is not None,
                "current": newest.get(key[0]) == key[1],
                "branches": sorted(model.branches) if model else [],
                "enrollments": dict(counts.get(key, {})),
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table("sequence", "version", "branches", "enrollments", title="Sequences")
    for row in rows:
        note = " (current)" if row["current"] else "" if row["on_disk"] else " (file gone)"
        table.add_row(
            row["id"],
            f"{row['version']}{note}",
            ", ".join(row["branches"]),
            ", ".join(f"{s} {n}" for s, n in sorted(row["enrollments"].items())) or "-",
        )
    cli.out.print(table)
    stranded = [r for r in rows if not r["on_disk"] and r["enrollments"].get("active")]
    for row in stranded:
        cli.err.print(
            f"warning: {row['enrollments']['active']} active enrollment(s) on {row['id']} "
            f"version {row['version']}, whose file is gone: they wait until "
            f"`signalseq sequences migrate {row['id']} --to VERSION`"
        )


@sequences_app.command("migrate")
def migrate(
    ctx: typer.Context,
    sequence_id: str = typer.Argument(..., help="Sequence id."),
    to: int = typer.Option(..., "--to", min=1, help="Version to move running enrollments to."),
    from_version: int | None = typer.Option(
        None, "--from", min=1, help="Only enrollments on this version (default: all others)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Move running enrollments to another version, mapping steps by id."""
    cli = state(ctx)
    workspace = load_workspace(cli.settings.workspace_path)
    with cli.database.unit_of_work() as session:
        report = migration.migrate(
            session,
            catalog.all_versions(workspace),
            sequence_id,
            to,
            cli.clock.now(),
            from_version=from_version,
        )
    if as_json:
        print_json(report.as_dict())
        return
    data = report.as_dict()
    cli.out.print(
        f"{data['migrated']} enrollment(s) of {sequence_id} moved to version {to}; "
        f"{data['touches_cancelled']} touch(es) cancelled (step removed), "
        f"{data['touches_updated']} updated"
    )
    for line in report.blocked:
        cli.err.print(f"not moved: {line}")
    if report.blocked:
        raise typer.Exit(1)


@sequences_app.command("retire")
def retire(
    ctx: typer.Context,
    sequence_id: str = typer.Argument(..., help="Sequence id."),
    version: int | None = typer.Option(None, "--version", min=1, help="Only this version."),
) -> None:
    """Exit every running enrollment of a sequence (reason: sequence_retired)."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        exited, cancelled = migration.retire(session, sequence_id, cli.clock.now(), version=version)
    cli.out.print(f"{exited} enrollment(s) exited; {cancelled} unsent touch(es) cancelled")


def register(app: typer.Typer) -> None:
    @app.command()
    def lint(
        ctx: typer.Context,
        strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors (exit 1)."),
        as_json: bool = typer.Option(False, "--json", help="Print findings as JSON."),
    ) -> None:
        """Warn where sequences depart from what works: touches, days, channels, spacing."""
        cli = state(ctx)
        findings = lint_workspace(load_workspace(cli.settings.workspace_path))
        if as_json:
            print_json(
                [
                    {
                        "path": f.problem.path,
                        "line": f.problem.line,
                        "field": f.problem.field,
                        "message": f.problem.message,
                        "level": f.level,
                    }
                    for f in findings
                ]
            )
        else:
            for finding in findings:
                typer.echo(str(finding))
            typer.echo(f"{len(findings)} warning(s)" if findings else "no warnings")
        if findings and strict:
            raise typer.Exit(1)

    app.add_typer(sequences_app, name="sequences")

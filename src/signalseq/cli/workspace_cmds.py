"""``validate`` and ``init``."""

from __future__ import annotations

from pathlib import Path

import typer

from signalseq.cli.context import print_json, state
from signalseq.workspace import service


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        ctx: typer.Context,
        directory: Path | None = typer.Argument(
            None, help="Workspace folder (default: the workspace)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print problems as JSON."),
    ) -> None:
        """Check every workspace file; print each problem as path:line field: message."""
        cli = state(ctx)
        report = service.validate(directory or cli.settings.workspace_path)
        if as_json:
            print_json(
                {
                    "ok": report.ok,
                    "files": report.file_counts,
                    "problems": [
                        {"path": p.path, "line": p.line, "field": p.field, "message": p.message}
                        for p in report.problems
                    ],
                }
            )
        elif report.ok:
            cli.out.print(report.summary())
        else:
            for problem in report.problems:
                typer.echo(problem.render())
            typer.echo(f"{len(report.problems)} problem(s) in {report.root}")
        if not report.ok:
            raise typer.Exit(1)

    @app.command()
    def init(
        ctx: typer.Context,
        directory: Path = typer.Argument(..., help="Folder to create the workspace in."),
        force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
    ) -> None:
        """Write a new workspace (rules, prompts, connectors, review policy) from the default."""
        written = service.init_workspace(directory, force=force)
        state(ctx).out.print(
            f"created a workspace in {directory} ({len(written)} files); "
            f"next: signalseq -w {directory} validate"
        )

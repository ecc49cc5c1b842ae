"""``lint``: best-practice warnings about sequences."""

from __future__ import annotations

import typer

from signalseq.cli.context import print_json, state
from signalseq.sequences.lint import lint_workspace
from signalseq.workspace.loader import load_workspace


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

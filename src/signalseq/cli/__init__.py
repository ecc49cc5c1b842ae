"""The ``signalseq`` command. Each command calls one service function; errors are
translated here into one line on stderr and an exit code (1 user, 2 usage, 3 internal)."""

from __future__ import annotations

import sys
import traceback
from datetime import datetime
from pathlib import Path

import typer

from signalseq import __version__
from signalseq.cli import (
    backtest_cmds,
    crm_cmds,
    db_cmds,
    deadletter_cmds,
    decision_cmds,
    delivery_cmds,
    demo_cmds,
    draft_cmds,
    enrollment_cmds,
    event_cmds,
    inbound_cmds,
    pipeline_cmds,
    report_cmds,
    sequence_cmds,
    serve_cmds,
    signal_cmds,
    task_cmds,
    user_cmds,
    workspace_cmds,
)
from signalseq.cli.context import DATETIME_FORMATS, CliState
from signalseq.clock import ensure_utc
from signalseq.errors import SignalseqError, ValidationFailed

app = typer.Typer(
    name="signalseq",
    help="Enroll prospects into outreach sequences only when they show buying intent.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"signalseq {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    workspace: Path | None = typer.Option(
        None, "--workspace", "-w", help="Workspace folder (default: $SIGNALSEQ_WORKSPACE or .)."
    ),
    database_url: str | None = typer.Option(
        None, "--database-url", help="Database URL (default: $SIGNALSEQ_DATABASE_URL)."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    now: datetime | None = typer.Option(
        None,
        "--now",
        formats=DATETIME_FORMATS,
        help="Run as if it were this moment (UTC unless an offset is given; default: "
        "$SIGNALSEQ_NOW, else the system clock).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    ctx.obj = CliState(
        workspace=workspace,
        database_url=database_url,
        debug=debug,
        now=ensure_utc(now) if now else None,
    )
    ctx.call_on_close(ctx.obj.close)


workspace_cmds.register(app)
db_cmds.register(app)
crm_cmds.register(app)
deadletter_cmds.register(app)
signal_cmds.register(app)
serve_cmds.register(app)
decision_cmds.register(app)
backtest_cmds.register(app)
sequence_cmds.register(app)
enrollment_cmds.register(app)
event_cmds.register(app)
pipeline_cmds.register(app)
draft_cmds.register(app)
demo_cmds.register(app)
delivery_cmds.register(app)
inbound_cmds.register(app)
task_cmds.register(app)
report_cmds.register(app)
user_cmds.register(app)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code; never raises."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        result = app(args=args, prog_name="signalseq", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        print("signalseq: aborted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:  # click's usage errors, vendored by typer
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            print(f"signalseq: {exc}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except ValidationFailed as exc:
        for problem in exc.problems:
            print(problem.render(), file=sys.stderr)
        print(f"signalseq: {len(exc.problems)} problem(s) found", file=sys.stderr)
        return exc.exit_code
    except SignalseqError as exc:
        if debug:
            traceback.print_exc()
        print(f"signalseq: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("signalseq: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an internal error: one line, the traceback only with --debug
        if debug:
            traceback.print_exc()
        print(
            f"signalseq: internal error: {type(exc).__name__}: {exc} (rerun with --debug "
            "for the traceback)",
            file=sys.stderr,
        )
        return 3


def main() -> None:
    sys.exit(run())

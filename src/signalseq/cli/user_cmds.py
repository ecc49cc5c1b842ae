"""``user add|list|disable|enable|set-password``: who may sign in to the web app."""

from __future__ import annotations

import secrets
import sys
from typing import Any

import typer
from rich.table import Table

from signalseq.auth import service
from signalseq.auth.models import ROLES
from signalseq.cli.context import print_json, state
from signalseq.errors import UsageError

user_app = typer.Typer(help="People who sign in to the review web app.", no_args_is_help=True)

STDIN_HELP = "Read the password from the first line of standard input."


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password, and whether it was generated (then it is printed once)."""
    if from_stdin:
        line = sys.stdin.readline().rstrip("\n")
        if not line:
            raise UsageError("--password-stdin: standard input is empty")
        return line, False
    if sys.stdin.isatty():
        first = typer.prompt("Password", hide_input=True)
        if typer.prompt("Again", hide_input=True) != first:
            raise UsageError("the two passwords differ")
        return first, False
    return secrets.token_urlsafe(12), True


@user_app.command("add")
def add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Sign-in name (lower case)."),
    role: str = typer.Option(
        "reviewer", "--role", help=f"One of: {', '.join(ROLES)}.", show_default=True
    ),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
) -> None:
    """Create a user. Without a terminal or --password-stdin, a password is generated
    and printed once."""
    cli = state(ctx)
    password, generated = _password(password_stdin)
    with cli.database.unit_of_work() as session:
        user = service.add_user(session, username, password, role, cli.clock.now())
        name = user.username
    cli.out.print(f"user {name} added ({role})")
    if generated:
        cli.out.print(
            f"password: {password}  (shown once; change it with `signalseq user set-password {name}`)"
        )


@user_app.command("list")
def list_users(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List users with their role and state."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        rows: list[dict[str, Any]] = [
            {
                "username": u.username,
                "role": u.role,
                "disabled": u.disabled,
                "created_at": u.created_at.isoformat(),
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in service.list_users(session)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("user", "role", "state", "last sign-in", title=f"{len(rows)} users")
    for row in rows:
        table.add_row(
            row["username"],
            row["role"],
            "disabled" if row["disabled"] else "active",
            (row["last_login_at"] or "never")[:16],
        )
    cli.out.print(table)


def _set_disabled(ctx: typer.Context, username: str, disabled: bool) -> None:
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        service.set_disabled(session, username, disabled)
    cli.out.print(f"user {username} {'disabled' if disabled else 'enabled'}")


@user_app.command("disable")
def disable(
    ctx: typer.Context, username: str = typer.Argument(..., help="The user to disable.")
) -> None:
    """Disable a user: they cannot sign in, and their sessions end now."""
    _set_disabled(ctx, username, True)


@user_app.command("enable")
def enable(
    ctx: typer.Context, username: str = typer.Argument(..., help="The user to enable.")
) -> None:
    """Enable a disabled user again."""
    _set_disabled(ctx, username, False)


@user_app.command("set-password")
def set_password(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Whose password."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help=STDIN_HELP),
) -> None:
    """Set a new password (prompted, read from stdin, or generated and printed once);
    the user's sessions end."""
    cli = state(ctx)
    password, generated = _password(password_stdin)
    with cli.database.unit_of_work() as session:
        service.set_password(session, username, password)
    cli.out.print(f"password of {username} changed")
    if generated:
        cli.out.print(f"password: {password}  (shown once)")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")

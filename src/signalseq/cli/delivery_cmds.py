"""``delivery list|reconcile|mailboxes|resume``: what is being sent, what nobody knows
was sent, and the mailboxes' caps and pauses."""

from __future__ import annotations

import typer
from rich.table import Table

from signalseq.cli.context import CliState, print_json, state
from signalseq.delivery import breakers, oauth, recipients, sender_checks, service, throttle
from signalseq.delivery.mailboxes import Mailbox
from signalseq.errors import UsageError
from signalseq.inbound import runner
from signalseq.rules.watcher import RulesWatcher

delivery_app = typer.Typer(
    help="Sending: touches in flight or of unknown fate, and the mailboxes.",
    no_args_is_help=True,
)


def _mailboxes(cli: CliState) -> tuple[list[Mailbox], str]:
    rules = RulesWatcher(cli.settings.workspace_path).current()
    return runner.mailboxes(cli.settings, rules), rules.workspace.config.default_timezone


@delivery_app.command("list")
def list_touches(
    ctx: typer.Context,
    touch_state: str = typer.Option(
        "unknown",
        "--state",
        help="unknown (to reconcile, the default), sending, or failed.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Email touches by delivery state; `unknown` ones wait for `delivery reconcile`."""
    if touch_state not in ("unknown", "sending", "failed"):
        raise UsageError("--state must be unknown, sending or failed")
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        rows = service.touch_rows(session, (touch_state,))
    if as_json:
        print_json(rows)
        return
    table = Table(
        "touch", "contact", "step", "mailbox", "since", title=f"{len(rows)} {touch_state}"
    )
    for row in rows:
        table.add_row(
            str(row["touch"]), row["contact"], row["step"], row["mailbox"] or "", row["since"][:16]
        )
    cli.out.print(table)


@delivery_app.command("reconcile")
def reconcile(
    ctx: typer.Context,
    touch: int = typer.Argument(..., help="Touch id (see `delivery list`)."),
    resolution: str = typer.Option(
        ...,
        "--as",
        help="sent (it went out), not-sent (it did not; go on without it), or resend "
        "(it did not; send it at the next slot).",
    ),
    actor: str = typer.Option("cli", "--by", help="Who decided (kept in the history)."),
) -> None:
    """Settle a touch whose fate is unknown (a worker stopped mid-send)."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        row = service.reconcile(session, touch, resolution, actor, cli.clock.now())
        now_state = row.state
    cli.out.print(f"touch #{touch} is now {now_state}")


@delivery_app.command("mailboxes")
def mailboxes(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")
) -> None:
    """Each mailbox: transport, today's cap (warm-up applied), sent today, paused."""
    cli = state(ctx)
    boxes, zone = _mailboxes(cli)
    with cli.database.unit_of_work() as session:
        rows = service.mailbox_rows(session, boxes, zone, cli.clock.now())
    if as_json:
        print_json(rows)
        return
    table = Table("id", "address", "transport", "today", "total", "paused", title="Mailboxes")
    for row in rows:
        table.add_row(
            row["id"],
            row["address"],
            row["transport"],
            f"{row['sent_today']}/{row['cap_today']}",
            str(row["sent_total"]),
            row["paused"] or "",
        )
    cli.out.print(table)


@delivery_app.command("resume")
def resume(ctx: typer.Context, mailbox: str = typer.Argument(..., help="Mailbox id.")) -> None:
    """Let a paused mailbox send again (after a 5.7.x block was dealt with)."""
    cli = state(ctx)
    boxes, _zone = _mailboxes(cli)
    found = service.find_mailbox(boxes, mailbox)
    with cli.database.unit_of_work() as session:
        was = throttle.resume(session, found.id, cli.clock.now())
    cli.out.print(f"mailbox {found.id} " + ("resumed" if was else "was not paused"))


breakers_app = typer.Typer(
    help="Circuit breakers: mailboxes and rules paused for their bounce or complaint rates.",
    no_args_is_help=True,
)


@breakers_app.command("list")
def list_breakers(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")
) -> None:
    """Each mailbox's and rule's hard-bounce and complaint rates over the window."""
    cli = state(ctx)
    rules = RulesWatcher(cli.settings.workspace_path).current()
    with cli.database.unit_of_work(read_only=True) as session:
        rows = breakers.rates(session, rules.policy.breakers, cli.clock.now())
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("kind", "id", "since", "emails", "bounces", "complaints", "paused",
                  title="Circuit breakers")  # fmt: skip
    for row in rows:
        table.add_row(row.kind, row.key, f"{row.since:%Y-%m-%d}", str(row.sends),
                      f"{row.bounces} ({row.bounce_rate:.1%})",
                      f"{row.complaints} ({row.complaint_rate:.2%})", row.paused or "")  # fmt: skip
    cli.out.print(table)


@breakers_app.command("resume-rule")
def resume_rule(
    ctx: typer.Context, rule: str = typer.Argument(..., help="Trigger rule id.")
) -> None:
    """Let a rule paused by its breaker enroll again; its rates count from now."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        was = breakers.resume_rule(session, rule, cli.clock.now())
    cli.out.print(f"rule {rule} " + ("resumed" if was else "was not paused"))


mailbox_app = typer.Typer(
    help="A mailbox's sending domain: SPF, DKIM, DMARC, MX.", no_args_is_help=True
)


@mailbox_app.command("check")
def check_mailbox(
    ctx: typer.Context,
    name: str | None = typer.Argument(None, help="Mailbox id (default: every SMTP mailbox)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """SPF, DKIM, DMARC, MX and the one-click URL of each sending domain, with what to
    fix; exit 1 when a check fails."""
    cli = state(ctx)
    boxes, _zone = _mailboxes(cli)
    chosen = [service.find_mailbox(boxes, name)] if name else boxes
    reports = sender_checks.check_mailboxes(
        [m.model_copy(update={"transport": "smtp"}) if name else m for m in chosen],
        recipients.resolver(cli.settings),
        cli.settings.public_url,
    )
    if as_json:
        print_json([r.as_dict() for r in reports])
    else:
        if not reports:
            cli.out.print("no SMTP mailbox: nothing leaves this machine, nothing to check")
        for report in reports:
            cli.out.print(
                f"[bold]{report.mailbox}[/bold] ({report.domain}): {report.verdict.upper()}"
            )
            for check in report.checks:
                cli.out.print(f"  {check.verdict:<4} {check.name:<9} {check.detail}")
                if check.fix:
                    cli.out.print(f"       fix: {check.fix}")
    if any(r.verdict == "fail" for r in reports):
        raise typer.Exit(1)


@mailbox_app.command("connect")
def connect_mailbox(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Mailbox id (with auth: oauth2)."),
    port: int = typer.Option(0, "--port", min=0, max=65535,
                             help="Local port the browser comes back to (redirect flow)."),
    timeout: float = typer.Option(900, "--timeout", min=1, help="Seconds to wait for you."),
) -> None:  # fmt: skip
    """Sign an OAuth2 mailbox in once (Microsoft: a device code; Google: a browser
    redirect to 127.0.0.1); the refresh token is kept encrypted in the store."""
    cli = state(ctx)
    boxes, _zone = _mailboxes(cli)
    mailbox = service.find_mailbox(boxes, name)
    if mailbox.auth != "oauth2" or mailbox.oauth2 is None:
        raise UsageError(f"mailbox {name} signs in with a password (set auth: oauth2)")

    def say(text: str) -> None:  # plain, one line: an address must not be wrapped
        typer.echo(text, err=True)

    if mailbox.oauth2.flow == "device":
        token = oauth.connect_device(mailbox.oauth2, say, timeout)
    else:
        token = oauth.connect_redirect(mailbox.oauth2, say, port, timeout)
    if not token.get("refresh_token"):
        raise UsageError("the provider gave no refresh token (ask for offline access)")
    with cli.database.unit_of_work() as session:
        oauth.store(session, mailbox.id, token, cli.settings.resolved_secret_key, cli.clock.now())
        resumed = throttle.resume(session, mailbox.id, cli.clock.now())
    cli.out.print(f"mailbox {mailbox.id} connected" + ("; it sends again" if resumed else ""))


def register(app: typer.Typer) -> None:
    app.add_typer(delivery_app, name="delivery")
    app.add_typer(breakers_app, name="breakers")
    app.add_typer(mailbox_app, name="mailbox")

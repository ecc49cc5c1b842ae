"""``run``, ``worker`` and ``simulate``: the pipeline, once, in a loop, or on a
simulated clock."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from signalseq.cli.context import DATETIME_FORMATS, CliState, print_json, progress_bar, state
from signalseq.clock import ensure_utc
from signalseq.delivery import oauth, recipients, sender_checks
from signalseq.delivery.service import Delivery
from signalseq.drafting.service import drafter_from_settings
from signalseq.errors import ConfigError
from signalseq.inbound.imap import poll_all
from signalseq.inbound.runner import inbound_settings
from signalseq.pipeline.simulate import SimulationReport, simulate
from signalseq.pipeline.tick import Pipeline, TickReport
from signalseq.pipeline.worker import run_worker, stop_on_signals
from signalseq.rules.watcher import RulesWatcher


def _pipeline(cli: CliState) -> Pipeline:
    """A live pipeline; refused up front when its mailboxes could not send."""
    settings = cli.settings
    watcher = RulesWatcher(settings.workspace_path)
    delivery = Delivery.from_settings(settings)
    rules = watcher.current()
    mailboxes = delivery.mailboxes(rules.workspace, rules.prompts.sender)
    problems = delivery.problems(mailboxes, rules.prompts.sender)
    if problems:
        raise ConfigError(problems[0])
    for report in sender_checks.check_mailboxes(
        mailboxes, recipients.resolver(settings), settings.public_url
    ):
        for check in report.checks:
            if check.verdict == "fail":  # a warning, never a refusal: DNS can be slow to agree
                cli.err.print(f"warning: mailbox {report.mailbox} ({report.domain}) "
                              f"{check.name}: {check.detail} — {check.fix}")  # fmt: skip
    clock = cli.clock
    delivery.transports.tokens = oauth.TokenSource(
        cli.database, settings.resolved_secret_key, clock.now
    )

    def read_inbound() -> None:
        current = watcher.current()
        boxes = delivery.mailboxes(current.workspace, current.prompts.sender)
        poll_all(cli.database, boxes, inbound_settings(settings, current), clock.now)

    return Pipeline(
        cli.database,
        watcher,
        clock,
        delivery,
        read_inbound=read_inbound if any(m.imap for m in mailboxes) else None,
        batch=settings.worker_batch,
        drafter=drafter_from_settings(settings),
    )


def print_tick(report: TickReport, console: Console) -> None:
    inbound, plan = report.inbound, report.plan
    console.print(
        f"ingested {sum(r.stored for r in report.ingest)} signal(s); "
        f"decided {report.decide.signals if report.decide else 0}; "
        f"inbound {inbound.events} event(s) ({inbound.exited} exit(s), "
        f"{inbound.paused} paused, {inbound.switched} branch switch(es)); "
        f"planned {plan.scheduled}, completed {plan.completed}, "
        f"resumed {plan.resumed}, re-slotted {plan.reslotted}"
    )
    moves = ", ".join(f"{state} {n}" for state, n in sorted(report.moves.items()))
    console.print(f"touches moved: {moves or 'none'}")
    for alert in report.alerts:
        console.print(f"[bold red]ALERT[/bold red] {alert}")


def print_simulation(report: SimulationReport, console: Console) -> None:
    channels = report.channels
    table = Table(
        "day",
        *channels,
        "total",
        title=f"Touches sent per day and channel ({report.days} simulated days)",
    )
    day = report.start.date()
    for _ in range(report.days):
        counts = report.sent.get(day)
        if counts:
            table.add_row(
                f"{day:%a %Y-%m-%d}",
                *(str(counts.get(c, "")) for c in channels),
                str(sum(counts.values())),
            )
        day = day.fromordinal(day.toordinal() + 1)
    totals = report.by_channel()
    table.add_row("total", *(str(totals.get(c, 0)) for c in channels), str(sum(totals.values())))
    console.print(table)
    states = ", ".join(f"{s} {n}" for s, n in sorted(report.enrollments.items()))
    console.print(f"enrollments: {states or 'none'}; {report.ticks} ticks")
    if report.waiting_review:
        console.print(f"{report.waiting_review} touch(es) waiting in review")


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        ctx: typer.Context,
        once: bool = typer.Option(
            False, "--once", help="One tick, then exit (without it: loop like `worker`)."
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the tick report as JSON."),
    ) -> None:
        """Run the pipeline: ingest, decide, inbound, schedule, draft, release, deliver."""
        cli = state(ctx)
        if not once:
            _loop(cli)
            return
        report = _pipeline(cli).tick()
        if as_json:
            print_json(report.as_dict())
        else:
            print_tick(report, cli.out)

    @app.command()
    def worker(ctx: typer.Context) -> None:
        """Tick every SIGNALSEQ_WORKER_POLL_SECONDS; SIGTERM or Ctrl-C stops it cleanly
        after the item in hand."""
        _loop(state(ctx))

    @app.command("simulate")
    def simulate_cmd(
        ctx: typer.Context,
        days: int = typer.Option(21, "--days", min=1, max=366, help="Simulated days to run."),
        start: datetime | None = typer.Option(
            None, "--start", formats=DATETIME_FORMATS, help="Simulated start (UTC; default: now)."
        ),
        approve: bool = typer.Option(
            False,
            "--approve-reviews",
            help="Approve every touch that lands in review (a simulated reviewer).",
        ),
        outbox: Path | None = typer.Option(
            None,
            "--outbox",
            help="Where deliveries go (default: <workspace>/.signalseq/simulation).",
        ),
        do_tasks: bool = typer.Option(
            True,
            "--do-tasks/--leave-tasks",
            help="A simulated rep does call and LinkedIn tasks when due (default), or "
            "they stay open for `signalseq tasks`.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Run the pipeline's ticks on a simulated clock (writes to the configured
        database; deliveries go to a folder, never to a mail server)."""
        cli = state(ctx)
        report = _simulate(cli, days, start, approve, outbox, do_tasks)
        if as_json:
            print_json(report.as_dict())
        else:
            print_simulation(report, cli.out)


def _simulate(
    cli: CliState,
    days: int,
    start: datetime | None,
    approve: bool,
    outbox: Path | None,
    do_tasks: bool,
) -> SimulationReport:
    begin = ensure_utc(start) if start else cli.clock.now()
    with progress_bar("simulating", days * 24) as advance:
        last = [begin]

        def step(now: datetime) -> None:
            hours = int((now - last[0]).total_seconds() // 3600)
            if hours > 0:
                advance(hours)
                last[0] = now

        return simulate(
            cli.database,
            RulesWatcher(cli.settings.workspace_path),
            start=begin,
            days=days,
            outbox=outbox or cli.settings.state_dir / "simulation",
            approve_reviews=approve,
            batch=cli.settings.worker_batch,
            on_tick=step,
            drafter=drafter_from_settings(cli.settings),
            settings=cli.settings,
            complete_tasks=do_tasks,
        )


def _loop(cli: CliState) -> None:
    logging.basicConfig(level=cli.settings.log_level)
    pipeline = _pipeline(cli)
    stop = threading.Event()
    console = cli.err
    console.print(f"worker {pipeline.worker}: ticking every {cli.settings.worker_poll_seconds}s")
    with stop_on_signals(stop):
        ticks = run_worker(pipeline, cli.settings.worker_poll_seconds, stop)
    console.print(f"worker {pipeline.worker}: stopped after {ticks} tick(s)")

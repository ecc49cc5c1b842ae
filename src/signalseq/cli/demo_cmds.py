"""``demo``: run the product on the demo workspace and print what happened."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from signalseq.cli.context import print_json, state
from signalseq.cli.decision_cmds import print_decisions
from signalseq.cli.draft_cmds import print_draft
from signalseq.cli.pipeline_cmds import print_simulation
from signalseq.cli.report_cmds import print_holdouts, print_rules, print_sequences
from signalseq.cli.signal_cmds import print_ingest
from signalseq.demo.service import REVIEWER_DAYS, DemoReport, run_demo


def _print(report: DemoReport, cli_out: Console) -> None:
    cli_out.print(
        f"[bold]signalseq demo[/bold] — workspace {report.workspace}, store {report.database_url}"
    )
    imports = Table(
        "import", "rows", "created", "updated", "unchanged", "rejected", title="Imports"
    )
    for item in report.imports:
        imports.add_row(
            item.kind,
            str(item.rows),
            str(item.created),
            str(item.updated),
            str(item.unchanged),
            str(len(item.rejected)),
        )
    cli_out.print(imports)
    summary = Table("what", "count", title="Accounts and contacts")
    for name, value in report.totals.items():
        summary.add_row(name.replace("_", " "), str(value))
    for name, value in report.accounts_by_tier.items():
        summary.add_row(f"accounts, {name}", str(value))
    countries = ", ".join(f"{c} {n}" for c, n in report.accounts_by_country.items())
    summary.add_row("accounts by country", countries)
    for name, value in report.contacts_by_seniority.items():
        summary.add_row(f"contacts, {name}", str(value))
    cli_out.print(summary)
    print_ingest(report.ingest, cli_out)
    signals = Table(
        "signal kind",
        "stored",
        "matched",
        "needs review",
        "unmatched",
        title="Signals in the store",
    )
    for kind, statuses in sorted(report.signals.items()):
        signals.add_row(
            kind,
            str(sum(statuses.values())),
            str(statuses.get("matched", 0)),
            str(statuses.get("needs_review", 0)),
            str(statuses.get("unmatched", 0)),
        )
    cli_out.print(signals)
    if report.decisions is not None:
        print_decisions(report.decisions, cli_out)
    if report.simulation is not None:
        print_simulation(report.simulation, cli_out)
        cli_out.print(
            f"for {REVIEWER_DAYS} days a simulated reviewer approved what was in review "
            f"(except drafts that failed a guardrail); deliveries are in {report.outbox}"
        )
    for draft in report.drafts:
        cli_out.rule(f"sample draft: touch {draft['touch_id']}")
        print_draft(draft, cli_out)
    if report.drafts:
        cli_out.print(
            "more: `signalseq draft show TOUCH_ID`; the prompt behind it: "
            "`signalseq draft preview TOUCH_ID`"
        )
    if report.repetition is not None:
        r = report.repetition
        cli_out.print(
            f"drafts: {r.shared} of {r.sentences} sentences ({r.shared_share:.1%}) also appear in "
            "another contact's draft of the same step, names masked (target < 10%); claims "
            f"sent to the same person twice: {r.repeated_claims} of {r.people} people (target 0)"
        )
    _print_delivery(report, cli_out)
    if report.funnel is not None:
        print_rules(report.funnel, cli_out)
        print_sequences(report.funnel, cli_out)
        print_holdouts(report.funnel, cli_out)
        cli_out.print("the whole report: `.venv/bin/signalseq report` (`--json`, `--csv`)")
    _print_queue(report, cli_out)


def _print_delivery(report: DemoReport, cli_out: Console) -> None:
    inbound = Table(
        "sample",
        "read as",
        "effect",
        title="Inbound mail replayed on day 3 (connectors/samples/inbound)",
    )
    for row in report.inbound:
        inbound.add_row(row["file"], row["classification"], row["effect"])
    cli_out.print(inbound)
    for box in report.mailboxes:
        cli_out.print(
            f"mailbox {box['id']} ({box['transport']}): {box['sent_total']} sent; cap on the "
            f"last day {box['cap_today']} (warm-up)"
            + (f"; PAUSED: {box['paused']}" if box["paused"] else "")
            + (
                "; domain not checked: an outbox mailbox sends nothing (an SMTP one: "
                f"`signalseq mailbox check {box['id']}`)"
                if box["transport"] == "outbox"
                else ""
            )
        )
    movers = Table(
        "person", "was", "now", "address", "from", "emails to it", "to the old address",
        title="People who changed employer (emails counted from the outbox files' To:)",
    )  # fmt: skip
    for row in report.movers:
        movers.add_row(
            row["name"],
            row["before"],
            row["after"],
            row["address"] or f"none — task #{row['find_email_task']} to find one",
            f"{row['address_source']} ({row['address_confidence']:.2f})" if row["address"] else "",
            str(row["emails_to_address"]),
            str(row["emails_to_former_address"]),
        )
    cli_out.print(movers)
    tasks = ", ".join(f"{state} {count}" for state, count in sorted(report.tasks.items()))
    cli_out.print(
        f"tasks for people (calls, LinkedIn, replies): {tasks or 'none'} — "
        "`signalseq tasks list` or http://127.0.0.1:8000/tasks"
    )


def _print_queue(report: DemoReport, cli_out: Console) -> None:
    queue = Table("waiting because", "items", title="Review queue, left for you")
    for facet, count in sorted(report.queue.items()):
        if facet.startswith("reason:"):
            queue.add_row(facet.removeprefix("reason:"), str(count))
    queue.add_row("[bold]pending[/bold]", str(report.queue.get("all", 0)))
    cli_out.print(queue)
    cli_out.print(
        "on the same data: `.venv/bin/signalseq serve`, then the review queue at "
        "http://127.0.0.1:8000/queue and the dashboard at http://127.0.0.1:8000/dashboard"
    )
    if report.reviewer_password:
        cli_out.print(
            f"demo reviewer: user [bold]{report.reviewer}[/bold], password "
            f"[bold]{report.reviewer_password}[/bold] (shown once; reset it with "
            f"`signalseq user set-password {report.reviewer}`)"
        )
    else:
        cli_out.print(
            f"demo reviewer: user {report.reviewer} (its password was printed by the first "
            f"demo; reset it with `signalseq user set-password {report.reviewer}`)"
        )


def register(app: typer.Typer) -> None:
    @app.command()
    def demo(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Run the demo on the workspace's sample data (SQLite, offline drafter, outbox)."""
        cli = state(ctx)
        report = run_demo(cli.settings, cli.database, cli.clock)
        if as_json:
            print_json(report.as_dict())
        else:
            _print(report, cli.out)

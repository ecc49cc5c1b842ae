"""``report``: funnels per rule and per signal, sequences and steps with their outcomes,
holdouts against enrollment, and the review queue — as tables, JSON or CSV."""

from __future__ import annotations

import csv
import sys
from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from signalseq.cli.context import DATETIME_FORMATS, print_json, state
from signalseq.clock import ensure_utc
from signalseq.errors import UsageError
from signalseq.metrics.repository import Filters
from signalseq.metrics.service import Report, build_report


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def print_report(report: Report, console: Console) -> None:
    print_rules(report, console)
    print_signals(report, console)
    print_sequences(report, console)
    print_steps(report, console)
    print_holdouts(report, console)
    print_review(report, console)


def print_rules(report: Report, console: Console) -> None:
    rules = Table("rule", "signals", "matched", "enrolled", "held out", "skipped (top reasons)",
                  "replied", "positive", "meetings", "reply rate",
                  title="Funnel per trigger rule")  # fmt: skip
    for row in report.rules:
        skipped = sorted(row["skipped"].items(), key=lambda kv: -kv[1])
        rules.add_row(
            row["rule"], str(row["signals"]), str(row["matched"]), str(row["enrolled"]),
            str(row["held_out"]), ", ".join(f"{r} {n}" for r, n in skipped[:3]) or "–",
            str(row["replied"]), str(row["positive_replies"]), str(row["meetings"]),
            percent(row["reply_rate"]),
        )  # fmt: skip
    console.print(rules)


def print_signals(report: Report, console: Console) -> None:
    signals = Table("kind", "source", "signals", "enrolled", "held out", "skipped", "replied",
                    "meetings", title="By signal kind and source")  # fmt: skip
    for row in report.signals:
        signals.add_row(row["kind"], row["source"], str(row["signals"]), str(row["enrolled"]),
                        str(row["held_out"]), str(row["skipped"]), str(row["replied"]),
                        str(row["meetings"]))  # fmt: skip
    console.print(signals)


def print_sequences(report: Report, console: Console) -> None:
    sequences = Table("sequence", "enrolled", "sent", "replies", "positive", "meetings",
                      "bounces", "unsubs", "ooo", "reply rate", "h to 1st reply",
                      title="Sequences")  # fmt: skip
    for row in report.sequences:
        sent = ", ".join(f"{c} {n}" for c, n in sorted(row["sent"].items())) or "0"
        hours = row["median_hours_to_first_reply"]
        sequences.add_row(
            row["sequence"], str(row["enrolled"]), sent, str(row["replies"]),
            str(row["positive_replies"]), str(row["meetings"]), str(row["bounces"]),
            str(row["unsubscribes"]), str(row["out_of_office"]), percent(row["reply_rate"]),
            "–" if hours is None else f"{hours:.0f}",
        )  # fmt: skip
    console.print(sequences)


def print_steps(report: Report, console: Console) -> None:
    steps = Table("sequence/branch", "step", "channel", "prompt", "sent", "replies",
                  "positive", "meetings", "reply rate", title="Steps: which step produced the replies")  # fmt: skip
    for row in report.steps:
        steps.add_row(
            f"{row['sequence']}/{row['branch']}", row["step"], row["channel"] or "–",
            row["prompt"] or "–", str(row["sent"]), str(row["replies"]),
            str(row["positive_replies"]), str(row["meetings"]), percent(row["reply_rate"]),
        )  # fmt: skip
    console.print(steps)


def print_holdouts(report: Report, console: Console) -> None:
    if report.holdouts:
        holdouts = Table("rule", "enrolled (n)", "held out (n)", "reply: enrolled", "reply: held out",
                         "lift", "p", "meeting: enrolled", "meeting: held out",
                         title="Holdouts: enrolling vs not enrolling")  # fmt: skip
        for row in report.holdouts:
            holdouts.add_row(
                row["rule"], str(row["enrolled"]), str(row["held_out"]),
                percent(row["enrolled_reply_rate"]), percent(row["held_out_reply_rate"]),
                percent(row["reply_lift"]), "–" if row["reply_p_value"] is None else str(row["reply_p_value"]),
                percent(row["enrolled_meeting_rate"]), percent(row["held_out_meeting_rate"]),
            )  # fmt: skip
        console.print(holdouts)


def print_review(report: Report, console: Console) -> None:
    review = report.review
    table = Table("prompt", "items", "approved", "edited", "rejected", "pending",
                  "reject reasons", title="Review per prompt version")  # fmt: skip
    for row in review.get("by_prompt", []):
        reasons = ", ".join(f"{r} {n}" for r, n in row["reject_reasons"].items()) or "–"
        table.add_row(row["prompt"], str(row["items"]), str(row["approved"]), str(row["edited"]),
                      str(row["rejected"]), str(row["pending"]), reasons)  # fmt: skip
    console.print(table)
    minutes = review.get("median_minutes_to_approval")
    console.print(
        f"review: {review.get('items', 0)} item(s); median time from draft to approval "
        + ("–" if minutes is None else f"{minutes:.0f} min")
    )


def _write_csv(report: Report) -> None:
    writer = csv.writer(sys.stdout)
    writer.writerow(["section", "group", "metric", "value"])
    for row in report.long_rows():
        writer.writerow(["" if v is None else v for v in row])


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        ctx: typer.Context,
        since: datetime | None = typer.Option(
            None,
            "--since",
            formats=DATETIME_FORMATS,
            help="Only enrollments, decisions and review items from then on (UTC).",
        ),  # fmt: skip
        sequence: str | None = typer.Option(None, "--sequence", help="Only this sequence."),
        rule: str | None = typer.Option(None, "--rule", help="Only this trigger rule."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
        as_csv: bool = typer.Option(
            False, "--csv", help="Print every number as CSV: section, group, metric, value."
        ),
    ) -> None:
        """Funnels per rule and signal, sequences and steps, holdouts, review."""
        if as_json and as_csv:
            raise UsageError("give --json or --csv, not both")
        cli = state(ctx)
        filters = Filters(ensure_utc(since) if since else None, sequence, rule)
        with cli.database.unit_of_work(read_only=True) as session:
            report = build_report(session, filters, cli.clock.now())
        if as_json:
            print_json(report.as_dict())
        elif as_csv:
            _write_csv(report)
        else:
            print_report(report, cli.out)

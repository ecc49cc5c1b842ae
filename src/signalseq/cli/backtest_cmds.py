"""``backtest``: replay signals through rules, alone or compared with other rules."""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from signalseq.cli.context import DATETIME_FORMATS, progress_bar, state
from signalseq.clock import ensure_utc
from signalseq.decisions.backtest import compare, dumps, report, run_backtest
from signalseq.decisions.sources import load_rules_dir, load_rules_source
from signalseq.errors import UsageError
from signalseq.workspace.loader import load_workspace


def _counts(console: Console, title: str, counts: dict[str, int]) -> None:
    if not counts:
        return
    table = Table(title, "count")
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)


def _print_report(data: dict[str, Any], console: Console) -> None:
    console.print(
        f"rules {data['rules_version']}: {data['signals_replayed']} signals replayed, "
        f"{data['decisions']} decisions, {data['enrollments']} enrollments of "
        f"{data['distinct_contacts']} contacts at {data['distinct_accounts']} accounts"
    )
    for key, title in (
        ("by_rule", "rule"),
        ("by_sequence", "sequence"),
        ("by_branch", "sequence/branch"),
        ("by_week", "week"),
        ("skips", "skipped because"),
    ):
        _counts(console, title, data[key])
    top = data["top_accounts"]
    if top:
        _counts(console, "top accounts", {name: count for name, count in top})


def _print_diff(diff: dict[str, Any], console: Console) -> None:
    console.print(f"rules {diff['rules_version']} compared with {diff['compared_with']}")
    for key, title in (
        ("newly_enrolled", "Newly enrolled"),
        ("no_longer_enrolled", "No longer enrolled"),
        ("moved", "Moved to another rule, sequence or branch"),
    ):
        rows = diff[key]
        table = Table(
            "contact",
            "sequence/branch",
            "rule",
            "the other rules say",
            title=f"{title}: {len(rows)}",
        )
        for row in rows:
            where = f"{row['sequence']}/{row['branch']}" + (
                f" (was {row['before']})" if "before" in row else ""
            )
            table.add_row(str(row["email"]), where, str(row["rule"]), str(row["other_side"]))
        console.print(table)


CONTACT_COLUMNS = ("contact_id", "email", "account", "rule", "sequence", "branch", "signal_at")


def _print_contacts(rows: list[dict[str, Any]], console: Console) -> None:
    table = Table(*CONTACT_COLUMNS, title=f"Would be enrolled: {len(rows)}")
    for row in rows:
        table.add_row(*(str(row[c] or "") for c in CONTACT_COLUMNS))
    console.print(table)


def _write_csv(rows: list[dict[str, Any]]) -> None:
    writer = csv.DictWriter(sys.stdout, fieldnames=[*CONTACT_COLUMNS, "signal_id"])
    writer.writeheader()
    writer.writerows(rows)


def register(app: typer.Typer) -> None:
    @app.command()
    def backtest(
        ctx: typer.Context,
        rules: Path | None = typer.Option(
            None, "--rules", help="A rules folder (default: the workspace's)."
        ),
        since: datetime | None = typer.Option(
            None, "--since", formats=DATETIME_FORMATS, help="First signal time (UTC)."
        ),
        until: datetime | None = typer.Option(
            None, "--until", formats=DATETIME_FORMATS, help="Last signal time (UTC)."
        ),
        signals: Path | None = typer.Option(
            None, "--signals", help="Replay canonical signals from JSONL."
        ),
        compare_with: str | None = typer.Option(
            None,
            "--compare",
            help="Other rules: a rules folder or a git revision of the workspace.",
        ),
        as_json: bool = typer.Option(False, "--json", help="Print JSON (sorted, reproducible)."),
        as_csv: bool = typer.Option(
            False, "--csv", help="Print who would be enrolled as CSV (one row per contact)."
        ),
        show: str | None = typer.Option(
            None, "--show", help="`contacts`: also list who would be enrolled, as a table."
        ),
    ) -> None:
        """Replay stored signals (or a file) through rules on a simulated clock; writes nothing."""
        cli = state(ctx)
        if show not in (None, "contacts"):
            raise UsageError(f"--show {show}: the one listing is `contacts`")
        if as_csv and (as_json or compare_with):
            raise UsageError(
                "--csv lists the contacts of one backtest: not with --json or --compare"
            )
        root = cli.settings.workspace_path
        current = load_rules_dir(rules.resolve()) if rules else load_workspace(root)
        first = ensure_utc(since) if since else None
        last = ensure_utc(until) if until else None
        with progress_bar("backtest", None) as advance:
            result = run_backtest(
                cli.database,
                current,
                since=first,
                until=last,
                signals_file=signals,
                progress=advance,
                explain=bool(compare_with),
            )
            other = None
            if compare_with:
                other = run_backtest(
                    cli.database,
                    load_rules_source(root, compare_with),
                    since=first,
                    until=last,
                    signals_file=signals,
                )
        data = compare(result, other) if other else report(result)
        if as_json:
            sys.stdout.write(dumps(data) + "\n")
        elif as_csv:
            _write_csv(data["contacts"])
        elif other:
            _print_diff(data, cli.out)
        else:
            _print_report(data, cli.out)
            if show == "contacts":
                _print_contacts(data["contacts"], cli.out)

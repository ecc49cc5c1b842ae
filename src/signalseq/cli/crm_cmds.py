"""``import accounts|contacts``, ``accounts list``, ``contacts list``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from signalseq.cli.context import DATETIME_FORMATS, count_lines, print_json, progress_bar, state
from signalseq.crm import importer, repository
from signalseq.crm.importer import ImportReport
from signalseq.crm.schemas import account_dict, contact_dict
from signalseq.errors import NotFoundError, UsageError
from signalseq.people import employments

import_app = typer.Typer(
    help="Import accounts and contacts from CSV (ours, HubSpot, Salesforce).", no_args_is_help=True
)
accounts_app = typer.Typer(help="Accounts (companies).", no_args_is_help=True)
contacts_app = typer.Typer(help="Contacts (people).", no_args_is_help=True)

ImportFn = Callable[[Session, Path, datetime, Callable[[int], None] | None], ImportReport]


def _run_import(ctx: typer.Context, path: Path, run: ImportFn, as_json: bool, strict: bool) -> None:
    cli = state(ctx)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    with (
        cli.database.unit_of_work() as session,
        progress_bar(f"importing {path.name}", max(count_lines(path) - 1, 0)) as advance,
    ):
        report = run(session, path, cli.clock.now(), advance)
    if as_json:
        print_json(report.as_dict())
    else:
        cli.out.print(
            f"{report.kind} from {path}: {report.rows} rows — {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged, "
            f"{len(report.rejected)} rejected"
            + (f", {report.unlinked} not linked to an account" if report.unlinked else "")
            + (f", {report.stale} stale (the person moved on; kept)" if report.stale else "")
        )
        for problem in report.rejected:
            typer.echo(str(problem), err=True)
    if strict and report.rejected:
        raise typer.Exit(1)


@import_app.command("accounts")
def import_accounts(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="CSV file of companies."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 if any row was rejected."),
) -> None:
    """Upsert accounts by domain (or CRM id); bad rows go to the dead-letter table."""
    _run_import(ctx, path, importer.import_accounts, as_json, strict)


@import_app.command("contacts")
def import_contacts(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="CSV file of people."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 if any row was rejected."),
) -> None:
    """Upsert contacts by e-mail (or CRM id, LinkedIn URL) and link them to accounts."""
    _run_import(ctx, path, importer.import_contacts, as_json, strict)


@accounts_app.command("list")
def list_accounts(
    ctx: typer.Context,
    tier: int | None = typer.Option(None, "--tier", help="Only this tier."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List accounts."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        rows = [account_dict(a) for a in repository.list_accounts(session, tier=tier, limit=limit)]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "domain", "name", "tier", "industry", "country", "timezone", title=f"{len(rows)} accounts"
    )
    for row in rows:
        table.add_row(
            row["domain"] or "",
            row["name"],
            str(row["tier"] or ""),
            row["industry"] or "",
            row["country"] or "",
            row["timezone"] or "",
        )
    cli.out.print(table)


@accounts_app.command("facts")
def account_facts(
    ctx: typer.Context,
    domain: str = typer.Argument(..., help="The account's domain."),
    as_of: datetime | None = typer.Option(
        None,
        "--as-of",
        help="ISO time (UTC if no offset); default: now.",
        formats=DATETIME_FORMATS,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Show every account fact rules see — tier, industry, employees, … and the rolling
    signal counts — as of a moment."""
    from signalseq.clock import ensure_utc
    from signalseq.normalize.domains import normalize_domain
    from signalseq.rules.facts import account_facts as facts_for_rules
    from signalseq.signals.aggregates import AGGREGATE_FACTS, account_aggregates

    cli = state(ctx)
    moment = ensure_utc(as_of) if as_of else cli.clock.now()
    with cli.database.unit_of_work() as session:
        account = repository.account_by_domain(session, normalize_domain(domain) or domain)
        if account is None:
            raise NotFoundError(f"no account with domain {domain!r}")
        facts = account_aggregates(session, account.id, moment)
        static = {k: v for k, v in facts_for_rules(account, {}).items()}
    if as_json:
        print_json({"domain": account.domain, "as_of": moment.isoformat(), "facts": facts,
                    "account": static})  # fmt: skip
        return
    table = Table(
        "fact", "value", "meaning", title=f"{account.domain} as of {moment:%Y-%m-%d %H:%M} UTC"
    )
    for name, value in static.items():
        table.add_row(name, "—" if value is None else str(value), "from the CRM")
    for name, value in facts.items():
        table.add_row(
            f"account.{name}", "—" if value is None else str(value), AGGREGATE_FACTS[name]
        )
    cli.out.print(table)


@contacts_app.command("list")
def list_contacts(
    ctx: typer.Context,
    account: str | None = typer.Option(None, "--account", help="Only contacts at this domain."),
    seniority: str | None = typer.Option(None, "--seniority", help="c_level, vp, head, ..."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List contacts with their normalized seniority and department."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        rows = [
            contact_dict(c)
            for c in repository.list_contacts(
                session, account_domain=account, seniority=seniority, limit=limit
            )
        ]
    if as_json:
        print_json(rows)
        return
    table = Table(
        "email",
        "name",
        "title",
        "seniority",
        "department",
        "account",
        title=f"{len(rows)} contacts",
    )
    for row in rows:
        table.add_row(
            row["email"] or "",
            row["full_name"],
            row["title"] or "",
            row["seniority"],
            row["department"],
            row["account_domain"] or "",
        )
    cli.out.print(table)


@contacts_app.command("set-email")
def set_email(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., help="Contact id."),
    address: str = typer.Argument(..., help="The address to write to."),
    personal: bool = typer.Option(
        False, "--personal", help="The person gave it as their own (not at the employer)."
    ),
) -> None:
    """Set a contact's address (a mover's new work email); emails waiting for one go on."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        contact = employments.set_address(
            session, contact_id, address, personal=personal, now=cli.clock.now()
        )
        cli.out.print(f"contact #{contact.id}: {contact.email} ({contact.email_source})")


@contacts_app.command("history")
def contact_history(
    ctx: typer.Context,
    contact_id: int = typer.Argument(..., help="Contact id."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """A contact's employments: the current one and the ones before, with their addresses."""
    cli = state(ctx)
    with cli.database.unit_of_work(read_only=True) as session:
        rows = employments.history(session, contact_id)
    if as_json:
        print_json(rows)
        return
    table = Table("", "company", "title", "email", "source", "from", "until",
                  title=f"contact #{contact_id}: {len(rows)} employments")  # fmt: skip
    for row in rows:
        table.add_row(
            "now" if row["current"] else "",
            str(row["company"] or ""),
            str(row["title"] or ""),
            str(row["email"] or ""),
            str(row["email_source"] or ""),
            str(row["started_on"] or ""),
            str(row["ended_on"] or ""),
        )
    cli.out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
    app.add_typer(accounts_app, name="accounts")
    app.add_typer(contacts_app, name="contacts")

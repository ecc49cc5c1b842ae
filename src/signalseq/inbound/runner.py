"""Inbound mail as the CLI, the web app and the worker run it: from files, from IMAP,
then applied at once (a reply stops its enrollment now, not at the next tick)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from signalseq.clock import Clock
from signalseq.delivery.mailboxes import Mailbox, workspace_mailboxes
from signalseq.enrollments import engagement, service
from signalseq.enrollments.engagement import EngagementReport
from signalseq.inbound.imap import PollReport, poll_all
from signalseq.inbound.service import InboundSettings, Processed, process
from signalseq.rules.watcher import LoadedRules
from signalseq.settings import Settings
from signalseq.store.db import Database


def inbound_settings(settings: Settings, rules: LoadedRules) -> InboundSettings:
    config = rules.workspace.config
    own = frozenset(m.address.lower() for m in mailboxes(settings, rules))
    return InboundSettings(
        settings.resolved_secret_key, config.default_timezone, config.default_country, own
    )


def mailboxes(settings: Settings, rules: LoadedRules) -> list[Mailbox]:
    return workspace_mailboxes(rules.workspace, rules.prompts.sender, settings)


def apply_now(database: Database, rules: LoadedRules, now: datetime) -> EngagementReport:
    """Apply every recorded event not applied yet (what a tick does first)."""
    config = rules.workspace.config
    with database.unit_of_work() as session:
        calendars = service.Calendars(session, config.default_timezone, config.default_country)
        return engagement.apply_pending(
            session, rules.sequences, lambda contact: calendars.of(contact.id), now
        )


def import_files(
    database: Database, settings: Settings, rules: LoadedRules, clock: Clock, paths: list[Path]
) -> list[Processed]:
    """Each ``.eml`` file read like a message from a mailbox, each in its own unit of work."""
    options = inbound_settings(settings, rules)
    results = []
    for path in paths:
        with database.unit_of_work() as session:
            results.append(
                process(
                    session,
                    path.read_bytes(),
                    source=f"file:{path.name}",
                    settings=options,
                    now=clock.now(),
                )
            )
    apply_now(database, rules, clock.now())
    return results


def poll(
    database: Database, settings: Settings, rules: LoadedRules, clock: Clock
) -> list[PollReport]:
    reports = poll_all(
        database, mailboxes(settings, rules), inbound_settings(settings, rules), clock.now
    )
    apply_now(database, rules, clock.now())
    return reports

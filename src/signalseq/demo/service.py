"""``signalseq demo``: the whole product on the embedded defaults, stage by stage."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from signalseq.auth.models import User
from signalseq.auth.service import add_user
from signalseq.clock import Clock
from signalseq.crm import repository
from signalseq.crm.importer import ImportReport, import_accounts, import_contacts
from signalseq.crm.models import Contact
from signalseq.decisions.service import DecideReport, decide_pending
from signalseq.delivery.mailboxes import workspace_mailboxes
from signalseq.delivery.service import mailbox_rows
from signalseq.drafting import repetition
from signalseq.drafting.library import workspace_library
from signalseq.drafting.repetition import Repetition
from signalseq.drafting.service import drafter_from_settings, sample_drafts
from signalseq.enrollments.models import Enrollment, Touch
from signalseq.inbound.events import parse_event, record_pushed
from signalseq.inbound.runner import inbound_settings
from signalseq.inbound.service import process
from signalseq.metrics.repository import Filters
from signalseq.metrics.service import Report, build_report
from signalseq.people import employments
from signalseq.pipeline.simulate import SimulationReport, simulate
from signalseq.review import counts
from signalseq.rules.watcher import RulesWatcher
from signalseq.settings import Settings
from signalseq.signals.ingest import SourceReport
from signalseq.signals.models import Signal
from signalseq.signals.service import ingest
from signalseq.store.db import Database
from signalseq.tasks.models import Task
from signalseq.workspace.loader import load_workspace

SAMPLES = Path("connectors") / "samples"
DEMO_DAYS = 21
REVIEWER_DAYS = 17  # the simulated reviewer works these days; the rest waits for a person
DEMO_REVIEWER = "demo-reviewer"
INBOUND = SAMPLES / "inbound"
INBOUND_AFTER = timedelta(days=2, hours=12)  # the samples arrive mid-simulation


class InboundReplay:
    """Feeds the shipped inbound samples in once the simulated clock reaches ``at``, as
    if they had arrived in the mailbox then (their Date and return dates moved along)."""

    def __init__(self, database: Database, settings: Settings, root: Path, at: datetime):
        self.database, self.settings, self.root, self.at = database, settings, root, at
        self.results: list[dict[str, Any]] = []
        self.done = False

    def on_tick(self, now: datetime) -> None:
        if self.done or now < self.at:
            return
        self.done = True
        rules = RulesWatcher(self.root).current()
        options = inbound_settings(self.settings, rules)
        back = now + timedelta(days=7)
        for path in sorted((self.root / INBOUND).glob("*.eml")):
            raw = path.read_bytes()
            raw = re.sub(rb"(?m)^Date: .*$", f"Date: {format_datetime(now)}".encode(), raw, count=1)
            raw = raw.replace(b"%RETURN_DATE_DE%", f"{back:%d.%m.%Y}".encode())
            raw = raw.replace(b"%RETURN_DATE_SV%", f"{back.day} {SWEDISH[back.month]}".encode())
            with self.database.unit_of_work() as session:
                raw = re.sub(rb"%SENT_TO\(([^)]+)\)%", partial(_sent_to, session), raw)
                result = process(
                    session, raw, source=f"file:{path.name}", settings=options, now=now
                )
            self.results.append({"file": path.name, **result.as_dict()})
        for path in sorted((self.root / INBOUND).glob("*.json")):  # pushed by a webhook
            with self.database.unit_of_work() as session:
                event = record_pushed(session, parse_event(path.read_bytes()), "webhook", now)
                effect = f"{event.kind} recorded for contact #{event.contact_id}"
            self.results.append({"file": path.name, "classification": event.kind,
                                 "effect": effect, "message_id": "", "duplicate": False})  # fmt: skip


def _sent_to(session: Session, found: re.Match[bytes]) -> bytes:
    """The Message-ID of the last email sent to an address (a bounce returns its headers)."""
    message_id = session.scalar(
        select(Touch.message_id)
        .join(Enrollment, Enrollment.id == Touch.enrollment_id)
        .join(Contact, Contact.id == Enrollment.contact_id)
        .where(Contact.email == found.group(1).decode(), Touch.message_id.is_not(None))
        .order_by(Touch.id.desc())
        .limit(1)
    )
    return (message_id or "<none@signalseq.invalid>").encode()


SWEDISH = {1: "januari", 2: "februari", 3: "mars", 4: "april", 5: "maj", 6: "juni", 7: "juli",
           8: "augusti", 9: "september", 10: "oktober", 11: "november", 12: "december"}  # fmt: skip


@dataclass
class DemoReport:
    workspace: Path
    database_url: str
    outbox: Path
    imports: list[ImportReport] = field(default_factory=list)
    accounts_by_tier: dict[str, int] = field(default_factory=dict)
    accounts_by_country: dict[str, int] = field(default_factory=dict)
    contacts_by_seniority: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    ingest: list[SourceReport] = field(default_factory=list)
    signals: dict[str, dict[str, int]] = field(default_factory=dict)
    decisions: DecideReport | None = None
    simulation: SimulationReport | None = None
    drafts: list[dict[str, Any]] = field(default_factory=list)
    queue: dict[str, int] = field(default_factory=dict)  # pending items by reason
    reviewer: str = DEMO_REVIEWER
    reviewer_password: str | None = None  # only on the run that created the reviewer
    inbound: list[dict[str, Any]] = field(default_factory=list)  # the replayed samples
    mailboxes: list[dict[str, Any]] = field(default_factory=list)
    tasks: dict[str, int] = field(default_factory=dict)  # tasks by state
    funnel: Report | None = None
    # people who changed employer: the address used now, and the emails the outbox holds
    # for them, read from the files' To: headers (new address / a former employer's)
    movers: list[dict[str, Any]] = field(default_factory=list)
    repetition: Repetition | None = None  # how templated the drafts read

    def as_dict(self) -> dict[str, Any]:
        return {
            "workspace": str(self.workspace),
            "database": self.database_url,
            "imports": [r.as_dict() for r in self.imports],
            "totals": self.totals,
            "accounts_by_tier": self.accounts_by_tier,
            "accounts_by_country": self.accounts_by_country,
            "contacts_by_seniority": self.contacts_by_seniority,
            "ingest": [r.as_dict() for r in self.ingest],
            "signals": self.signals,
            "decisions": self.decisions.as_dict() if self.decisions else None,
            "simulation": self.simulation.as_dict() if self.simulation else None,
            "sample_drafts": self.drafts,
            "review_queue": self.queue,
            "reviewer": self.reviewer,
            "inbound": self.inbound,
            "mailboxes": self.mailboxes,
            "tasks": self.tasks,
            "report": self.funnel.as_dict() if self.funnel else None,
            "movers": self.movers,
            "drafting_repetition": self.repetition.as_dict() if self.repetition else None,
        }


def run_demo(settings: Settings, database: Database, clock: Clock) -> DemoReport:
    workspace = load_workspace(settings.workspace_path)
    samples = workspace.root / SAMPLES
    report = DemoReport(
        workspace.root,
        database.engine.url.render_as_string(hide_password=True),
        settings.resolved_outbox_dir,
    )
    with database.unit_of_work() as session:
        report.imports.append(import_accounts(session, samples / "accounts.csv", clock.now()))
        report.imports.append(import_contacts(session, samples / "contacts.csv", clock.now()))
    with database.unit_of_work() as session:
        accounts = repository.list_accounts(session)
        contacts = repository.list_contacts(session)
        report.accounts_by_tier = dict(
            sorted(Counter(f"tier {a.tier}" if a.tier else "no tier" for a in accounts).items())
        )
        report.accounts_by_country = dict(Counter(a.country or "?" for a in accounts).most_common())
        order = ["c_level", "vp", "head", "director", "manager", "individual"]
        seniority = Counter(c.seniority for c in contacts)
        report.contacts_by_seniority = {s: seniority[s] for s in order if seniority[s]}
        report.totals = repository.counts(session)
    report.ingest = ingest(database, workspace, clock)
    with database.unit_of_work() as session:
        for kind, status, count in session.execute(
            select(Signal.kind, Signal.match_status, func.count()).group_by(
                Signal.kind, Signal.match_status
            )
        ):
            report.signals.setdefault(kind, {})[status] = count
    report.decisions = decide_pending(database, workspace, clock)
    # the decided contacts go through their sequences: three simulated weeks, a simulated
    # reviewer approving what lands in review, deliveries into the outbox folder
    start = clock.now()
    replay = InboundReplay(database, settings, workspace.root, start + INBOUND_AFTER)
    report.simulation = simulate(
        database,
        RulesWatcher(workspace.root),
        start=start,
        days=DEMO_DAYS,
        outbox=settings.resolved_outbox_dir,
        approve_reviews=True,
        approve_until=start + timedelta(days=REVIEWER_DAYS),
        batch=settings.worker_batch,
        drafter=drafter_from_settings(settings),
        settings=settings,
        on_tick=replay.on_tick,
    )
    report.inbound = replay.results
    with database.unit_of_work() as session:
        report.mailboxes = mailbox_rows(
            session,
            workspace_mailboxes(workspace, workspace_library(workspace).sender, settings),
            workspace.config.default_timezone,
            start + timedelta(days=DEMO_DAYS),
        )
        report.tasks = dict(
            session.execute(select(Task.state, func.count()).group_by(Task.state)).all()
        )
    with database.unit_of_work(read_only=True) as session:
        report.funnel = build_report(session, Filters(), start + timedelta(days=DEMO_DAYS))
    with database.unit_of_work() as session:
        report.drafts = sample_drafts(session, 2)
        report.queue = counts.pending(session)
        report.reviewer_password = _demo_reviewer(session, start)
        report.movers = _movers(session, settings.resolved_outbox_dir)
        report.repetition = repetition.measure(session)
    return report


def _movers(session: Session, outbox: Path) -> list[dict[str, Any]]:
    """Each mover with the emails in the outbox addressed to them, by the raw To: header."""
    recipients: Counter[str] = Counter()
    for path in outbox.glob("*.eml"):
        with path.open("rb") as handle:
            head = handle.read(8192).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
        for line in head.splitlines():
            if line.lower().startswith(b"to:"):
                found = re.search(rb"<([^>]+)>", line) or re.search(rb"(\S+@\S+)", line)
                if found:
                    recipients[found.group(1).decode("ascii", "replace").lower()] += 1
    rows = employments.movers(session)
    for row in rows:
        row["emails_to_address"] = recipients.get(str(row["address"] or "").lower(), 0)
        row["emails_to_former_address"] = recipients.get(
            str(row["former_address"] or "").lower(), 0
        )
    return rows


def _demo_reviewer(session: Session, now: datetime) -> str | None:
    """Create the demo reviewer once; its password is returned (to print) only then."""
    if session.scalar(select(User.id).where(User.username == DEMO_REVIEWER)) is not None:
        return None
    password = secrets.token_urlsafe(12)
    add_user(session, DEMO_REVIEWER, password, "reviewer", now)
    return password

"""Replay signals through a rule set on a simulated clock, in isolation from live data:
nothing is written; the policy sees only the simulated enrollments. Same input and
rules give byte-identical output."""

from __future__ import annotations

import gc
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import String, case, null, select, type_coerce
from sqlalchemy.orm import Session, selectinload

from signalseq.clock import ensure_utc
from signalseq.crm.models import Account, Contact
from signalseq.decisions.evaluate import DecisionContext, Verdict, aggregates_used, decide_signal
from signalseq.decisions.history import MemoryHistory
from signalseq.decisions.service import workspace_rules
from signalseq.errors import UsageError
from signalseq.policy.models import SuppressionEntry
from signalseq.resolve.matcher import Resolver
from signalseq.rules.engine import RuleEngine
from signalseq.rules.facts import needs_attributes
from signalseq.signals.models import Signal
from signalseq.signals.schemas import SIGNAL_KINDS, SignalIn
from signalseq.signals.window import WindowAggregates
from signalseq.store.db import Database
from signalseq.workspace.loader import Workspace

LOOKBACK = timedelta(days=365)


@dataclass(slots=True)
class SignalView:
    id: int
    kind: str
    subtype: str | None
    source: str
    occurred_at: datetime
    confidence: float
    match_status: str
    account_match_score: float
    attributes: dict[str, Any]
    account_id: int | None
    contact_id: int | None
    actor_key: str | None


@dataclass
class BacktestResult:
    rules_version: str
    verdicts: list[Verdict] = field(default_factory=list)  # all of them, or only enrollments
    decisions: int = 0
    skips: Counter[str] = field(default_factory=Counter)
    when: dict[int, datetime] = field(default_factory=dict)
    replayed: int = 0
    domains: dict[int, str] = field(default_factory=dict)
    emails: dict[int, str] = field(default_factory=dict)
    rule_ids: tuple[str, ...] = ()  # every rule of the set, enrolling anyone or not

    def enrolled(self) -> dict[int, Verdict]:
        first: dict[int, Verdict] = {}
        for verdict in self.verdicts:
            if verdict.outcome == "enrolled" and verdict.contact_id is not None:
                first.setdefault(verdict.contact_id, verdict)
        return first


def _occurred_at(session: Session) -> Any:
    """``occurred_at`` as stored: on SQLite its text is parsed by ``_moment`` (much faster
    than the ORM's type conversion over millions of rows)."""
    if session.get_bind().dialect.name == "sqlite":
        return type_coerce(Signal.occurred_at, String)
    return Signal.occurred_at


def _moment(value: Any) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return ensure_utc(value)


def _time_window(
    query: Any, since: datetime | None, until: datetime | None, *, lookback: bool
) -> Any:
    if since is not None:
        query = (
            query.where(Signal.occurred_at > since - LOOKBACK)
            if lookback
            else query.where(Signal.occurred_at >= since)
        )
    if until is not None:
        query = query.where(Signal.occurred_at <= until)
    return query


def _stored_windows(
    session: Session, since: datetime | None, until: datetime | None
) -> WindowAggregates:
    """Pass one: the aggregate index from a few narrow columns (no JSON decoding), over
    the replay window and the year before it."""
    windows = WindowAggregates()
    columns = (
        Signal.account_id,
        Signal.kind,
        Signal.subtype,
        _occurred_at(session),
        Signal.actor_key,
    )
    query = _time_window(
        select(*columns).where(Signal.account_id.is_not(None)), since, until, lookback=True
    )
    # Core rows through the session's connection: the ORM path costs more than the reading
    rows = session.connection().execute(
        query.order_by(Signal.occurred_at).execution_options(yield_per=20000)
    )
    for account_id, kind, subtype, occurred_at, actor in rows:
        windows.add(account_id, kind, subtype, _moment(occurred_at), actor)
    return windows


def _stored_views(
    session: Session, since: datetime | None, until: datetime | None, attribute_kinds: set[str]
) -> Iterator[SignalView]:
    """Pass two: the signals to replay, streamed in time order. Attributes are decoded
    only for the kinds whose rules read them (a visit's category is its subtype)."""
    attributes = (
        type_coerce(
            case((Signal.kind.in_(sorted(attribute_kinds)), Signal.attributes)),
            Signal.attributes.type,
        )
        if attribute_kinds
        else type_coerce(null(), Signal.attributes.type)
    )
    query = select(
        Signal.id,
        Signal.kind,
        Signal.subtype,
        Signal.source,
        Signal.occurred_at,
        Signal.confidence,
        Signal.match_status,
        Signal.account_match_score,
        attributes,
        Signal.account_id,
        Signal.contact_id,
        Signal.actor_key,
    )
    query = _time_window(query, since, until, lookback=False).order_by(
        Signal.occurred_at, Signal.id
    )
    for row in session.connection().execute(query.execution_options(yield_per=5000)):
        view = SignalView(*row)
        view.occurred_at = _moment(view.occurred_at)
        yield view


def _file_views(session: Session, path: Path) -> Iterator[SignalView]:
    """Canonical signals from JSONL, resolved against the store's accounts (read-only)."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    resolver = Resolver(session)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if isinstance(record, dict):
                    record.setdefault("source", path.name)
                signal = SignalIn.model_validate(record)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{number} invalid JSON: {exc.msg}") from exc
            except ValidationError as exc:
                first = exc.errors()[0]
                raise UsageError(
                    f"{path}:{number} {'.'.join(map(str, first['loc']))}: {first['msg']}"
                ) from exc
            account, contact = resolver.resolve_signal(signal)
            yield SignalView(
                -number,
                signal.kind,
                signal.subtype,
                signal.source,
                signal.occurred_at,
                signal.confidence,
                account.status,
                account.score,
                signal.attributes,
                account.account_id,
                contact.contact_id,
                signal.actor_key,
            )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Freeze what is loaded (accounts, contacts, signal views): the cyclic collector then
    stops rescanning those millions of long-lived objects, yet still collects new garbage."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_backtest(
    database: Database,
    rules: Workspace,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    signals_file: Path | None = None,
    progress: Callable[[int], None] | None = None,
    explain: bool = True,
) -> BacktestResult:
    """``explain=False`` drops the traces of unmatched signals (a plain report needs none)."""
    ruleset, policy, _versions = workspace_rules(rules)
    engine = RuleEngine(ruleset)
    result = BacktestResult(ruleset.version, rule_ids=tuple(r.id for r in ruleset.rules))
    with database.unit_of_work() as session:
        accounts = {
            a.id: a
            for a in session.scalars(select(Account).options(selectinload(Account.contacts)))
        }
        loose = {
            c.id: c for c in session.scalars(select(Contact).where(Contact.account_id.is_(None)))
        }
        suppressed = {
            (s.kind, s.value): s.reason for s in session.scalars(select(SuppressionEntry))
        }
        history = MemoryHistory(suppressed)

        def record(verdict: Verdict, at: datetime) -> int | None:
            assert verdict.contact_id is not None and verdict.sequence_id
            history.add(verdict.contact_id, verdict.account_id, verdict.sequence_id, at)
            return None

        context = DecisionContext(ruleset, engine, policy, history, record, explain=explain)
        views: Iterable[SignalView]
        if signals_file:
            loaded = sorted(_file_views(session, signals_file), key=lambda v: (v.occurred_at, v.id))
            windows = WindowAggregates()
            for view in loaded:
                windows.add(
                    view.account_id, view.kind, view.subtype, view.occurred_at, view.actor_key
                )
            views = loaded
        else:
            windows = _stored_windows(session, since, until)
            attribute_kinds = {
                kind
                for kind in SIGNAL_KINDS
                if needs_attributes(kind, context.plan(kind).signal_facts.names)
            }
            views = _stored_views(session, since, until, attribute_kinds)
        wanted = {kind: aggregates_used(ruleset, kind) for kind in SIGNAL_KINDS}
        contacts_by_id = {c.id: c for a in accounts.values() for c in a.contacts} | loose
        with _collector_paused():
            for view in views:
                if (since is not None and view.occurred_at < since) or (
                    until is not None and view.occurred_at > until
                ):
                    continue
                account = accounts.get(view.account_id) if view.account_id else None

                def candidates(
                    account: Any = account, person_id: int | None = view.contact_id
                ) -> list[Any]:
                    people = list(account.contacts) if account else []
                    if person_id is not None and all(c.id != person_id for c in people):
                        person = contacts_by_id.get(person_id)
                        if person is not None:
                            people.append(person)
                    return people

                history.set_now(view.occurred_at)
                aggregates = (
                    windows.as_of(account.id, view.occurred_at, wanted[view.kind])
                    if account and wanted[view.kind]
                    else {}
                )
                verdicts = decide_signal(
                    context,
                    signal=view,
                    account=account,
                    contacts=candidates,
                    signal_contact_id=view.contact_id,
                    aggregates=aggregates,
                    as_of=view.occurred_at,
                )
                result.decisions += len(verdicts)
                for verdict in verdicts:
                    if verdict.outcome in ("skipped", "held_out"):
                        result.skips[verdict.reason] += 1
                # A report needs the enrollments only; a comparison needs every verdict.
                result.verdicts.extend(
                    verdicts if explain else [v for v in verdicts if v.outcome == "enrolled"]
                )
                if any(v.outcome == "enrolled" for v in verdicts):
                    result.when[view.id] = view.occurred_at
                result.replayed += 1
                if progress:
                    progress(1)
        result.domains = {a.id: a.domain or a.name for a in accounts.values()}
        result.emails = {c.id: c.email or c.full_name for c in contacts_by_id.values()}
    return result


def report(result: BacktestResult) -> dict[str, Any]:
    """The summary: enrollments per rule, sequence, branch and ISO week; distinct contacts
    and accounts; skips by reason; top accounts. Sorted, so output is reproducible."""
    enrolled = [v for v in result.verdicts if v.outcome == "enrolled"]
    weeks: Counter[str] = Counter()
    for verdict in enrolled:
        year, week, _ = result.when[verdict.signal_id].isocalendar()
        weeks[f"{year}-W{week:02d}"] += 1
    top: Counter[str] = Counter(
        result.domains.get(v.account_id, "?") for v in enrolled if v.account_id
    )
    by_branch: dict[str, int] = defaultdict(int)
    for verdict in enrolled:
        by_branch[f"{verdict.sequence_id}/{verdict.branch}"] += 1
    by_rule = dict.fromkeys(result.rule_ids, 0)  # a rule that enrolls nobody shows 0
    by_rule.update(Counter(v.rule_id for v in enrolled if v.rule_id))
    return {
        "rules_version": result.rules_version,
        "signals_replayed": result.replayed,
        "decisions": result.decisions,
        "enrollments": len(enrolled),
        "distinct_contacts": len({v.contact_id for v in enrolled}),
        "distinct_accounts": len({v.account_id for v in enrolled if v.account_id}),
        "by_rule": dict(sorted(by_rule.items())),
        "by_sequence": dict(
            sorted(Counter(v.sequence_id for v in enrolled if v.sequence_id).items())
        ),
        "by_branch": dict(sorted(by_branch.items())),
        "by_week": dict(sorted(weeks.items())),
        "skips": dict(sorted(result.skips.items())),
        "top_accounts": [
            [name, count] for name, count in sorted(top.items(), key=lambda i: (-i[1], i[0]))[:10]
        ],
        "contacts": would_enroll(result),
    }


def would_enroll(result: BacktestResult) -> list[dict[str, Any]]:
    """Who would be enrolled, once each (the first enrollment), by contact."""
    return [
        {
            "contact_id": contact_id,
            "email": result.emails.get(contact_id),
            "account": result.domains.get(v.account_id) if v.account_id else None,
            "rule": v.rule_id,
            "sequence": v.sequence_id,
            "branch": v.branch,
            "signal_id": v.signal_id,
            "signal_at": result.when[v.signal_id].isoformat()
            if v.signal_id in result.when
            else None,
        }
        for contact_id, v in sorted(result.enrolled().items())
    ]


def _why(verdict: Verdict | None) -> str:
    if verdict is None:
        return "no decision (signal not replayed)"
    if verdict.outcome == "enrolled":
        return f"enrolled by {verdict.rule_id}"
    if verdict.outcome == "held_out":
        return f"held out by {verdict.rule_id} (its holdout share)"
    failed = [c["condition"] for c in verdict.trace.get("conditions", []) if not c["passed"]]
    policy = [
        c["check"] + ": " + c["detail"] for c in verdict.trace.get("policy", []) if not c["passed"]
    ]
    detail = failed[0] if failed else (policy[0] if policy else "")
    rule = verdict.rule_id or verdict.trace.get("rule")
    return f"{verdict.reason}" + (
        f" ({rule}: {detail})" if detail else (f" ({rule})" if rule else "")
    )


def compare(current: BacktestResult, other: BacktestResult) -> dict[str, Any]:
    """Who would be newly enrolled, no longer enrolled, or moved — and why."""
    now, before = current.enrolled(), other.enrolled()
    other_by_key = {(v.signal_id, v.contact_id): v for v in other.verdicts}
    current_by_key = {(v.signal_id, v.contact_id): v for v in current.verdicts}

    def lookup(
        table: dict[tuple[int, int | None], Verdict], signal_id: int, contact_id: int
    ) -> Verdict | None:
        # a signal stopped before its contacts was decided once, for the account
        return table.get((signal_id, contact_id)) or table.get((signal_id, None))

    def entry(contact_id: int, verdict: Verdict, counterpart: Verdict | None) -> dict[str, Any]:
        return {
            "contact_id": contact_id,
            "email": current.emails.get(contact_id),
            "sequence": verdict.sequence_id,
            "branch": verdict.branch,
            "rule": verdict.rule_id,
            "signal_id": verdict.signal_id,
            "other_side": _why(counterpart),
        }

    added = [
        entry(c, v, lookup(other_by_key, v.signal_id, c))
        for c, v in sorted(now.items())
        if c not in before
    ]
    removed = [
        entry(c, v, lookup(current_by_key, v.signal_id, c))
        for c, v in sorted(before.items())
        if c not in now
    ]
    moved = [  # another rule counts: holdouts and reports are per rule
        {
            **entry(c, v, before[c]),
            "before": f"{before[c].sequence_id}/{before[c].branch} by {before[c].rule_id}",
        }
        for c, v in sorted(now.items())
        if c in before
        and (before[c].rule_id, before[c].sequence_id, before[c].branch)
        != (v.rule_id, v.sequence_id, v.branch)
    ]
    return {
        "rules_version": current.rules_version,
        "compared_with": other.rules_version,
        "newly_enrolled": added,
        "no_longer_enrolled": removed,
        "moved": moved,
    }


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str)

"""The report: funnels per trigger rule, by signal kind and source; sequences, steps
and prompt versions with their outcomes; holdouts against enrollment; the review queue.
Computed from the repository's cohort queries, so ``--since`` reads only its weeks."""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.metrics import repository as q
from signalseq.metrics.repository import Filters

EVENT_COLUMNS = {
    "replied": "replies",
    "meeting": "meetings",
    "bounced": "bounces",
    "unsubscribed": "unsubscribes",
    "out_of_office": "out_of_office",
}


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Report:
    filters: Filters
    generated_at: datetime
    rules: list[dict[str, Any]] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)
    sequences: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    holdouts: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        f = self.filters
        return {
            "generated_at": self.generated_at.isoformat(),
            "filters": {
                "since": f.since.isoformat() if f.since else None,
                "sequence": f.sequence,
                "rule": f.rule,
            },
            "rules": self.rules,
            "signals": self.signals,
            "sequences": self.sequences,
            "steps": self.steps,
            "holdouts": self.holdouts,
            "review": self.review,
        }

    def long_rows(self) -> list[tuple[str, str, str, Any]]:
        """Every number as (section, group, metric, value), for CSV."""
        rows: list[tuple[str, str, str, Any]] = []
        keys = {
            "rules": ("rule",),
            "signals": ("kind", "source"),
            "sequences": ("sequence",),
            "steps": ("sequence", "branch", "step", "prompt"),
            "holdouts": ("rule",),
        }
        for section, names in keys.items():
            for row in getattr(self, section):
                group = "/".join(str(row[n]) for n in names if row.get(n) is not None)
                for metric, value in row.items():
                    if metric in names:
                        continue
                    if isinstance(value, dict):
                        rows.extend((section, group, f"{metric}.{k}", v) for k, v in value.items())
                    else:
                        rows.append((section, group, metric, value))
        for metric, value in self.review.items():
            if isinstance(value, dict | list):
                continue
            rows.append(("review", "", metric, value))
        for prompt in self.review.get("by_prompt", []):
            for metric, value in prompt.items():
                if metric != "prompt" and not isinstance(value, dict):
                    rows.append(("review", prompt["prompt"], metric, value))
        return rows


def build_report(session: Session, filters: Filters, now: datetime) -> Report:
    report = Report(filters, now)
    report.rules = _rules(session, filters)
    report.signals = _signals(session, filters)
    report.sequences, report.steps = _sequences(session, filters)
    report.holdouts = _holdouts(session, filters)
    report.review = _review(session, filters, now)
    return report


def _rules(session: Session, f: Filters) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    signals = q.signals_by_rule(session, f)
    for rule, outcome, reason, _signals, decisions, contacts in q.decisions_by_rule(session, f):
        row = rows.setdefault(rule, {"rule": rule, "signals": signals.get(rule, 0),
                                     "matched": 0, "enrolled": 0,
                                     "held_out": 0, "skipped": {}, "replied": 0,
                                     "positive_replies": 0, "meetings": 0})  # fmt: skip
        row["matched"] += decisions
        if outcome in ("enrolled", "held_out"):
            row[outcome] += contacts
        else:
            row["skipped"][reason] = row["skipped"].get(reason, 0) + contacts
    for rule, kind, sentiment, enrollments in q.outcomes_by_rule(session, f):
        if rule not in rows:
            continue
        if kind == "replied":
            rows[rule]["replied"] += enrollments
            if sentiment == "positive":
                rows[rule]["positive_replies"] += enrollments
        else:
            rows[rule]["meetings"] += enrollments
    for row in rows.values():
        row["reply_rate"] = rate(row["replied"], row["enrolled"])
        row["meeting_rate"] = rate(row["meetings"], row["enrolled"])
    return sorted(rows.values(), key=lambda r: (-r["enrolled"], r["rule"]))


def _signals(session: Session, f: Filters) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    signals = q.signals_by_kind(session, f)
    for kind, source, outcome, _signals, decisions in q.decisions_by_signal(session, f):
        row = rows.setdefault((kind, source), {"kind": kind, "source": source,
                                               "signals": signals.get((kind, source), 0),
                                               "enrolled": 0, "held_out": 0, "skipped": 0,
                                               "replied": 0, "meetings": 0})  # fmt: skip
        row[outcome if outcome in ("enrolled", "held_out") else "skipped"] += decisions
    for kind, source, event, enrollments in q.outcomes_by_signal(session, f):
        if (kind, source) in rows:
            rows[(kind, source)]["replied" if event == "replied" else "meetings"] += enrollments
    return sorted(rows.values(), key=lambda r: (r["kind"], r["source"]))


def _sequences(session: Session, f: Filters) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sequences: dict[str, dict[str, Any]] = {}
    for sequence, _branch, state, count in q.enrollment_states(session, f):
        row = sequences.setdefault(sequence, {"sequence": sequence, "enrolled": 0, "states": {},
                                              "sent": {}, **dict.fromkeys(EVENT_COLUMNS.values(), 0),
                                              "positive_replies": 0})  # fmt: skip
        row["enrolled"] += count
        row["states"][state] = row["states"].get(state, 0) + count
    steps: dict[tuple[Any, ...], dict[str, Any]] = {}
    for sequence, branch, step, index, channel, prompt, version, sent in q.sent_by_step(session, f):
        key = (sequence, branch, step, prompt, version)
        row = steps.setdefault(key, _step_row(sequence, branch, step, prompt, version))
        row["index"], row["channel"] = index, channel
        row["sent"] += sent
        if sequence in sequences:
            by_channel = sequences[sequence]["sent"]
            by_channel[channel] = by_channel.get(channel, 0) + sent
    for sequence, branch, step, prompt, version, kind, sentiment, contacts in q.events_by_step(
        session, f
    ):
        row = steps.setdefault(
            (sequence, branch, step, prompt, version),
            _step_row(sequence, branch, step, prompt, version),
        )
        column = EVENT_COLUMNS[kind]
        row[column] += contacts
        if sequence in sequences:
            sequences[sequence][column] += contacts
        if kind == "replied" and sentiment == "positive":
            row["positive_replies"] += contacts
            if sequence in sequences:
                sequences[sequence]["positive_replies"] += contacts
    delays: dict[str, list[float]] = defaultdict(list)
    for sequence, enrolled_at, first in q.first_replies(session, f):
        hours = (ensure_utc(first) - ensure_utc(enrolled_at)).total_seconds() / 3600
        delays[sequence].append(hours)
    for sequence, row in sequences.items():
        row["reply_rate"] = rate(row["replies"], row["enrolled"])
        row["positive_rate"] = rate(row["positive_replies"], row["enrolled"])
        row["meeting_rate"] = rate(row["meetings"], row["enrolled"])
        found = delays.get(sequence)
        row["median_hours_to_first_reply"] = round(statistics.median(found), 1) if found else None
    for row in steps.values():
        row["reply_rate"] = rate(row["replies"], row["sent"])
    ordered = sorted(steps.values(), key=lambda r: (r["sequence"], r["branch"], r["index"],
                                                    r["prompt"] or ""))  # fmt: skip
    return sorted(sequences.values(), key=lambda r: r["sequence"]), ordered


def _step_row(
    sequence: str, branch: str, step: str, prompt: str | None, version: int | None
) -> dict[str, Any]:
    return {
        "sequence": sequence, "branch": branch, "step": step, "index": 0, "channel": None,
        "prompt": f"{prompt}@v{version}" if prompt else None, "sent": 0,
        **dict.fromkeys(EVENT_COLUMNS.values(), 0), "positive_replies": 0,
    }  # fmt: skip


def _holdouts(session: Session, f: Filters) -> list[dict[str, Any]]:
    arms: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for rule, outcome, contacts, replied, met in q.holdout_arms(session, f):
        arms[rule][outcome] = (contacts, replied, met)
    rows = []
    for rule, by_arm in sorted(arms.items()):
        enrolled = by_arm.get("enrolled", (0, 0, 0))
        held = by_arm.get("held_out", (0, 0, 0))
        row: dict[str, Any] = {
            "rule": rule,
            "enrolled": enrolled[0],
            "held_out": held[0],
            "enrolled_reply_rate": rate(enrolled[1], enrolled[0]),
            "held_out_reply_rate": rate(held[1], held[0]),
            "enrolled_meeting_rate": rate(enrolled[2], enrolled[0]),
            "held_out_meeting_rate": rate(held[2], held[0]),
        }
        row["reply_lift"] = _difference(row["enrolled_reply_rate"], row["held_out_reply_rate"])
        row["meeting_lift"] = _difference(
            row["enrolled_meeting_rate"], row["held_out_meeting_rate"]
        )
        row["reply_p_value"] = _two_proportion_p(enrolled[1], enrolled[0], held[1], held[0])
        rows.append(row)
    return rows


def _difference(a: float | None, b: float | None) -> float | None:
    return round(a - b, 4) if a is not None and b is not None else None


def _two_proportion_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """Two-sided p-value of a two-proportion z-test; None when a sample is empty or
    nothing varies (too few to say)."""
    if not n1 or not n2:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return None
    z = (x1 / n1 - x2 / n2) / spread
    return round(math.erfc(abs(z) / math.sqrt(2)), 4)


def _review(session: Session, f: Filters, now: datetime) -> dict[str, Any]:
    items = q.review_items(session, f)
    by_prompt: dict[str, dict[str, Any]] = {}
    minutes: list[float] = []
    reasons: Counter[str] = Counter()
    for prompt, version, state, resolution, reject_reason, created, decided in items:
        name = f"{prompt}@v{version}" if prompt else "(no draft)"
        row = by_prompt.setdefault(name, {"prompt": name, "items": 0, "approved": 0, "edited": 0,
                                          "rejected": 0, "pending": 0, "cancelled": 0,
                                          "reject_reasons": {}})  # fmt: skip
        row["items"] += 1
        outcome = "edited" if resolution == "edited" or state == "edited" else state
        row[outcome if outcome in row else "pending"] += 1
        if state == "rejected" and reject_reason:
            row["reject_reasons"][reject_reason] = row["reject_reasons"].get(reject_reason, 0) + 1
            reasons[reject_reason] += 1
        if decided is not None and state in ("approved", "edited"):
            minutes.append((ensure_utc(decided) - ensure_utc(created)).total_seconds() / 60)
    for row in by_prompt.values():
        decided = row["approved"] + row["edited"] + row["rejected"]
        row["approval_rate"] = rate(row["approved"], decided)
        row["edit_rate"] = rate(row["edited"], decided)
        row["reject_rate"] = rate(row["rejected"], decided)
    return {
        "items": len(items),
        "median_minutes_to_approval": round(statistics.median(minutes), 1) if minutes else None,
        "reject_reasons": dict(reasons.most_common()),
        "by_prompt": sorted(by_prompt.values(), key=lambda r: -r["items"]),
        "queue_by_day": _queue_by_day(items, f, now),
    }


def _queue_by_day(items: list[Any], f: Filters, now: datetime) -> list[dict[str, Any]]:
    """Items waiting at the end of each day (UTC), from the window's start to today: one
    pass over the items (+1 on the day created, -1 on the day decided), then a running
    sum over the days."""
    if not items:
        return []
    changes: Counter[date] = Counter()
    for row in items:
        created = ensure_utc(row[5]).date()
        changes[created] += 1
        if row[6] is not None:  # never decided before it was created: the count stays >= 0
            changes[max(created, ensure_utc(row[6]).date())] -= 1
    first = ensure_utc(min(row[5] for row in items)).date()
    start = max(first, (f.since or now - timedelta(days=30)).date())
    waiting = sum(n for day, n in changes.items() if day < start)
    days: list[dict[str, Any]] = []
    day = start
    while day <= now.date() and len(days) < 120:
        waiting += changes.get(day, 0)
        days.append({"day": day.isoformat(), "pending": waiting})
        day += timedelta(days=1)
    return days

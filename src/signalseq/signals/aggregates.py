"""Per-account rolling counts **as of** a moment, computed from stored signals.

Rules read these as facts. Computing them as of the signal's own time (never "now")
is what makes a backtest give the same answer as the live run did.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from signalseq.clock import ensure_utc
from signalseq.signals.models import Signal

AGGREGATE_FACTS: dict[str, str] = {
    "visits_7d": "website visits in the last 7 days (careers pages excluded)",
    "pricing_visits_7d": "pricing-page visits in the last 7 days",
    "demo_visits_7d": "demo / contact-sales page visits in the last 7 days",
    "careers_visits_7d": "careers-page visits in the last 7 days (a sign against intent)",
    "distinct_visitors_14d": "distinct visitors in the last 14 days",
    "days_since_last_visit": "whole days since the last visit (none: no visit in 365 days)",
    "funding_rounds_365d": "funding signals in the last 365 days",
    "job_changes_90d": "job-change signals in the last 90 days",
}


def account_aggregates(session: Session, account_id: int | None, as_of: datetime) -> dict[str, Any]:
    """Every aggregate for one account at ``as_of`` (signals at or before it only)."""
    if account_id is None:
        return {name: (None if name == "days_since_last_visit" else 0) for name in AGGREGATE_FACTS}
    as_of = ensure_utc(as_of)
    since = {days: as_of - timedelta(days=days) for days in (7, 14, 90, 365)}
    visit = Signal.kind == "website_visit"

    def count(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    row = session.execute(
        select(
            count(visit, Signal.occurred_at > since[7], Signal.subtype != "careers"),
            count(visit, Signal.occurred_at > since[7], Signal.subtype == "pricing"),
            count(visit, Signal.occurred_at > since[7], Signal.subtype == "demo"),
            count(visit, Signal.occurred_at > since[7], Signal.subtype == "careers"),
            func.count(
                distinct(case((and_(visit, Signal.occurred_at > since[14]), Signal.actor_key)))
            ),
            func.max(case((visit, Signal.occurred_at))),
            count(Signal.kind == "funding"),
            count(Signal.kind == "job_change", Signal.occurred_at > since[90]),
        ).where(
            Signal.account_id == account_id,
            Signal.occurred_at <= as_of,
            Signal.occurred_at > since[365],
        )
    ).one()
    last_visit = (
        ensure_utc(row[5])
        if isinstance(row[5], datetime)
        else (ensure_utc(datetime.fromisoformat(row[5])) if row[5] else None)
    )
    return {
        "visits_7d": int(row[0]),
        "pricing_visits_7d": int(row[1]),
        "demo_visits_7d": int(row[2]),
        "careers_visits_7d": int(row[3]),
        "distinct_visitors_14d": int(row[4]),
        "days_since_last_visit": (as_of - last_visit).days if last_visit else None,
        "funding_rounds_365d": int(row[6]),
        "job_changes_90d": int(row[7]),
    }

"""The as-of aggregates computed in memory, for backtests over many signals.

Same windows and semantics as ``signals.aggregates`` (counted: after ``as_of - N days``,
at or before ``as_of``); a test holds the two to the same answers.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any


class _Series:
    __slots__ = ("actors", "times")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.actors: list[str | None] = []

    def add(self, at: datetime, actor: str | None) -> None:
        if self.times and at < self.times[-1]:
            index = bisect.bisect_right(self.times, at)
            self.times.insert(index, at)
            self.actors.insert(index, actor)
        else:
            self.times.append(at)
            self.actors.append(actor)

    def span(self, start: datetime, end: datetime) -> tuple[int, int]:
        return bisect.bisect_right(self.times, start), bisect.bisect_right(self.times, end)

    def count(self, start: datetime, end: datetime) -> int:
        low, high = self.span(start, end)
        return high - low


class WindowAggregates:
    def __init__(self) -> None:
        self.series: dict[tuple[int, str], _Series] = defaultdict(_Series)

    def add(
        self,
        account_id: int | None,
        kind: str,
        subtype: str | None,
        at: datetime,
        actor: str | None,
    ) -> None:
        if account_id is None:
            return
        if kind == "website_visit":
            self.series[(account_id, "visit")].add(at, actor)
            if subtype in ("pricing", "demo", "careers"):
                self.series[(account_id, subtype)].add(at, actor)
        elif kind in ("funding", "job_change"):
            self.series[(account_id, kind)].add(at, actor)

    def as_of(self, account_id: int, at: datetime) -> dict[str, Any]:
        def series(name: str) -> _Series:
            return self.series.get((account_id, name)) or _Series()

        visits = series("visit")
        days = {n: at - timedelta(days=n) for n in (7, 14, 90, 365)}
        low, high = visits.span(days[14], at)
        actors = {a for a in visits.actors[low:high] if a is not None}
        last_index = bisect.bisect_right(visits.times, at) - 1
        last = visits.times[last_index] if last_index >= 0 else None
        return {
            "visits_7d": visits.count(days[7], at) - series("careers").count(days[7], at),
            "pricing_visits_7d": series("pricing").count(days[7], at),
            "demo_visits_7d": series("demo").count(days[7], at),
            "careers_visits_7d": series("careers").count(days[7], at),
            "distinct_visitors_14d": len(actors),
            "days_since_last_visit": (at - last).days if last and last > days[365] else None,
            "funding_rounds_365d": series("funding").count(days[365], at),
            "job_changes_90d": series("job_change").count(days[90], at),
        }

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

    def as_of(
        self, account_id: int, at: datetime, names: frozenset[str] | None = None
    ) -> dict[str, Any]:
        """The aggregates at ``at``; only ``names`` when given (the ones rules use)."""

        def series(name: str) -> _Series:
            return self.series.get((account_id, name)) or _Series()

        def wanted(name: str) -> bool:
            return names is None or name in names

        days = {n: at - timedelta(days=n) for n in (7, 14, 90, 365)}
        result: dict[str, Any] = {}
        if wanted("visits_7d"):
            result["visits_7d"] = series("visit").count(days[7], at) - series("careers").count(
                days[7], at
            )
        for name in ("pricing", "demo", "careers"):
            if wanted(f"{name}_visits_7d"):
                result[f"{name}_visits_7d"] = series(name).count(days[7], at)
        if wanted("distinct_visitors_14d"):
            visits = series("visit")
            low, high = visits.span(days[14], at)
            result["distinct_visitors_14d"] = len(
                {a for a in visits.actors[low:high] if a is not None}
            )
        if wanted("days_since_last_visit"):
            visits = series("visit")
            index = bisect.bisect_right(visits.times, at) - 1
            last = visits.times[index] if index >= 0 else None
            result["days_since_last_visit"] = (
                (at - last).days if last and last > days[365] else None
            )
        if wanted("funding_rounds_365d"):
            result["funding_rounds_365d"] = series("funding").count(days[365], at)
        if wanted("job_changes_90d"):
            result["job_changes_90d"] = series("job_change").count(days[90], at)
        return result

"""When a touch is due: business days, public holidays, send windows, time zones.

Everything is computed in the contact's time zone (contact, else account, else the
workspace default): business days skip weekends and the public holidays of the
contact's country; a touch lands inside a send window, never in one that has already
passed; a seeded jitter spreads a batch over the window so it does not go out on the
same second. DST is handled by zoneinfo: window bounds are local wall-clock times.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from signalseq.errors import ConfigError

MAX_JITTER = timedelta(minutes=45)
_SEARCH_DAYS = 400


# Where a country's holidays differ by region and no region is known, the calendar of
# the region most business contacts are in (GB without a region has no Easter Monday).
DEFAULT_SUBDIVISIONS = {"GB": "ENG"}


@lru_cache(maxsize=256)
def _holidays(country: str | None, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    try:
        return frozenset(
            holidays.country_holidays(country, subdiv=DEFAULT_SUBDIVISIONS.get(country), years=year)
        )
    except NotImplementedError:
        return frozenset()  # a country the library does not know: weekends only


class BusinessCalendar:
    def __init__(self, timezone: str, country: str | None = None):
        try:
            self.zone = ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"unknown time zone {timezone!r}") from exc
        self.timezone = timezone
        self.country = country

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _holidays(self.country, day.year)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def add_business_days(self, day: date, count: int) -> date:
        """``count`` business days after ``day``; 0 is ``day`` itself if it is one,
        else the next business day."""
        current = day
        while not self.is_business_day(current):
            current += timedelta(days=1)
        for _ in range(count):
            current += timedelta(days=1)
            while not self.is_business_day(current):
                current += timedelta(days=1)
        return current

    def next_slot(
        self, earliest: datetime, windows: list[tuple[time, time]], seed: str
    ) -> datetime:
        """The first moment at or after ``earliest`` on a business day inside a window,
        plus a jitter drawn from ``seed`` (the same seed gives the same moment), in UTC."""
        if earliest.tzinfo is None:
            raise ValueError("earliest must be timezone-aware")
        local = earliest.astimezone(self.zone)
        day = local.date()
        ordered = sorted(windows)
        for _ in range(_SEARCH_DAYS):
            if self.is_business_day(day):
                for start, end in ordered:
                    opens = datetime.combine(day, start, self.zone)
                    closes = datetime.combine(day, end, self.zone)
                    if closes.astimezone(UTC) <= local.astimezone(UTC):
                        continue  # this window has passed
                    begin = max(opens.astimezone(UTC), local.astimezone(UTC))
                    room = closes.astimezone(UTC) - begin
                    spread = min(room - timedelta(seconds=1), MAX_JITTER)
                    return begin + _jitter(seed, spread)
            day += timedelta(days=1)
        raise ConfigError(
            f"no business day with a send window in {_SEARCH_DAYS} days ({self.timezone})"
        )

    def window_close(self, moment: datetime, windows: list[tuple[time, time]]) -> datetime:
        """When the send window holding ``moment`` closes (or, if ``moment`` is outside
        every window, the next one to open after it), in UTC: past it, a touch due at
        ``moment`` is late."""
        slot = self.next_slot(moment, windows, seed="")  # its jitter stays inside the window
        local = slot.astimezone(self.zone)
        for start, end in sorted(windows):
            if start <= local.time() < end:
                return datetime.combine(local.date(), end, self.zone).astimezone(UTC)
        return slot  # unreachable for a slot inside a window

    def due(
        self, anchor: datetime, business_days: int, windows: list[tuple[time, time]], seed: str
    ) -> datetime:
        """Due ``business_days`` after ``anchor`` (enrollment or the previous touch)."""
        local_anchor = anchor.astimezone(self.zone)
        target = self.add_business_days(local_anchor.date(), business_days)
        if target == local_anchor.date():
            earliest = anchor
        else:
            earliest = datetime.combine(target, time(0, 0), self.zone)
        return self.next_slot(earliest, windows, seed)


def _jitter(seed: str, spread: timedelta) -> timedelta:
    if spread <= timedelta(0):
        return timedelta(0)
    digest = hashlib.sha256(seed.encode()).digest()
    rng = random.Random(int.from_bytes(digest[:8], "big"))
    return timedelta(seconds=rng.uniform(0, spread.total_seconds()))

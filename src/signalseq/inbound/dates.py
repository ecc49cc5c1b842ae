"""The return date an out-of-office message states.

Dates written with month names, weekdays or relative words are read by ``dateparser``
in the languages we classify, anchored on the message's own date; numeric dates
(05/07/2010, 5.7., 2010-07-05) are read here in both day/month orders and the reading
nearest after the message wins (a return date is soon). A range counts by its end
("10–31 July" → 31 July). The latest date stated within 180 days after the message is
the day the person is back ("away from 2 to 10 December, back on the 11th" → 11th).
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, time, timedelta

LANGUAGES = ["en", "de", "fr", "es", "pt", "nl", "it", "pl", "sv", "da", "nb", "fi"]
WINDOW = timedelta(days=180)
TEXT_LIMIT = 3000  # characters read: an out-of-office note states its dates early

ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
NUMERIC = re.compile(r"(?<![\d./-])(\d{1,2})([./-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d/-]|\.\d)")
# "10-31", "10 – 31", "2 bis 10": keep the end of a day range
DAY_RANGE = re.compile(
    r"(?<![\d./-])(\d{1,2})(?:\.|st|nd|rd|th)?\s*(?:[-–—]|\bto\b|\bbis\b|\bau\b|\bal\b|\btot\b)"
    r"\s*(\d{1,2})(?![\d/-])",
    re.IGNORECASE,
)
TIME_ONLY = re.compile(r"^\W*(?:on\s+)?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\W*$")


def _year(text: str | None, sent: date) -> list[int]:
    if not text:
        return [sent.year, sent.year + 1]
    value = int(text)
    return [value + 2000 if value < 100 else value]


def _numeric(text: str, sent: date) -> list[date]:
    """Numeric dates, each read the way that lands soonest after the message."""
    found: list[date] = []
    for year, month, day in ISO.findall(text):
        with contextlib.suppress(ValueError):
            found.append(date(int(year), int(month), int(day)))
    for first, separator, second, year in NUMERIC.findall(ISO.sub(" ", text)):
        if separator == "-" and not year:
            continue  # "10-31" is a range, not a date
        orders = [(int(first), int(second))]  # day, month
        if separator != ".":  # "." is always day.month; "/" may be month/day
            orders.append((int(second), int(first)))
        readings = []
        for day, month in orders:
            for candidate in _year(year, sent):
                try:
                    readings.append(date(candidate, month, day))
                except ValueError:
                    continue
        upcoming = [d for d in readings if sent <= d <= sent + WINDOW]
        if upcoming:
            found.append(min(upcoming))
    return found


def _worded(text: str, sent: date) -> list[date]:
    """Dates with words in them ("5th Jan", "31. Juli", "lundi 14 décembre")."""
    from dateparser.search import search_dates  # heavy: loaded when an auto-reply needs it

    try:
        matches = search_dates(
            text,
            languages=LANGUAGES,
            settings={
                "RELATIVE_BASE": datetime.combine(sent, time(12, 0)),
                "PREFER_DATES_FROM": "future",
                "DATE_ORDER": "DMY",
            },
        )
    except (ValueError, OverflowError, RecursionError):
        return []
    found = []
    for span, moment in matches or []:
        if not re.search(r"\d", span) or not re.search(r"[^\W\d_]{3,}", span):
            continue  # numbers alone are read above; words alone are too loose
        if TIME_ONLY.match(span):
            continue
        found.append(moment.date())
    return found


def return_date(text: str, sent: date) -> date | None:
    """The latest date stated within 180 days after ``sent``; None when none is."""
    text = DAY_RANGE.sub(lambda m: m.group(2), text[:TEXT_LIMIT])
    candidates = _numeric(text, sent) + _worded(text, sent)
    upcoming = [d for d in candidates if sent <= d <= sent + WINDOW]
    return max(upcoming) if upcoming else None

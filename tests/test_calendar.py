"""Due times in the contact's zone: business days, holidays, windows, DST, jitter."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from signalseq.sequences.calendar import MAX_JITTER, BusinessCalendar

WINDOWS = [(time(9, 0), time(11, 0)), (time(13, 0), time(15, 0))]


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone))


def slot(zone: str, country: str, moment: datetime, seed: str = "t1") -> datetime:
    return (
        BusinessCalendar(zone, country).next_slot(moment, WINDOWS, seed).astimezone(ZoneInfo(zone))
    )


@pytest.mark.parametrize(
    ("zone", "country", "after", "expected_day", "why"),
    [
        (
            "America/New_York",
            "US",
            (2026, 11, 20, 16, 0),
            (2026, 11, 23),
            "Friday after the windows → Monday",
        ),
        (
            "America/New_York",
            "US",
            (2026, 11, 25, 16, 0),
            (2026, 11, 27),
            "Thanksgiving Thursday is skipped",
        ),
        ("Europe/London", "GB", (2026, 4, 2, 16, 0), (2026, 4, 7), "Good Friday and Easter Monday"),
        (
            "Europe/Berlin",
            "DE",
            (2026, 12, 24, 16, 0),
            (2026, 12, 28),
            "Christmas Day, Boxing Day, a weekend",
        ),
        ("Asia/Kolkata", "IN", (2026, 1, 23, 18, 0), (2026, 1, 27), "Republic Day Monday"),
        (
            "Asia/Tokyo",
            "JP",
            (2026, 5, 1, 18, 0),
            (2026, 5, 7),
            "Golden Week: 4, 5 and the substitute 6 May",
        ),
    ],
)
def test_holidays_and_weekends_are_skipped(zone, country, after, expected_day, why):
    due = slot(zone, country, local(zone, *after))
    assert due.date() == datetime(*expected_day).date(), why
    assert time(9, 0) <= due.time() < time(9, 0).replace(minute=45), "early in the first window"


def test_a_window_that_has_passed_today_moves_to_the_next_one():
    due = slot("Europe/London", "GB", local("Europe/London", 2026, 11, 24, 11, 30))
    assert due.date().day == 24 and time(13, 0) <= due.time() < time(15, 0)


def test_inside_a_window_the_jitter_stays_inside_it():
    moment = local("Europe/London", 2026, 11, 24, 10, 50)
    for seed in ("a", "b", "c", "d", "e"):
        due = slot("Europe/London", "GB", moment, seed)
        assert moment <= due < local("Europe/London", 2026, 11, 24, 11, 0)


def test_jitter_is_seeded_and_spreads_a_batch():
    moment = local("America/New_York", 2026, 11, 24, 8, 0)
    same = {slot("America/New_York", "US", moment, "enrollment-7/opener") for _ in range(3)}
    assert len(same) == 1, "the same seed gives the same moment"
    spread = {slot("America/New_York", "US", moment, f"enrollment-{n}/opener") for n in range(20)}
    assert len(spread) == 20, "a batch does not go out on the same second"
    assert max(spread) - min(spread) <= MAX_JITTER


def test_dst_keeps_local_wall_clock_times():
    before = slot("America/New_York", "US", local("America/New_York", 2026, 3, 6, 16, 0))
    after = slot("America/New_York", "US", local("America/New_York", 2026, 3, 9, 8, 0))
    assert before.date().day == 9, "Friday after windows → Monday 9 March (clocks moved on the 8th)"
    assert before.astimezone(UTC).hour == 13, "09:xx EDT is 13:xx UTC"
    assert after.astimezone(UTC).hour == 13
    winter = slot("America/New_York", "US", local("America/New_York", 2026, 3, 2, 8, 0))
    assert winter.astimezone(UTC).hour == 14, "09:xx EST is 14:xx UTC"


def test_business_days_after_an_anchor():
    calendar = BusinessCalendar("Europe/Berlin", "DE")
    assert calendar.add_business_days(datetime(2026, 11, 20).date(), 1).isoformat() == "2026-11-23"
    assert calendar.add_business_days(datetime(2026, 11, 21).date(), 0).isoformat() == "2026-11-23"
    assert calendar.add_business_days(datetime(2026, 12, 23).date(), 2).isoformat() == "2026-12-28"
    enrolled = local("Europe/Berlin", 2026, 11, 20, 10, 15).astimezone(UTC)
    opener = calendar.due(enrolled, 0, WINDOWS, "o").astimezone(ZoneInfo("Europe/Berlin"))
    assert opener.date().isoformat() == "2026-11-20" and opener >= local(
        "Europe/Berlin", 2026, 11, 20, 10, 15
    )
    bump = calendar.due(enrolled, 3, WINDOWS, "b").astimezone(ZoneInfo("Europe/Berlin"))
    assert bump.date().isoformat() == "2026-11-25" and time(9, 0) <= bump.time() < time(9, 45)


def test_unknown_zone_is_a_clear_error():
    from signalseq.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Base'"):
        BusinessCalendar("Mars/Base")

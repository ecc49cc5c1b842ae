"""The return date an out-of-office message states, in the languages we classify.

Every date written in the text is read (ISO, day.month.year, day/month/year, month
names in English, German, French, Spanish, Portuguese, Dutch, Italian, Polish, Swedish,
Danish, Norwegian and Finnish); the latest one within 180 days after the message is
taken as the day the person is back ("away from 2 to 10 December" → 10 December).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

MONTHS: dict[str, int] = {}
_NAMES = {
    1: "january jan januar janvier janv enero ene janeiro jan januari gennaio genn stycznia styczen styczeń januar tammikuuta tammikuu",
    2: "february feb februar février fevrier févr fevr febrero feb fevereiro fev februari febbraio febbr lutego luty februar helmikuuta helmikuu",
    3: "march mar märz maerz mars marzo mar março marco maart marzo marca marzec mars maaliskuuta maaliskuu",
    4: "april apr avril avr abril abr abril april aprile kwietnia kwiecień kwiecien april huhtikuuta huhtikuu",
    5: "may mai mai mayo maio mei maggio maja maj maj toukokuuta toukokuu",
    6: "june jun juni juin junio junho juni giugno czerwca czerwiec juni kesäkuuta kesakuuta kesäkuu",
    7: "july jul juli juillet juil julio julho juli luglio lipca lipiec juli heinäkuuta heinakuuta heinäkuu",
    8: "august aug august août aout agosto agosto augustus agosto sierpnia sierpień sierpien augusti elokuuta elokuu",
    9: "september sep sept september septembre septiembre setiembre setembro september settembre września wrzesnia wrzesień september syyskuuta syyskuu",
    10: "october oct oktober octobre octubre outubro oktober ottobre października pazdziernika październik oktober lokakuuta lokakuu",
    11: "november nov november novembre noviembre novembro november novembre listopada listopad november marraskuuta marraskuu",
    12: "december dec dezember décembre decembre déc dic diciembre dezembro december dicembre grudnia grudzień grudzien december joulukuuta joulukuu",
}
for _number, _words in _NAMES.items():
    for _word in _words.split():
        MONTHS.setdefault(_word, _number)
# longest names first, so "juni" never stops at "jun"
_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))

ISO = re.compile(r"\b(20\d\d)-(\d{1,2})-(\d{1,2})\b")
NUMERIC = re.compile(r"\b(\d{1,2})([./])(\d{1,2})(?:\2(\d{2,4}))?\b")
DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|er|º|°|\.)?(?:\s+de)?\s+({_MONTH})\.?(?:\s+(?:de\s+)?(20\d\d))?\b",
    re.IGNORECASE,
)
MONTH_DAY = re.compile(
    rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(20\d\d))?\b", re.IGNORECASE
)
WINDOW = timedelta(days=180)


def _make(year: int | None, month: int, day: int, sent: date) -> date | None:
    candidates = [year] if year is not None else [sent.year, sent.year + 1]
    for candidate in candidates:
        try:
            found = date(candidate, month, day)
        except ValueError:
            continue
        if year is not None or found >= sent:
            return found
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def dates_in(text: str, sent: date, *, day_first: bool = True) -> list[date]:
    found: list[date | None] = []
    for year, month, day in ISO.findall(text):
        found.append(_make(int(year), int(month), int(day), sent))
    without_iso = ISO.sub(" ", text)
    for first, separator, second, year in NUMERIC.findall(without_iso):
        a, b = int(first), int(second)
        # "." is always day.month; "/" is day/month unless that is impossible or the
        # text reads American (month/day)
        day, month = (a, b) if separator == "." or day_first or b > 12 else (b, a)
        if month > 12:
            day, month = month, day
        found.append(_make(_year(year), month, day, sent))
    for day, month, year in DAY_MONTH.findall(text):
        found.append(_make(_year(year), MONTHS[month.lower()], int(day), sent))
    for month, day, year in MONTH_DAY.findall(text):
        found.append(_make(_year(year), MONTHS[month.lower()], int(day), sent))
    return [d for d in found if d is not None]


def return_date(text: str, sent: date) -> date | None:
    """The latest date stated within 180 days after ``sent``; None when none is."""
    american = bool(re.search(r"\b(?:until|back on|returning)\b", text, re.IGNORECASE)) and not (
        re.search(r"\b\d{1,2}\.\d{1,2}\.", text)
    )
    upcoming = [
        d for d in dates_in(text, sent, day_first=not american) if sent <= d <= sent + WINDOW
    ]
    return max(upcoming) if upcoming else None

"""Countries (to ISO 3166 alpha-2) and time zones (IANA names)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry
import tzdata

_ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "great britain": "GB",
    "britain": "GB",
    "usa": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "america": "US",
    "uae": "AE",
    "south korea": "KR",
    "korea": "KR",
    "russia": "RU",
    "czech republic": "CZ",
    "holland": "NL",
    "the netherlands": "NL",
    "vietnam": "VN",
    "taiwan": "TW",
    "iran": "IR",
}


@lru_cache(maxsize=4096)
def normalize_country(value: str | None) -> str | None:
    """``Germany``, ``DE``, ``DEU``, ``UK`` → ``DE``/``GB``; None when unknown."""
    if not value or not value.strip():
        return None
    text = value.strip()
    alias = _ALIASES.get(text.casefold())
    if alias:
        return alias
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def is_timezone(name: str) -> bool:
    if name not in _known_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@lru_cache(maxsize=1)
def _zones_by_country() -> dict[str, list[str]]:
    table = os.path.join(os.path.dirname(tzdata.__file__), "zoneinfo", "zone.tab")
    zones: dict[str, list[str]] = {}
    with open(table, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#") or not line.strip():
                continue
            code, _coords, zone = line.rstrip("\n").split("\t")[:3]
            zones.setdefault(code, []).append(zone)
    return zones


def _offsets(zone: str) -> tuple[object, ...]:
    year = 2026  # a fixed year keeps the answer the same whenever it is asked
    tz = ZoneInfo(zone)
    return tuple(
        datetime(year, month, 15, 12, tzinfo=UTC).astimezone(tz).utcoffset() for month in (1, 7)
    )


@lru_cache(maxsize=512)
def timezone_for_country(country: str | None) -> str | None:
    """The country's zone when it is unambiguous: every zone it has keeps the same time
    in winter and summer (Germany: yes, despite Büsingen; the US or Spain: no)."""
    if not country:
        return None
    zones = _zones_by_country().get(country.upper(), [])
    if not zones:
        return None
    if len({_offsets(zone) for zone in zones}) == 1:
        return zones[0]
    return None

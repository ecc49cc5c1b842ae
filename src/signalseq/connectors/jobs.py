"""Job changes: provider records (JSONL/CSV) and diffs of two contact snapshots.

A change is ``new_company``, ``promotion`` (same company, higher seniority),
``title_change`` (same company, a different job) or ``departure``. Rewording a title
("VP, Sales" → "Vice President of Sales") is not a change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from signalseq.connectors.base import Connector, ConnectorContext, Item, Rejected, register
from signalseq.connectors.config import JobChangesConfig, JobSnapshotsConfig
from signalseq.connectors.records import Record, count_lines, read_records
from signalseq.errors import InputRejected
from signalseq.normalize.companies import normalize_company_name
from signalseq.normalize.domains import is_free_mail, normalize_domain
from signalseq.normalize.people import linkedin_slug
from signalseq.normalize.titles import SENIORITIES, canonical_title, classify_title
from signalseq.signals.schemas import CompanyRef, PersonRef, SignalIn, as_mapping

_RANK = {level: rank for rank, level in enumerate(reversed(SENIORITIES))}


def _pick(data: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def role(
    company: str | None,
    domain: str | None,
    title: str | None,
    started_on: str | None = None,
    email: str | None = None,
) -> dict[str, Any] | None:
    if not (company or domain or title):
        return None
    info = classify_title(title)
    found = {
        "company_name": company,
        "company_domain": normalize_domain(domain),
        "title": title,
        "seniority": info.seniority,
        "department": info.department,
        "started_on": started_on,
    }
    if email:
        found["email"] = email
    return found


def check_move(previous: dict[str, Any] | None, current: dict[str, Any] | None) -> None:
    """A ``new_company`` record that is no move: refused with the reason."""
    if current is None or not (current.get("company_name") or current.get("company_domain")):
        raise InputRejected("new_company: the record names no current company")
    old = (previous or {}).get("company_domain")
    new = current.get("company_domain")
    if old and new and old == new:
        raise InputRejected(f"new_company: the new employer has the same domain as before ({new})")
    email = current.get("email")
    if email:
        host = normalize_domain(email.rsplit("@", 1)[-1]) if "@" in email else None
        if host is None or is_free_mail(host):
            raise InputRejected(f"new_company: the work email {email!r} is not a company address")


def _same_company(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.get("company_domain") and b.get("company_domain"):
        return bool(a["company_domain"] == b["company_domain"])
    return normalize_company_name(a.get("company_name")) == normalize_company_name(
        b.get("company_name")
    )


def classify_change(previous: dict[str, Any] | None, current: dict[str, Any] | None) -> str | None:
    """The change between two roles, or None when nothing meaningful changed."""
    if current is None or not (current.get("company_name") or current.get("company_domain")):
        return "departure" if previous else None
    if previous is None or not _same_company(previous, current):
        return "new_company"
    if _RANK[current["seniority"]] > _RANK[previous["seniority"]]:
        return "promotion"
    if canonical_title(previous.get("title")) != canonical_title(current.get("title")):
        return "title_change"
    return None


def _parse_date(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            day = date.fromisoformat(text[:10])
        except ValueError as exc:
            raise InputRejected(f"not a date: {text!r}") from exc
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def change_signal(
    source: str,
    *,
    person: dict[str, Any],
    previous: dict[str, Any] | None,
    current: dict[str, Any] | None,
    occurred_at: datetime,
    event_id: str | None,
    raw: Any,
    change_type: str | None = None,
    confidence: float = 0.9,
) -> SignalIn | None:
    change = change_type or classify_change(previous, current)
    if change is None:
        return None
    employer = current if change != "departure" else previous
    key = (
        event_id
        or hashlib.sha256(
            json.dumps([person, change, previous, current], sort_keys=True, default=str).encode()
        ).hexdigest()
    )
    return SignalIn(
        kind="job_change",
        occurred_at=occurred_at,
        source=source,
        source_event_id=key,
        company=CompanyRef(
            name=(employer or {}).get("company_name"),
            domain=(employer or {}).get("company_domain"),
        ),
        person=PersonRef(**person),
        attributes={"change_type": change, "previous": previous, "current": current},
        raw=raw,
        confidence=confidence,
    )


def provider_record_signal(source: str, data: dict[str, Any]) -> SignalIn | None:
    """One provider record (nested JSON or flat CSV columns)."""
    prev = as_mapping(data.get("previous"))
    curr = as_mapping(data.get("current"))
    person_data = as_mapping(data.get("person")) or data
    person = {
        "name": _pick(person_data, "name", "full_name", "person_name"),
        "email": _pick(person_data, "email", "work_email"),
        "linkedin_url": _pick(person_data, "linkedin_url", "linkedin"),
    }
    if not any(person.values()):
        raise InputRejected("person: a name, e-mail or LinkedIn URL is required")
    started = _pick(curr, "started_on", "start_date") or _pick(data, "start_date", "started_on")
    previous = role(
        _pick(prev, "company_name", "company") or _pick(data, "previous_company"),
        _pick(prev, "company_domain", "domain") or _pick(data, "previous_domain"),
        _pick(prev, "title") or _pick(data, "previous_title"),
    )
    current = role(
        _pick(curr, "company_name", "company") or _pick(data, "new_company", "current_company"),
        _pick(curr, "company_domain", "domain") or _pick(data, "new_domain", "current_domain"),
        _pick(curr, "title") or _pick(data, "new_title", "current_title"),
        started,
        _pick(curr, "email", "work_email") or _pick(data, "work_email", "new_email"),
    )
    change_type = _pick(data, "change_type")
    if change_type is not None and change_type not in (
        "new_company",
        "promotion",
        "title_change",
        "departure",
    ):
        raise InputRejected(f"change_type: unknown value {change_type!r}")
    if (change_type or classify_change(previous, current)) == "new_company":
        check_move(previous, current)
    when = _parse_date(started) or _parse_date(_pick(data, "detected_at", "changed_on", "date"))
    if when is None:
        raise InputRejected("a start date or detected_at is required")
    return change_signal(
        source,
        person=person,
        previous=previous,
        current=current,
        occurred_at=when,
        event_id=_pick(data, "id", "event_id"),
        raw=data,
        change_type=change_type,
    )


@register
class JobChangesConnector(Connector):
    type = "job_changes"
    config: JobChangesConfig

    def estimate(self, context: ConnectorContext) -> int | None:
        path = context.resolve_path(self.config.path)
        return count_lines(path) if path.is_file() else None

    def _items(self, record: Record, location: str) -> Iterator[Item]:
        if record.data is None:
            yield Rejected(record.raw, record.error or "unreadable", "record", location)
            return
        try:
            signal = provider_record_signal(self.name, record.data)
        except InputRejected as exc:
            yield Rejected(record.raw, str(exc), "record", location)
            return
        except ValidationError as exc:  # a field of the wrong shape
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            yield Rejected(record.raw, f"{where}: {first['msg']}", "record", location)
            return
        if signal is None:
            yield Rejected(record.raw, "no_change", "record", location, dead_letter=False)
        else:
            yield signal

    def read(self, context: ConnectorContext) -> Iterator[Item]:
        path = context.resolve_path(self.config.path)
        for record in read_records(path, self.config.format):
            yield from self._items(record, f"{self.config.path}:{record.line}")

    def reparse(self, raw: str, kind: str, context: ConnectorContext) -> list[Item]:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            return [Rejected(raw, f"invalid JSON: {exc.msg}", "record")]
        return list(
            self._items(
                Record(0, raw, data if isinstance(data, dict) else None, "expected a JSON object"),
                "retry",
            )
        )


class _Snapshot:
    """One contact export, indexed by every key a person can be found by."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.index: dict[tuple[str, str], int] = {}

    @staticmethod
    def keys(row: dict[str, Any]) -> list[tuple[str, str]]:
        keys = []
        if row.get("crm_id"):
            keys.append(("crm", row["crm_id"]))
        if row.get("slug"):
            keys.append(("linkedin", row["slug"]))
        if row.get("email"):
            keys.append(("email", row["email"]))
        if row.get("name") and row.get("company_key"):
            keys.append(("name", f"{row['name'].casefold()}|{row['company_key']}"))
        return keys

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        for key in self.keys(row):
            self.index.setdefault(key, len(self.rows) - 1)

    def find(self, row: dict[str, Any]) -> int | None:
        for key in self.keys(row):
            if key in self.index:
                return self.index[key]
        return None


def _snapshot_row(data: dict[str, Any]) -> dict[str, Any]:
    name = _pick(data, "name", "full_name") or " ".join(
        p for p in (_pick(data, "first_name"), _pick(data, "last_name")) if p
    )
    email = _pick(data, "email")
    company = _pick(data, "company", "company_name", "account_name")
    domain = normalize_domain(_pick(data, "company_domain", "domain", "website"))
    linkedin = _pick(data, "linkedin_url", "linkedin")
    return {
        "crm_id": _pick(data, "crm_id", "id", "record_id", "contact_id"),
        "name": name or None,
        "email": email.lower() if email else None,
        "linkedin_url": linkedin,
        "slug": linkedin_slug(linkedin),
        "company": company,
        "domain": domain,
        "company_key": domain or normalize_company_name(company),
        "title": _pick(data, "title", "job_title"),
        "raw": data,
    }


@register
class JobSnapshotsConnector(Connector):
    type = "job_snapshots"
    config: JobSnapshotsConfig

    def estimate(self, context: ConnectorContext) -> int | None:
        path = context.resolve_path(self.config.current)
        return count_lines(path) if path.is_file() else None

    def read(self, context: ConnectorContext) -> Iterator[Item]:
        previous_path = context.resolve_path(self.config.previous)
        current_path = context.resolve_path(self.config.current)
        observed = (
            _parse_date(self.config.observed_at)
            if self.config.observed_at
            else datetime.fromtimestamp(current_path.stat().st_mtime, UTC)
        )
        assert observed is not None
        before = _Snapshot()
        for record in read_records(previous_path):
            if record.data is not None:
                before.add(_snapshot_row(record.data))
        seen: set[int] = set()
        for record in read_records(current_path):
            location = f"{self.config.current}:{record.line}"
            if record.data is None:
                yield Rejected(record.raw, record.error or "unreadable", "record", location)
                continue
            row = _snapshot_row(record.data)
            if not (row["name"] or row["email"] or row["slug"]):
                yield Rejected(
                    record.raw, "a name, e-mail or LinkedIn URL is required", "record", location
                )
                continue
            index = before.find(row)
            if index is None:
                yield Rejected(record.raw, "new_in_snapshot", "record", location, dead_letter=False)
                continue
            seen.add(index)
            yield from self._diff(before.rows[index], row, observed, location, record.raw)
        for index, old in enumerate(before.rows):
            if index not in seen:
                yield from self._diff(
                    old, None, observed, f"{self.config.previous}", json.dumps(old["raw"])
                )

    def _diff(
        self,
        old: dict[str, Any],
        new: dict[str, Any] | None,
        observed: datetime,
        location: str,
        raw: str,
    ) -> Iterator[Item]:
        previous = role(old["company"], old["domain"], old["title"])
        moved_email = new["email"] if new and new["email"] != old["email"] else None
        current = (
            role(new["company"], new["domain"], new["title"], None, moved_email) if new else None
        )
        who = new or old
        person = {
            "name": who["name"],
            "email": old["email"] or who["email"],
            "linkedin_url": who["linkedin_url"],
        }
        signal = change_signal(
            self.name,
            person=person,
            previous=previous,
            current=current,
            occurred_at=observed,
            event_id=None,
            raw={"previous": old["raw"], "current": new["raw"] if new else None},
            confidence=0.6 if new is None else 0.85,
        )
        if signal is None:
            yield Rejected(raw, "no_change", "record", location, dead_letter=False)
        else:
            yield signal

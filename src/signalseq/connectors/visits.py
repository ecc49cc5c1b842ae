"""Website visits: Segment ``page``/``track``/``identify`` events (JSONL files and the
HTTP endpoint) and visitor-identification webhooks like RB2B's.

Each visit gets a page category from configurable URL patterns (careers pages count
against intent). Its account is resolved by the visitor's identified e-mail domain
(free-mail excluded), ``context.groupId``, or an IP-range → company table; visits that
resolve to nothing are kept, not dropped.
"""

from __future__ import annotations

import bisect
import csv
import fnmatch
import ipaddress
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.orm import Session

from signalseq import jsontext
from signalseq.connectors.base import Connector, ConnectorContext, Item, Rejected, register
from signalseq.connectors.config import WebsiteVisitsConfig
from signalseq.connectors.records import count_lines, read_records
from signalseq.errors import InputRejected
from signalseq.normalize.domains import is_free_mail, normalize_domain
from signalseq.normalize.people import normalize_email
from signalseq.signals.models import VisitorIdentity
from signalseq.signals.schemas import CompanyRef, PersonRef, SignalIn, as_mapping

_EMAIL_TRAITS = ("email", "Email", "business_email", "work_email")


class IpRanges:
    """CIDR → company, from a CSV with columns ``cidr,company_name,domain``."""

    def __init__(self, rows: list[tuple[int, int, str | None, str | None]]):
        self.rows = sorted(rows)
        self.starts = [row[0] for row in self.rows]

    @classmethod
    def load(cls, path: Path) -> IpRanges:
        rows = []
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                try:
                    network = ipaddress.ip_network((row.get("cidr") or "").strip(), strict=False)
                except ValueError as exc:
                    raise InputRejected(f"{path}:{line} cidr: {exc}") from exc
                rows.append(
                    (
                        int(network.network_address),
                        int(network.broadcast_address),
                        (row.get("company_name") or "").strip() or None,
                        normalize_domain(row.get("domain")),
                    )
                )
        return cls(rows)

    def lookup(self, ip: str | None) -> tuple[str | None, str | None] | None:
        if not ip:
            return None
        try:
            value = int(ipaddress.ip_address(ip.strip()))
        except ValueError:
            return None
        index = bisect.bisect_right(self.starts, value) - 1
        # the nearest range starting at or below the address, or one enclosing it
        for candidate in range(index, max(index - 64, -1), -1):
            start, end, name, domain = self.rows[candidate]
            if start <= value <= end:
                return name, domain
        return None


class PageCategorizer:
    """URL path → page category; patterns compiled once, answers cached by path."""

    def __init__(self, categories: dict[str, list[str]]):
        self.rules = [
            (name, re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns)))
            for name, patterns in categories.items()
            if patterns
        ]
        self.cache: dict[str, str] = {}

    def __call__(self, path: str | None) -> str:
        clean = (path or "/").split("?", 1)[0].split("#", 1)[0].lower() or "/"
        found = self.cache.get(clean)
        if found is None:
            trimmed = clean.rstrip("/") or "/"
            found = next(
                (name for name, rule in self.rules if rule.match(clean) or rule.match(trimmed)),
                "other",
            )
            if len(self.cache) < 100_000:
                self.cache[clean] = found
        return found


def page_category(path: str | None, categories: dict[str, list[str]]) -> str:
    return PageCategorizer(categories)(path)


def _timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text.strip():
        return None
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        match = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})", value)  # lenient: RB2B's
        if not match:
            return None
        moment = datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}+00:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _email(value: Any) -> str | None:
    if not isinstance(value, str) or "@" not in value:
        return None
    try:
        return normalize_email(value)
    except InputRejected:
        return None


def parse_lenient_json(text: str) -> Any:
    """JSON as vendors publish it: trailing commas before a closing brace are forgiven."""
    try:
        return jsontext.loads(text)
    except jsontext.TooDeep:
        raise
    except json.JSONDecodeError:
        return jsontext.loads(re.sub(r",\s*([}\]])", r"\1", text))


class VisitParser:
    """Turns one event (Segment or RB2B) into a visit signal."""

    def __init__(
        self,
        source: str,
        config: WebsiteVisitsConfig,
        ip_ranges: IpRanges | None,
        identities: dict[str, str],
    ):
        self.source = source
        self.config = config
        self.ip_ranges = ip_ranges
        self.identities = identities  # anonymousId → e-mail, learned from identify calls
        self.categorize = PageCategorizer(config.page_categories)

    def parse(self, event: dict[str, Any]) -> SignalIn | str:
        """A signal, or the reason this event is not one (an ``identify`` call)."""
        if "type" in event or "messageId" in event:
            return self._segment(event)
        if any(key in event for key in ("Captured URL", "LinkedIn URL", "Business Email")):
            return self._rb2b(event)
        raise InputRejected("neither a Segment event nor a visitor-identification payload")

    def _segment(self, event: dict[str, Any]) -> SignalIn | str:
        kind = event.get("type")
        if kind not in ("page", "track", "identify"):
            raise InputRejected(f"type: unsupported Segment event type {kind!r}")
        context = as_mapping(event.get("context"))
        properties = as_mapping(event.get("properties"))
        traits = as_mapping(event.get("traits"))
        context_traits = as_mapping(context.get("traits"))
        anonymous_id, user_id = event.get("anonymousId"), event.get("userId")
        email = next(
            (
                e
                for e in (
                    _email(traits.get(k)) or _email(context_traits.get(k)) for k in _EMAIL_TRAITS
                )
                if e
            ),
            None,
        )
        if kind == "identify":
            if anonymous_id and email:
                self.identities[str(anonymous_id)] = email
            return "identify"
        if not (anonymous_id or user_id):
            raise InputRejected("anonymousId or userId is required")
        when = next(
            (
                t
                for t in (
                    _timestamp(event.get(k))
                    for k in ("timestamp", "originalTimestamp", "sentAt", "receivedAt")
                )
                if t
            ),
            None,
        )
        if when is None:
            raise InputRejected("timestamp: missing or not ISO-8601")
        message_id = event.get("messageId")
        if not message_id:
            raise InputRejected("messageId is required (it is what makes delivery idempotent)")
        page = as_mapping(context.get("page"))
        url = properties.get("url") or page.get("url")
        path = properties.get("path") or page.get("path") or (urlsplit(url).path if url else None)
        email = email or (self.identities.get(str(anonymous_id)) if anonymous_id else None)
        return self._signal(
            when=when,
            event_id=str(message_id),
            email=email,
            ip=context.get("ip"),
            group_id=context.get("groupId") or event.get("groupId"),
            person_name=None,
            linkedin=None,
            company_name=None,
            company_domain=None,
            raw=event,
            attributes={
                "event_type": kind,
                "event_name": event.get("event") or event.get("name"),
                "url": url,
                "path": path,
                "page_title": properties.get("title") or page.get("title"),
                "anonymous_id": str(anonymous_id) if anonymous_id else None,
                "user_id": str(user_id) if user_id else None,
                "ip": context.get("ip"),
                "referrer": properties.get("referrer") or page.get("referrer") or None,
            },
        )

    def _rb2b(self, event: dict[str, Any]) -> SignalIn:
        url = event.get("Captured URL")
        when = _timestamp(event.get("Seen At"))
        if when is None:
            raise InputRejected("Seen At: missing or not a date")
        linkedin = event.get("LinkedIn URL")
        name = " ".join(
            str(event.get(k) or "").strip() for k in ("First Name", "Last Name")
        ).strip()
        event_id = "|".join(
            str(event.get(k) or "")
            for k in ("LinkedIn URL", "Business Email", "Seen At", "Captured URL")
        )
        title = str(event.get("Title") or "").split(" @ ")[0].split(". ")[0].strip() or None
        return self._signal(
            when=when,
            event_id=event_id,
            email=_email(event.get("Business Email")),
            ip=None,
            group_id=None,
            person_name=name or None,
            linkedin=linkedin,
            company_name=event.get("Company Name"),
            company_domain=event.get("Website"),
            raw=event,
            attributes={
                "event_type": "identified_visit",
                "url": url,
                "path": urlsplit(url).path if isinstance(url, str) else None,
                "page_title": title,
                "referrer": event.get("Referrer"),
            },
        )

    def _signal(
        self,
        *,
        when: datetime,
        event_id: str,
        email: str | None,
        ip: Any,
        group_id: Any,
        person_name: str | None,
        linkedin: Any,
        company_name: Any,
        company_domain: Any,
        raw: dict[str, Any],
        attributes: dict[str, Any],
    ) -> SignalIn:
        category = self.categorize(attributes.get("path"))
        attributes.update(page_category=category, intent=category != "careers")
        domain = normalize_domain(company_domain) if company_domain else None
        email_domain = normalize_domain(email) if email else None
        if domain is None and email_domain and not is_free_mail(email_domain):
            domain = email_domain
        crm_id = None
        if group_id:
            as_domain = normalize_domain(str(group_id)) if "." in str(group_id) else None
            domain, crm_id = domain or as_domain, None if as_domain else str(group_id)
        name = str(company_name) if company_name else None
        if domain is None and name is None and self.ip_ranges is not None:
            found = self.ip_ranges.lookup(str(ip) if ip else None)
            if found:
                name, domain = found
        person = (
            PersonRef(name=person_name, email=email, linkedin_url=linkedin)
            if (person_name or email or linkedin)
            else None
        )
        return SignalIn(
            kind="website_visit",
            occurred_at=when,
            source=self.source,
            source_event_id=event_id[:500],
            company=CompanyRef(name=name, domain=domain, crm_id=crm_id),
            person=person,
            attributes=attributes,
            raw=raw,
            confidence=1.0 if email or linkedin else (0.8 if domain or crm_id else 0.5),
        )


@register
class WebsiteVisitsConnector(Connector):
    type = "website_visits"
    config: WebsiteVisitsConfig

    def parser(self, context: ConnectorContext, session: Session | None = None) -> VisitParser:
        ranges = (
            IpRanges.load(context.resolve_path(self.config.ip_ranges))
            if self.config.ip_ranges
            else None
        )
        identities: dict[str, str] = {}
        if session is not None:
            identities.update(
                {i.anonymous_id: i.email for i in session.query(VisitorIdentity) if i.email}
            )
        context.state["identities"] = identities
        return VisitParser(self.name, self.config, ranges, identities)

    def prepare(self, session: Session, context: ConnectorContext) -> None:
        context.state["parser"] = self.parser(context, session)

    def persist(self, session: Session, context: ConnectorContext) -> None:
        remember_identities(session, context.state.get("identities", {}))

    def estimate(self, context: ConnectorContext) -> int | None:
        if not self.config.path:
            return None
        path = context.resolve_path(self.config.path)
        return count_lines(path) if path.is_file() else None

    def items(
        self, parser: VisitParser, event: Any, raw: str, location: str | None
    ) -> Iterator[Item]:
        batch = event.get("batch") if isinstance(event, dict) else None
        events: list[Any] = batch if isinstance(batch, list) else [event]
        for one in events:
            if not isinstance(one, dict):
                yield Rejected(raw, "expected a JSON object", "event", location)
                continue
            try:
                result = parser.parse(one)
            except InputRejected as exc:
                yield Rejected(json.dumps(one, ensure_ascii=False), str(exc), "event", location)
            except ValidationError as exc:
                first = exc.errors()[0]
                yield Rejected(
                    json.dumps(one, ensure_ascii=False),
                    f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}",
                    "event",
                    location,
                )
            else:
                if isinstance(result, str):
                    yield Rejected(json.dumps(one), result, "event", location, dead_letter=False)
                else:
                    yield result

    def read(self, context: ConnectorContext) -> Iterator[Item]:
        if not self.config.path:
            return
        parser = context.state.get("parser") or self.parser(context)
        path = context.resolve_path(self.config.path)
        if path.suffix.lower() in (".json", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                event = parse_lenient_json(text)
            except json.JSONDecodeError as exc:
                yield Rejected(text[:65536], f"invalid JSON: {exc.msg}", "event", str(path))
                return
            yield from self.items(parser, event, text, self.config.path)
            return
        for record in read_records(path, "jsonl"):
            location = f"{self.config.path}:{record.line}"
            if record.data is None:
                yield Rejected(record.raw, record.error or "unreadable", "event", location)
                continue
            yield from self.items(parser, record.data, record.raw, location)

    def reparse(self, raw: str, kind: str, context: ConnectorContext) -> list[Item]:
        try:
            event = parse_lenient_json(raw)
        except json.JSONDecodeError as exc:
            return [Rejected(raw, f"invalid JSON: {exc.msg}", "event")]
        return list(self.items(self.parser(context), event, raw, None))


def remember_identities(session: Session, identities: dict[str, str]) -> None:
    for anonymous_id, email in identities.items():
        row = session.get(VisitorIdentity, anonymous_id)
        if row is None:
            session.add(VisitorIdentity(anonymous_id=anonymous_id, email=email))
        elif row.email != email:
            row.email = email

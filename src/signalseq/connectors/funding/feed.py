"""Funding news from RSS 2.0 / Atom feeds (feedparser), by URL or file."""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import feedparser

from signalseq.connectors.base import Connector, ConnectorContext, Item, Rejected, register
from signalseq.connectors.config import FundingFeedConfig
from signalseq.connectors.fetch import FetchFailed, fetch
from signalseq.connectors.funding.extract import NotFunding, extract_funding
from signalseq.errors import InputRejected
from signalseq.signals.schemas import CompanyRef, SignalIn

_FORM_D = re.compile(r"^(D(?:/A)?) - (.+?) \((\d{10})\)")
_TAGS = re.compile(r"<[^>]+>")


def unwrap_link(link: str | None) -> str | None:
    """Google Alerts wraps links as google.com/url?...&url=REAL; return REAL."""
    if not link:
        return link
    parts = urlsplit(link)
    if parts.netloc.endswith("google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        if target:
            return target[0]
    return link


def _text(value: str | None) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAGS.sub(" ", value or ""))).strip()


def entry_record(entry: Any) -> dict[str, Any]:
    """The parts of a feed entry we use, as plain JSON (also what a dead letter keeps)."""
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    return {
        "id": entry.get("id"),
        "title": entry.get("title"),
        "summary": entry.get("summary"),
        "link": entry.get("feedburner_origlink") or unwrap_link(entry.get("link")),
        "published": datetime.fromtimestamp(calendar.timegm(when), UTC).isoformat()
        if when
        else None,
    }


def signal_from_record(record: dict[str, Any], source: str) -> SignalIn:
    """One entry → a funding signal; NotFunding (not a signal) or InputRejected (bad entry)."""
    title = _text(record.get("title"))
    if not title:
        raise InputRejected("entry has no title")
    # RSS allows an item without a date: it is dated by when we fetched it, and says so
    dated = record.get("published") or record.get("fetched_at")
    if not dated:
        raise InputRejected("entry has no published or updated date")
    summary = _text(record.get("summary"))
    event_id = record.get("id") or record.get("link") or hashlib.sha256(title.encode()).hexdigest()
    form_d = _FORM_D.match(title)
    if form_d:
        if form_d.group(1) != "D":
            raise NotFunding("amendment", title)
        company, confidence = form_d.group(2), 0.6
        attributes: dict[str, Any] = {"round": None}
    elif re.match(r"^[0-9A-Z/-]{1,10} - .+\(\d{10}\)", title):
        raise NotFunding("sec_filing_not_form_d", title)
    else:
        found = extract_funding(title, summary)
        company, attributes = found.company, found.attributes()
        confidence = (
            0.9
            if found.amount_usd and found.currency_stated
            else (0.8 if found.amount_usd else 0.7)
        )
    attributes.update(headline=title, url=record.get("link"))
    if not record.get("published"):
        attributes["dated_by"] = "fetch time (the feed item has no date)"
    return SignalIn(
        kind="funding",
        occurred_at=datetime.fromisoformat(dated),
        source=source,
        source_event_id=str(event_id)[:500],
        company=CompanyRef(name=company),
        attributes=attributes,
        raw=record,
        confidence=confidence,
    )


@register
class FundingFeedConnector(Connector):
    type = "funding_feed"
    config: FundingFeedConfig

    def _document(self, context: ConnectorContext) -> bytes | None:
        if self.config.path:
            path = context.resolve_path(self.config.path)
            if not path.is_file():
                raise FetchFailed(f"{path}: no such file")
            if path.stat().st_size > self.config.max_bytes:
                raise FetchFailed(f"{path}: larger than the {self.config.max_bytes}-byte limit")
            return path.read_bytes()
        assert self.config.url is not None
        fetched = fetch(
            self.config.url,
            etag=context.state.get("etag"),
            last_modified=context.state.get("last_modified"),
            timeout=self.config.timeout_seconds,
            retries=self.config.retries,
            max_bytes=self.config.max_bytes,
        )
        context.state.update(etag=fetched.etag, last_modified=fetched.last_modified)
        return fetched.body

    def read(self, context: ConnectorContext) -> Iterator[Item]:
        location = self.config.path or self.config.url
        try:
            document = self._document(context)
        except FetchFailed as exc:
            yield Rejected(raw=str(location), reason=str(exc), kind="feed", location=location)
            return
        if document is None:
            context.warnings.append(f"{self.name}: not modified since the last run")
            return
        # a file object, never bytes or a string: feedparser opens a string that names a
        # path or URL ("/dev/zero", a local feed) before it tries to parse it
        parsed = feedparser.parse(io.BytesIO(document))
        if not parsed.entries and parsed.get("version"):  # a feed, with nothing in it
            context.warnings.append(f"{self.name}: the feed has no items")
            return
        if parsed.bozo and not parsed.entries:
            reason = f"not a readable feed: {parsed.get('bozo_exception')}"
            yield Rejected(
                raw=document[:65536].decode("utf-8", "replace"),
                reason=reason,
                kind="feed",
                location=location,
            )
            return
        if parsed.bozo:
            context.warnings.append(
                f"{self.name}: feed is not well-formed ({parsed.get('bozo_exception')}); "
                f"read {len(parsed.entries)} entries anyway"
            )
        fetched_at = context.clock.now().isoformat()
        for index, entry in enumerate(parsed.entries, start=1):
            record = entry_record(entry)
            if not record["published"]:
                record["fetched_at"] = fetched_at
            yield from self._item(record, f"{location}#entry{index}")

    def _item(self, record: dict[str, Any], location: str | None) -> Iterator[Item]:
        raw = json.dumps(record, ensure_ascii=False, sort_keys=True)
        try:
            yield signal_from_record(record, self.name)
        except NotFunding as exc:
            yield Rejected(
                raw=raw, reason=exc.reason, kind="feed_entry", location=location, dead_letter=False
            )
        except InputRejected as exc:
            yield Rejected(raw=raw, reason=str(exc), kind="feed_entry", location=location)

    def reparse(self, raw: str, kind: str, context: ConnectorContext) -> list[Item]:
        if kind != "feed_entry":
            return list(self.read(context))
        return list(self._item(json.loads(raw), None))

"""Property-based tests (hypothesis) for every parser of outside input: no exception
escapes except the documented validation errors, and nothing is half-written."""

from __future__ import annotations

import contextlib
import csv
import io
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests import inbound_messages as m

from signalseq.connectors.config import WebsiteVisitsConfig
from signalseq.connectors.funding.extract import extract_funding
from signalseq.connectors.visits import VisitParser, parse_lenient_json
from signalseq.crm.importer import import_contacts
from signalseq.crm.models import Contact
from signalseq.errors import InputRejected, SignalseqError
from signalseq.inbound.classify import classify, sentiment
from signalseq.inbound.dates import return_date
from signalseq.inbound.parse import UnreadableMessage, parse
from signalseq.normalize.titles import classify_title
from signalseq.workspace.yamlfile import parse_yaml

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
WORDS = st.sampled_from(
    ["raises", "$", "€", "12M", "Series", "A", "B", "seed", "led", "by", "Acme", "Inc.", "million",
     "billion", "valuation", "at", "round", "funding", "closes", "1.5", "bn", "(", ")", ",", "—",
     "Sequoia", "and", "GmbH", "Ltd", "%", "¥", "£", "20", "k", "Pre-Seed", "growth"]
)  # fmt: skip
HEADLINES = st.one_of(st.text(max_size=200), st.lists(WORDS, max_size=25).map(" ".join))


@SETTINGS
@given(title=HEADLINES, summary=st.text(max_size=200))
def test_funding_headlines_give_a_round_or_a_clear_refusal(title, summary):
    try:
        found = extract_funding(title, summary)
    except InputRejected:
        return
    assert found.amount_usd is None or found.amount_usd >= 0


@SETTINGS
@given(title=st.one_of(st.none(), st.text(max_size=120)))
def test_any_job_title_is_classified(title):
    info = classify_title(title)
    assert info.seniority and info.department


EVENTS = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=40)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(
                                ["type", "event", "messageId", "timestamp", "context", "page",
                                 "properties", "url", "path", "title", "ip", "userId",
                                 "anonymousId", "traits", "email", "company", "referrer"]),
                                inner, max_size=8)),
    max_leaves=20,
)  # fmt: skip


@SETTINGS
@given(event=st.dictionaries(st.sampled_from(["type", "messageId", "timestamp", "context",
                                              "properties", "anonymousId", "userId", "traits",
                                              "event", "name"]),
                             EVENTS, max_size=8))  # fmt: skip
def test_any_segment_shaped_event_is_a_signal_or_a_reason(event):
    parser = VisitParser("web", WebsiteVisitsConfig(name="web", type="website_visits"), None, {})
    try:
        result = parser.parse(event)
    except InputRejected:
        return
    assert isinstance(result, str) or result.kind == "website_visit"


@SETTINGS
@given(text=st.text(max_size=300))
def test_lenient_json_returns_data_or_refuses(text):
    with contextlib.suppress(InputRejected, ValueError):  # anything else escapes and fails
        parse_lenient_json(text)


MESSAGE_PARTS = st.sampled_from([m.REPLY_OUTLOOK, m.AUTO_REPLY_EN, m.DSN_HARD, m.ARF_COMPLAINT,
                                 m.QMAIL_BOUNCE, m.UNSUBSCRIBE_ES])  # fmt: skip


@SETTINGS
@example(
    raw=b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
    b'--b\r\nContent-Type: text/plain; charset="a\x00b"\r\n\r\nmail failed\r\n--b--\r\n'
)
@given(raw=st.one_of(st.binary(max_size=2000),
                     st.tuples(MESSAGE_PARTS, st.integers(0, 3000), st.binary(max_size=50)).map(
                         lambda t: m.render(t[0], "x@y.example")[: t[1]] + t[2])))  # fmt: skip
def test_any_bytes_are_read_as_mail_or_refused(raw):
    try:
        inbound = parse(raw)
    except UnreadableMessage:
        return
    found = classify(inbound)
    assert found.kind in {"bounce", "soft_bounce", "policy_block", "delivery_report",
                          "complaint", "auto_reply", "unsubscribe", "reply"}  # fmt: skip
    assert sentiment(inbound.text) in {"positive", "negative", "neutral"}


@SETTINGS
@given(text=st.text(max_size=300))
def test_return_dates_never_fail(text):
    from datetime import date

    back = return_date(text, date(2026, 11, 24))
    assert back is None or date(2026, 11, 24) <= back <= date(2027, 5, 24)


@SETTINGS
@given(text=st.text(max_size=400))
def test_any_yaml_text_is_loaded_or_reported(text):
    document, problems = parse_yaml(text, "rules/x.yaml")
    assert document is not None or problems
    for problem in problems:
        assert str(problem).startswith("rules/x.yaml")


CELLS = st.one_of(
    st.text(max_size=30), st.emails(), st.sampled_from(["", "yes", "CEO", "US", "x@"])
)


@SETTINGS
@given(rows=st.lists(st.lists(CELLS, min_size=0, max_size=6), max_size=12),
       header=st.lists(st.sampled_from(["email", "first_name", "last_name", "title",
                                        "company_domain", "country", "timezone", "owner",
                                        "crm_id", "junk", ""]), min_size=1, max_size=6))  # fmt: skip
def test_any_contacts_csv_imports_whole_rows_or_rejects_them(store, tmp_path, rows, header):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path / "contacts.csv"
    path.write_text(buffer.getvalue())
    with store.database.unit_of_work(read_only=True) as session:
        before = session.scalar(select(func.count()).select_from(Contact))
    try:
        with store.database.unit_of_work() as session:
            report = import_contacts(session, path, datetime(2026, 1, 5, tzinfo=UTC))
    except SignalseqError:
        with store.database.unit_of_work(read_only=True) as session:
            after = session.scalar(select(func.count()).select_from(Contact))
        assert after == before, "a refused file writes nothing"
        return
    with store.database.unit_of_work(read_only=True) as session:
        after = session.scalar(select(func.count()).select_from(Contact))
    assert after - before == report.created
    assert report.rows == report.created + report.updated + report.unchanged + len(report.rejected)

"""Every real feed capture in ../shared/samples/feeds, ingested through the CLI,
and feeds fetched from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from tests.httpserver import Reply, serve

from signalseq.connectors.funding.feed import entry_record

pytestmark = pytest.mark.samples


def _ingest_file(make_workspace, run_cli, path, name="news"):
    make_workspace(
        {
            # the third-party feeds stay where they are: their folder is allowed
            "workspace.yaml": f"name: t\nallowed_paths: ['{Path(path).parent}']\n",
            f"connectors/{name}.yaml": f"type: funding_feed\npath: {path}\n",
        }
    )
    result = run_cli("ingest", "--json")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)
    return report


def _companies(run_cli):
    return sorted(s["company"] for s in json.loads(run_cli("signals", "list", "--json").stdout))


@pytest.mark.parametrize(
    ("file", "entries", "companies", "skipped"),
    [
        (
            "techcrunch_2022-03_wordpress_rss2.xml",
            20,
            ["Eko", "Rokid", "Yuga Labs"],
            {"vc_fund": 1, "acquisition": 1, "ipo": 1, "roundup": 1},
        ),
        (
            "techcrunch_2023-08_wordpress_rss2.xml",
            20,
            ["Configu"],
            {"trend_piece": 1, "financial_results": 1, "roundup": 1, "acquisition": 1},
        ),
        (
            "techcrunch_2011-11_feedburner_rss2.xml",
            20,
            ["Agari"],
            {"ipo": 1, "acquisition": 1, "no_amount_or_round": 1},
        ),
        (
            "inc42_2026-02_regenerated_rss2.xml",
            10,
            ["BotGauge AI", "Elevate Now", "PadCare", "Supertails"],
            {"ipo": 2, "financial_results": 2},
        ),
        ("google_alerts_2019-07_atom.xml", 20, [], {}),
        ("sec_edgar_getcurrent_2021-04_atom.xml", 40, [], {"sec_filing_not_form_d": 40}),
    ],
)
def test_real_feeds(shared_samples, make_workspace, run_cli, file, entries, companies, skipped):
    report = _ingest_file(make_workspace, run_cli, shared_samples / "feeds" / file)
    assert report["read"] == entries
    assert report["stored"] == len(companies)
    assert report["rejected"] == {}, "real feeds have no broken entries"
    for reason, count in skipped.items():
        assert report["skipped"][reason] == count, reason
    assert _companies(run_cli) == companies
    again = json.loads(run_cli("ingest", "--json").stdout)[0]
    assert (again["stored"], again["duplicates"]) == (0, len(companies)), (
        "ingesting twice adds nothing"
    )


def test_bozo_feed_with_entries_is_read_with_a_warning(shared_samples, make_workspace, run_cli):
    report = _ingest_file(
        make_workspace, run_cli, shared_samples / "feeds" / "techcrunch_2011-11_feedburner_rss2.xml"
    )
    assert report["warnings"] and "not well-formed" in report["warnings"][0]
    (agari,) = json.loads(run_cli("signals", "list", "--json").stdout)
    assert agari["attributes"]["url"].startswith("http://techcrunch.com/2011/11/"), (
        "FeedBurner origLink"
    )
    assert agari["attributes"]["investors"] == ["Alloy", "Battery", "Greylock", "First Round"]
    assert agari["occurred_at"].startswith("2011-11-0")


def test_dates_fall_back_to_updated_and_google_links_are_unwrapped(shared_samples):
    edgar = feedparser.parse(shared_samples / "feeds" / "sec_edgar_getcurrent_2021-04_atom.xml")
    records = [entry_record(e) for e in edgar.entries]
    assert all(r["published"] for r in records), "published_parsed is absent: updated is used"
    assert records[0]["published"].startswith("2021-04-17T01:53:26")
    alerts = feedparser.parse(shared_samples / "feeds" / "google_alerts_2019-07_atom.xml")
    links = [entry_record(e)["link"] for e in alerts.entries]
    assert not any("google.com/url" in link for link in links)
    assert links[0].startswith("https://www.aglobalmarketresearch.com/report-offers-prediction")


FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>Northwind Analytics raises $25M Series B led by Acme Capital</title>
<link>https://news.example/northwind</link><guid>n-1</guid>
<pubDate>Tue, 03 Nov 2026 10:00:00 +0000</pubDate></item></channel></rss>"""


def test_http_feed_uses_conditional_get(make_workspace, run_cli):
    def answer(request):
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, FEED, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    with serve(answer) as (url, requests):
        make_workspace(
            {
                "workspace.yaml": "name: t\n",
                "connectors/news.yaml": f"type: funding_feed\nurl: {url}/feed\n",
            }
        )
        first = json.loads(run_cli("ingest", "--json").stdout)[0]
        second = json.loads(run_cli("ingest", "--json").stdout)[0]
    assert first["stored"] == 1
    assert requests[1].headers["if-none-match"] == '"v1"'
    assert second["read"] == 0 and "not modified since the last run" in second["warnings"][0]


def test_http_feed_retries_server_errors_then_succeeds(make_workspace, run_cli):
    answers = iter([Reply(503), Reply(502), Reply(200, FEED)])
    with serve(lambda request: next(answers)) as (url, requests):
        make_workspace(
            {
                "workspace.yaml": "name: t\n",
                "connectors/news.yaml": f"type: funding_feed\nurl: {url}/feed\nretries: 2\n",
            }
        )
        report = json.loads(run_cli("ingest", "--json").stdout)[0]
    assert len(requests) == 3 and report["stored"] == 1


def test_unreachable_or_slow_feed_ends_in_a_dead_letter(make_workspace, run_cli):
    with serve(lambda request: Reply(200, FEED, delay=2.0)) as (url, _requests):
        make_workspace(
            {
                "workspace.yaml": "name: t\n",
                "connectors/news.yaml": (
                    f"type: funding_feed\nurl: {url}/feed\nretries: 0\ntimeout_seconds: 0.3\n"
                ),
            }
        )
        report = json.loads(run_cli("ingest", "--json").stdout)[0]
    assert report["stored"] == 0 and sum(report["rejected"].values()) == 1
    (letter,) = json.loads(run_cli("deadletters", "list", "--json").stdout)
    assert letter["source"] == "news" and "timed out after 0.3s" in letter["reason"]


def test_html_served_as_a_feed_is_a_dead_letter_and_retry_resolves_it(make_workspace, run_cli):
    pages = iter([Reply(200, b"<html><body><h1>Sign in</h1><p>unclosed"), Reply(200, FEED)])
    with serve(lambda request: next(pages)) as (url, _requests):
        make_workspace(
            {
                "workspace.yaml": "name: t\n",
                "connectors/news.yaml": f"type: funding_feed\nurl: {url}/feed\n",
            }
        )
        report = json.loads(run_cli("ingest", "--json").stdout)[0]
        assert report["stored"] == 0
        (letter,) = json.loads(run_cli("deadletters", "list", "--json").stdout)
        assert letter["reason"].startswith("not a readable feed")
        retried = json.loads(run_cli("deadletters", "retry", "--json").stdout)
    assert (retried["retried"], retried["resolved"]) == (1, 1)
    assert json.loads(run_cli("deadletters", "list", "--json").stdout) == []
    assert _companies(run_cli) == ["Northwind Analytics"]


def test_edgar_form_d_filings_become_funding_signals(make_workspace, run_cli):
    atom = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Latest Filings</title>
<entry><title>D - Northwind Analytics Inc. (0009990001) (Issuer)</title>
<link href="https://www.sec.gov/Archives/edgar/data/9990001/x-index.htm"/>
<updated>2026-11-03T16:05:00-05:00</updated><id>urn:tag:sec.gov,2008:accession-number=1</id></entry>
<entry><title>D/A - Northwind Analytics Inc. (0009990001) (Issuer)</title>
<updated>2026-11-04T16:05:00-05:00</updated><id>urn:tag:sec.gov,2008:accession-number=2</id></entry>
<entry><title>4 - Someone (0009990002) (Reporting)</title>
<updated>2026-11-04T16:06:00-05:00</updated><id>urn:tag:sec.gov,2008:accession-number=3</id></entry>
</feed>"""
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "data/edgar.xml": atom,
            "connectors/edgar.yaml": "type: funding_feed\npath: data/edgar.xml\n",
        }
    )
    (report,) = json.loads(run_cli("ingest", "--json").stdout)
    assert report["stored"] == 1
    assert report["skipped"] == {"amendment": 1, "sec_filing_not_form_d": 1}
    (filing,) = json.loads(run_cli("signals", "list", "--json").stdout)
    assert filing["company"] == "Northwind Analytics Inc."
    assert filing["occurred_at"] == "2026-11-03T21:05:00+00:00", "updated date, in UTC"
    assert filing["confidence"] == 0.6 and filing["attributes"]["amount_usd"] is None


UNDATED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>n</title>'
    "<item><title>Orchardline Robotics raises $55M Series B</title><guid>u-1</guid></item>"
    "</channel></rss>"
)
EMPTY = '<?xml version="1.0"?><rss version="2.0"><channel><title>quiet</title></channel></rss>'


def test_an_undated_item_is_kept_dated_by_the_fetch_and_an_empty_feed_is_said_so(
    make_workspace, run_cli
):
    make_workspace({
        "workspace.yaml": "name: t\n",
        "data/undated.xml": UNDATED, "data/empty.xml": EMPTY,
        "connectors/undated.yaml": "type: funding_feed\npath: data/undated.xml\n",
        "connectors/empty.yaml": "type: funding_feed\npath: data/empty.xml\n",
    })  # fmt: skip
    printed = run_cli("--now", "2026-11-30T09:00:00", "ingest", "--json")
    assert printed.exit_code == 0, printed.output
    reports = {r["source"]: r for r in json.loads(printed.stdout)}
    assert reports["undated"]["stored"] == 1  # RSS allows an item without a date
    (signal,) = json.loads(run_cli("signals", "list", "--json").stdout)
    assert signal["occurred_at"].startswith("2026-11-30T09:00")
    assert reports["empty"]["read"] == 0 and reports["empty"]["warnings"] == [
        "empty: the feed has no items"
    ]
    assert json.loads(run_cli("deadletters", "list", "--json").stdout) == []

"""Job changes, website visits, entity resolution and as-of aggregates, end to end."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from signalseq.resolve.matcher import Resolver
from signalseq.signals.aggregates import account_aggregates

ACCOUNTS = (
    "domain,name,tier,country\n"
    "northwind.io,Northwind Analytics Inc.,1,US\n"
    "brightforge.de,Brightforge GmbH,2,DE\n"
    "acme.io,Acme Corp,2,US\n"
)
CONTACTS = (
    "email,first_name,last_name,title,linkedin_url\n"
    "ana.lopez@acme.io,Ana,Lopez,Director of Sales,https://www.linkedin.com/in/ana-lopez\n"
    "bo.chen@northwind.io,Bo,Chen,Sales Manager,\n"
)


@pytest.fixture
def crm(tmp_path, run_cli):
    (tmp_path / "a.csv").write_text(ACCOUNTS)
    (tmp_path / "c.csv").write_text(CONTACTS)
    assert run_cli("import", "accounts", tmp_path / "a.csv", "--strict").exit_code == 0
    assert run_cli("import", "contacts", tmp_path / "c.csv", "--strict").exit_code == 0


def signals(run_cli, kind=None):
    args = ["signals", "list", "--json"] + (["--kind", kind] if kind else [])
    return json.loads(run_cli(*args).stdout)


def test_company_matching_by_domain_name_and_fuzzy(store, crm):
    with store.database.unit_of_work() as session:
        resolver = Resolver(session)
        assert resolver.match_account("Whatever", "https://www.northwind.io/x").method == "domain"
        exact = resolver.match_account("Northwind Analytics, Inc.", None)
        assert (exact.method, exact.status) == ("name", "matched")
        close = resolver.match_account("Brightforge", None)
        assert (close.method, close.status) == ("name", "matched"), "legal suffixes are ignored"
        fuzzy = resolver.match_account("Northwind Analytic", None)
        assert (fuzzy.method, fuzzy.status) == ("fuzzy", "matched") and fuzzy.score >= 92
        review = resolver.match_account("Northwinds Analytix", None)
        assert (review.method, review.status) == ("fuzzy", "needs_review")
        assert 85 <= review.score < 92
        assert resolver.match_account("Zebra Pharmaceuticals", None).status == "unmatched"
        assert resolver.match_account(None, "gmail.com").status == "unmatched", (
            "free mail is no company"
        )


def test_job_change_records_and_snapshot_diff(make_workspace, run_cli, crm):
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "connectors/changes.yaml": "type: job_changes\npath: data/changes.jsonl\n",
            "connectors/snapshots.yaml": (
                "type: job_snapshots\nprevious: data/before.csv\n"
                'current: data/after.csv\nobserved_at: "2026-11-01"\n'
            ),
            "data/changes.jsonl": "\n".join(
                [
                    json.dumps(
                        {
                            "id": "jc-1",
                            "person": {
                                "name": "Ana Lopez",
                                "linkedin_url": "https://linkedin.com/in/ana-lopez/",
                            },
                            "previous": {"company_name": "Acme Corp", "title": "Director of Sales"},
                            "current": {
                                "company_name": "Northwind Analytics",
                                "company_domain": "northwind.io",
                                "title": "VP Sales",
                                "started_on": "2026-10-01",
                            },
                        }
                    ),
                    json.dumps(
                        {
                            "id": "jc-2",
                            "person": {"name": "Cy Dunn"},
                            "previous": {"company_name": "Acme", "title": "VP, Sales"},
                            "current": {
                                "company_name": "Acme",
                                "title": "Vice President of Sales",
                                "started_on": "2026-10-03",
                            },
                        }
                    ),
                    "{broken",
                ]
            )
            + "\n",
            "data/before.csv": (
                "crm_id,name,email,company,company_domain,title\n"
                "1,Bo Chen,bo.chen@northwind.io,Northwind Analytics,northwind.io,Sales Manager\n"
                "2,Di Egan,di@acme.io,Acme Corp,acme.io,Engineer\n"
                "3,Ed Fox,ed@acme.io,Acme Corp,acme.io,Sr. Director Eng\n"
            ),
            "data/after.csv": (
                "crm_id,name,email,company,company_domain,title\n"
                "1,Bo Chen,bo.chen@northwind.io,Northwind Analytics,northwind.io,Head of Sales\n"
                '3,Ed Fox,ed@acme.io,Acme Corp,acme.io,"Senior Director, Engineering"\n'
            ),
        }
    )
    reports = {r["source"]: r for r in json.loads(run_cli("ingest", "--json").stdout)}
    assert reports["changes"]["stored"] == 1
    assert reports["changes"]["skipped"] == {"no_change": 1}, "a reworded title is not a change"
    assert list(reports["changes"]["rejected"]) == [
        "invalid JSON: Expecting property name enclosed in double quotes at column 2"
    ]
    assert reports["snapshots"]["stored"] == 2 and reports["snapshots"]["skipped"] == {
        "no_change": 1
    }
    by_person = {s["person"]: s for s in signals(run_cli, "job_change")}
    ana = by_person["Ana Lopez"]
    assert ana["subtype"] == "new_company" and ana["account_match"] == "domain"
    assert ana["contact_match"] == "linkedin", "found by LinkedIn slug, not by the old e-mail"
    assert ana["attributes"]["current"]["seniority"] == "vp"
    bo = by_person["Bo Chen"]
    assert (bo["subtype"], bo["contact_match"]) == ("promotion", "email")
    assert by_person["Di Egan"]["subtype"] == "departure"
    letters = json.loads(run_cli("deadletters", "list", "--json").stdout)
    assert [d["location"] for d in letters] == ["data/changes.jsonl:3"]


def test_visits_resolve_by_email_group_and_ip_and_keep_the_unresolved(make_workspace, run_cli, crm):
    events = [
        {
            "type": "page",
            "anonymousId": "v1",
            "messageId": "m1",
            "timestamp": "2026-11-01T10:00:00Z",
            "context": {"traits": {"email": "ops@acme.io"}},
            "properties": {"path": "/pricing"},
        },
        {
            "type": "page",
            "anonymousId": "v2",
            "messageId": "m2",
            "timestamp": "2026-11-01T11:00:00Z",
            "context": {"groupId": "northwind.io"},
            "properties": {"path": "/careers/eng"},
        },
        {
            "type": "page",
            "anonymousId": "v3",
            "messageId": "m3",
            "timestamp": "2026-11-01T12:00:00Z",
            "context": {"ip": "203.0.113.77"},
            "properties": {"url": "https://x.example/customers/acme"},
        },
        {
            "type": "page",
            "anonymousId": "v4",
            "messageId": "m4",
            "timestamp": "2026-11-01T13:00:00Z",
            "context": {"ip": "198.51.100.9", "traits": {"email": "me@gmail.com"}},
            "properties": {"path": "/pricing"},
        },
        {"type": "track", "userId": "u5", "messageId": "m5", "timestamp": "not a time"},
    ]
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "connectors/site.yaml": "type: website_visits\npath: data/events.jsonl\nip_ranges: data/ips.csv\n",
            "data/events.jsonl": "\n".join(json.dumps(e) for e in events) + "\n",
            "data/ips.csv": "cidr,company_name,domain\n203.0.113.0/24,Brightforge GmbH,brightforge.de\n",
        }
    )
    (report,) = json.loads(run_cli("ingest", "--json").stdout)
    assert (report["stored"], report["by_status"]) == (4, {"matched": 3, "unmatched": 1})
    assert list(report["rejected"]) == ["timestamp: missing or not ISO-8601"]
    by_id = {s["attributes"]["anonymous_id"]: s for s in signals(run_cli)}
    assert (by_id["v1"]["domain"], by_id["v1"]["subtype"]) == ("acme.io", "pricing")
    assert (by_id["v2"]["domain"], by_id["v2"]["subtype"]) == ("northwind.io", "careers")
    assert (by_id["v3"]["domain"], by_id["v3"]["subtype"]) == ("brightforge.de", "case_study")
    assert by_id["v4"]["match_status"] == "unmatched", "a free-mail visitor is kept, unresolved"


def test_rb2b_sample_is_read_leniently(make_workspace, run_cli, shared_samples):
    make_workspace(
        {
            "workspace.yaml": f"name: t\nallowed_paths: ['{shared_samples}/visits']\n",
            "connectors/rb2b.yaml": f"type: website_visits\npath: {shared_samples}/visits/rb2b_webhook_example.txt\n",
        }
    )
    (report,) = json.loads(run_cli("ingest", "--json").stdout)
    assert report["stored"] == 1, "trailing comma and odd timestamp are forgiven"
    (visit,) = signals(run_cli)
    assert (visit["domain"], visit["person"], visit["subtype"]) == (
        "retention.com",
        "Adam Robinson",
        "pricing",
    )
    assert visit["email"] is None, "the published e-mail is obfuscated, so it is dropped"
    assert visit["occurred_at"].startswith("2024-01-01T12:34:56")


def test_aggregates_are_computed_as_of_a_moment(make_workspace, run_cli, store, crm):
    def visit(n, day, path, who):
        return {
            "type": "page",
            "anonymousId": who,
            "messageId": f"m{n}",
            "timestamp": f"2026-11-{day:02d}T10:00:00Z",
            "context": {"groupId": "acme.io"},
            "properties": {"path": path},
        }

    events = [
        visit(1, 1, "/pricing", "a"),
        visit(2, 3, "/pricing", "b"),
        visit(3, 5, "/pricing", "a"),
        visit(4, 5, "/careers", "c"),
        visit(5, 9, "/docs", "a"),
        visit(6, 20, "/pricing", "d"),
    ]
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "connectors/site.yaml": "type: website_visits\npath: data/e.jsonl\n",
            "data/e.jsonl": "\n".join(json.dumps(e) for e in events) + "\n",
        }
    )
    run_cli("ingest")
    with store.database.unit_of_work() as session:
        from signalseq.crm.repository import account_by_domain

        acme = account_by_domain(session, "acme.io")
        facts = account_aggregates(session, acme.id, datetime(2026, 11, 7, tzinfo=UTC))
        later = account_aggregates(session, acme.id, datetime(2026, 11, 25, tzinfo=UTC))
    assert facts["pricing_visits_7d"] == 3
    assert facts["visits_7d"] == 3 and facts["careers_visits_7d"] == 1
    assert facts["distinct_visitors_14d"] == 3
    assert facts["days_since_last_visit"] == 1
    assert later["pricing_visits_7d"] == 1 and later["days_since_last_visit"] == 4, "whole days"
    shown = json.loads(
        run_cli("accounts", "facts", "acme.io", "--as-of", "2026-11-07", "--json").stdout
    )
    assert shown["facts"] == facts
    assert {"account.tier", "account.industry", "account.employees"} <= set(shown["account"])
    table = run_cli("accounts", "facts", "acme.io", "--as-of", "2026-11-07").stdout
    assert "account.tier" in table and "account.employees" in table


def test_unknown_companies_become_prospect_accounts_only_when_asked(make_workspace, run_cli, crm):
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>n</title>'
        "<item><title>Orchardline Robotics raises $55M Series B</title><guid>o-1</guid>"
        "<pubDate>Mon, 02 Nov 2026 09:00:00 +0000</pubDate></item></channel></rss>"
    )
    make_workspace(
        {
            "workspace.yaml": "name: t\n",
            "data/feed.xml": feed,
            "connectors/news.yaml": "type: funding_feed\npath: data/feed.xml\n",
        }
    )
    run_cli("ingest")
    assert signals(run_cli)[0]["match_status"] == "unmatched"
    assert len(json.loads(run_cli("accounts", "list", "--json").stdout)) == 3
    make_workspace(
        {
            "connectors/news2.yaml": "type: funding_feed\npath: data/feed.xml\ncreate_accounts: true\n"
        }
    )
    run_cli("ingest", "--source", "news2")
    created = [
        a
        for a in json.loads(run_cli("accounts", "list", "--json").stdout)
        if a["source"] == "prospect"
    ]
    assert [a["name"] for a in created] == ["Orchardline Robotics"]
    newest = [s for s in signals(run_cli) if s["source"] == "news2"][0]
    assert (newest["match_status"], newest["account_match"]) == ("matched", "created")

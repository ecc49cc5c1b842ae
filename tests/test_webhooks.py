"""Signed HTTP intake: what a sender sees, and what lands in the store."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient

from signalseq.settings import Settings
from signalseq.signals.webhooks import sign
from signalseq.web.app import create_app

SECRET = "s3cret-for-tests-only"
WORKSPACE = {
    "workspace.yaml": "name: t\n",
    "connectors/crm-hook.yaml": "type: webhook\nsecret_env: HOOK_SECRET\n",
    "connectors/site.yaml": "type: website_visits\nsecret_env: SITE_SECRET\n",
}
SIGNAL = {
    "kind": "funding",
    "occurred_at": "2026-11-02T09:00:00Z",
    "source_event_id": "evt-1",
    "company": {"name": "Northwind Analytics", "domain": "northwind.io"},
    "attributes": {"round": "series_b", "amount_usd": 25000000},
}


@pytest.fixture
def client(make_workspace, store, monkeypatch):
    root = make_workspace(WORKSPACE)
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    monkeypatch.setenv("SITE_SECRET", SECRET)
    settings = Settings(workspace=root, database_url=store.url, webhook_max_bytes=4096)
    with TestClient(create_app(settings, store.database)) as test_client:
        yield test_client


def post(client, path, payload, *, source="crm-hook", secret=SECRET, stamp=None, body=None):
    raw = body if body is not None else json.dumps(payload).encode()
    stamp = stamp or int(time.time())
    headers = {
        "X-Signalseq-Source": source,
        "X-Signalseq-Timestamp": str(stamp),
        "X-Signalseq-Signature": sign(secret, stamp, raw),
        "Content-Type": "application/json",
    }
    return client.post(path, content=raw, headers=headers)


def dead_letters(store):
    from signalseq.deadletters.repository import list_open

    with store.database.unit_of_work() as session:
        return [(d.source, d.reason) for d in list_open(session)]


def test_signed_signal_is_accepted_and_stored_once(client, store):
    now = int(time.time())
    response = post(client, "/api/v1/signals", SIGNAL, stamp=now)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "duplicates": 0, "not_signals": 0, "rejected": []}
    again = post(client, "/api/v1/signals", SIGNAL, stamp=now - 7)
    assert again.json()["duplicates"] == 1, (
        "a re-delivered event id is a duplicate, not a new signal"
    )
    from signalseq.signals.repository import list_signals

    with store.database.unit_of_work() as session:
        (stored,) = list_signals(session)
        assert (stored.source, stored.company_domain, stored.subtype) == (
            "crm-hook",
            "northwind.io",
            "series_b",
        )


def test_replayed_delivery_is_refused(client, store):
    stamp = int(time.time())
    assert post(client, "/api/v1/signals", SIGNAL, stamp=stamp).status_code == 200
    replay = post(client, "/api/v1/signals", SIGNAL, stamp=stamp)
    assert replay.status_code == 401
    assert replay.json() == {
        "error": {
            "code": "bad_signature",
            "message": "replayed delivery: this signature was already accepted",
        }
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stamp": 1_600_000_000}, "stale timestamp: more than 300s from now"),
        ({"secret": "not-the-secret"}, "signature does not match"),
    ],
)
def test_stale_or_forged_requests_are_refused_and_dead_lettered(client, store, kwargs, message):
    response = post(client, "/api/v1/signals", SIGNAL, **kwargs)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == message
    assert dead_letters(store) == [("webhook:crm-hook", message)]


def test_missing_signature_is_refused(client):
    response = client.post(
        "/api/v1/signals", json=SIGNAL, headers={"X-Signalseq-Source": "crm-hook"}
    )
    assert response.status_code == 401


def test_invalid_json_is_400_and_dead_lettered(client, store):
    response = post(client, "/api/v1/signals", None, body=b'{"kind": "funding",')
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_payload"
    assert dead_letters(store)[0][0] == "crm-hook"


def test_oversized_body_is_413(client):
    response = post(client, "/api/v1/signals", None, body=b"[" + b" " * 5000 + b"]")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unknown_source_is_404(client):
    assert post(client, "/api/v1/signals", SIGNAL, source="nope").status_code == 404
    assert post(client, "/api/v1/signals", SIGNAL, source="site").status_code == 404, (
        "a website_visits source does not take canonical signals"
    )


def test_batch_reports_which_items_were_rejected_and_why(client, store):
    bad = {**SIGNAL, "source_event_id": "evt-2", "kind": "rumour"}
    response = post(client, "/api/v1/signals", {"signals": [SIGNAL, bad, "x"]})
    body = response.json()
    assert body["accepted"] == 1
    assert [r["item"] for r in body["rejected"]] == ["item 1", "item 2"]
    assert body["rejected"][0]["reason"].startswith("kind: Input should be")
    assert len(dead_letters(store)) == 2


def test_unset_secret_is_503(client, monkeypatch):
    monkeypatch.delenv("HOOK_SECRET")
    response = post(client, "/api/v1/signals", SIGNAL)
    assert response.status_code == 503
    assert "HOOK_SECRET" in response.json()["error"]["message"]


@pytest.mark.samples
def test_segment_sample_events_and_identify_across_requests(client, store, shared_samples):
    page = json.loads((shared_samples / "visits" / "segment_spec_page_call.json").read_text())
    assert post(client, "/api/v1/segment", page, source="site").json()["accepted"] == 1
    identify = {
        "type": "identify",
        "anonymousId": "anon-7",
        "traits": {"email": "jo@northwind.io"},
        "messageId": "id-1",
    }
    visit = {
        "type": "page",
        "anonymousId": "anon-7",
        "messageId": "pv-1",
        "timestamp": "2026-11-03T10:00:00Z",
        "properties": {"path": "/pricing"},
    }
    assert post(client, "/api/v1/segment", identify, source="site").json()["not_signals"] == 1
    assert (
        post(client, "/api/v1/segment", {"batch": [visit]}, source="site").json()["accepted"] == 1
    )
    from signalseq.signals.repository import list_signals

    with store.database.unit_of_work() as session:
        newest = list_signals(session)[0]
        assert (newest.company_domain, newest.person_email, newest.subtype) == (
            "northwind.io",
            "jo@northwind.io",
            "pricing",
        )


def test_openapi_documents_the_intake(client):
    schema = client.get("/openapi.json").json()
    assert {"/api/v1/signals", "/api/v1/segment"} <= set(schema["paths"])
    assert "SignalIn" in schema["components"]["schemas"]
    operation = schema["paths"]["/api/v1/signals"]["post"]
    assert {"401", "413"} <= set(operation["responses"])

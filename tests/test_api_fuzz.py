"""The HTTP API under schemathesis (from its own OpenAPI schema) and hypothesis: no
request, signed or not, well-formed or not, makes the app answer 5xx."""

from __future__ import annotations

import json
import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from signalseq.settings import Settings
from signalseq.signals.webhooks import sign
from signalseq.web.app import create_app

SECRET = "fuzz-webhook-secret-0123456789"
WORKSPACE = {
    "workspace.yaml": "name: t\n",
    "connectors/hooks.yaml": "type: webhook\nsecret_env: FUZZ_SECRET\n",
    "connectors/site.yaml": "type: website_visits\nsecret_env: FUZZ_SECRET\n",
}


@pytest.fixture
def app(store, make_workspace, monkeypatch):
    root = make_workspace(WORKSPACE)
    monkeypatch.setenv("FUZZ_SECRET", SECRET)
    settings = Settings(_env_file=None, workspace=root, database_url=store.url,
                        secret_key="fuzz-secret-key-0123456789abcdef",
                        inbound_webhook_secret=SECRET)  # fmt: skip
    return create_app(settings, store.database)


@schemathesis.serializer("message/rfc822")
def _rfc822(_context, value):
    return value if isinstance(value, bytes) else str(value).encode()


def test_no_request_from_the_schema_gets_a_5xx(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {o.label for o in operations} >= {"POST /api/v1/signals", "POST /api/v1/segment",
                                             "POST /api/v1/inbound/email",
                                             "POST /api/v1/inbound/events"}  # fmt: skip
    seen = []

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=st.one_of([o.as_strategy() for o in operations]))
    def run(case):
        response = case.call()
        seen.append(case.operation.label)
        case.validate_response(response, checks=(not_a_server_error,))

    run()
    assert len(set(seen)) >= 4, "every operation was exercised"


JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=15,
)  # fmt: skip
BODIES = st.one_of(JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=400))
ROUTES = st.sampled_from([("/api/v1/signals", "hooks"), ("/api/v1/segment", "site"),
                          ("/api/v1/inbound/email", None), ("/api/v1/inbound/events", None)])  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(route=ROUTES, body=BODIES)
def test_signed_garbage_gets_a_clear_4xx_never_a_5xx(app, route, body):
    path, source = route
    stamp = int(time.time())
    headers = {
        "X-Signalseq-Timestamp": str(stamp),
        "X-Signalseq-Signature": sign(SECRET, stamp, body),
    }
    if source:
        headers["X-Signalseq-Source"] = source
    response = TestClient(app).post(path, content=body, headers=headers)
    assert response.status_code < 500, (path, body[:80], response.text[:200])
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}, "one error shape"

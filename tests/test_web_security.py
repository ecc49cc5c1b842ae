"""Every route of the web app, without a session: pages redirect to the sign-in, forms
and actions answer 401, nothing leaks. Public routes are exactly the ones meant to be:
health, sign-in, static files, the signed webhooks and the signed unsubscribe link."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from signalseq.settings import Settings
from signalseq.web.app import create_app

PUBLIC = {
    ("GET", "/"),  # a redirect to /queue, which asks for the sign-in
    ("GET", "/healthz"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/u/{token}"),
    ("POST", "/u/{token}"),
    ("POST", "/api/v1/signals"),
    ("POST", "/api/v1/segment"),
    ("POST", "/api/v1/inbound/email"),
    ("POST", "/api/v1/inbound/events"),
}


def routes(app):
    """Every (method, path), through included routers too."""
    for route in app.routes:
        inner = getattr(route, "original_router", None)  # an included router
        prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
        for leaf in inner.routes if inner is not None else [route]:
            if isinstance(leaf, APIRoute):
                path = leaf.path if leaf.path.startswith(prefix) else prefix + leaf.path
                for method in leaf.methods - {"HEAD"}:
                    yield method, path
            elif isinstance(leaf, Mount):
                assert leaf.path == "/static", f"unexpected mount {leaf.path}"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_no_route_serves_anything_without_a_session(store, tmp_path):
    settings = Settings(_env_file=None, workspace=tmp_path, database_url=store.url)
    app = create_app(settings, store.database)
    client = TestClient(app, follow_redirects=False)
    private = [(m, p) for m, p in routes(app) if (m, p) not in PUBLIC and not p.startswith("/docs")
               and p not in ("/openapi.json", "/docs/oauth2-redirect", "/redoc")]  # fmt: skip
    assert len(private) >= 14, private
    for method, path in private:
        response = client.request(method, concrete(path))
        if method == "GET":
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/login?next=")
        else:
            assert response.status_code == 401, (method, path, response.status_code)
        for header in ("content-security-policy", "x-frame-options", "referrer-policy",
                       "x-content-type-options"):  # fmt: skip
            assert header in response.headers, (path, header)
    public = {(m, p) for m, p in routes(app)} & PUBLIC
    assert public == PUBLIC, "every public route is known and intended"

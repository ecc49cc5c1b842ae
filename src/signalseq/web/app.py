"""The one FastAPI app (``signalseq serve``)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from signalseq import __version__
from signalseq.clock import Clock, clock_for
from signalseq.inbound.events import EventIn
from signalseq.settings import Settings
from signalseq.signals.schemas import SignalIn
from signalseq.store.db import Database
from signalseq.web import (
    auth_pages,
    dashboard_pages,
    errors,
    inbound_routes,
    intake,
    review_pages,
    security,
    task_pages,
)
from signalseq.web.state import AppState
from signalseq.web.templating import HERE


def create_app(
    settings: Settings, database: Database | None = None, clock: Clock | None = None
) -> FastAPI:
    app = FastAPI(
        title="signalseq",
        version=__version__,
        description="Signal and inbound intake, the review queue, tasks, and unsubscribe.",
    )
    app.state.signalseq = AppState(
        settings,
        database or Database(settings.resolved_database_url),
        clock or clock_for(settings.now),
    )
    errors.install(app)
    security.install(app)
    app.include_router(intake.router)
    app.include_router(auth_pages.router)
    app.include_router(review_pages.router)
    app.include_router(task_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(inbound_routes.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/healthz", tags=["ops"], summary="Liveness: the app answers")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    original_openapi = app.openapi

    def openapi() -> dict[str, object]:
        schema = original_openapi()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        signal = SignalIn.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(signal.pop("$defs", {}))
        components["SignalIn"] = signal
        components["EventIn"] = EventIn.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app

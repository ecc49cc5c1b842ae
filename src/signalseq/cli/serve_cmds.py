"""``serve``: the web app (signal intake now; review queue and unsubscribe later)."""

from __future__ import annotations

import typer

from signalseq.cli.context import state


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    ) -> None:
        """Start the web app: signed webhook intake (/api/v1/signals, /api/v1/segment)."""
        import uvicorn

        from signalseq.web.app import create_app

        cli = state(ctx)
        application = create_app(cli.settings, cli.database, cli.clock)
        cli.err.print(f"signalseq serving on http://{host}:{port} (API docs at /docs)")
        proxies = cli.settings.trusted_proxies
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level=cli.settings.log_level.lower(),
            proxy_headers=bool(proxies),  # never believe X-Forwarded-For unless configured
            forwarded_allow_ips=proxies or "",
        )

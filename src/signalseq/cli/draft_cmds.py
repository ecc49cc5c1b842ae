"""``draft preview|show``: what a touch's prompt looks like, and what was drafted."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from signalseq.cli.context import print_json, state
from signalseq.drafting import service as drafting
from signalseq.enrollments.models import Touch
from signalseq.errors import NotFoundError
from signalseq.rules.watcher import RulesWatcher

draft_app = typer.Typer(help="Drafts: preview a touch's prompt, show what was drafted.")


@draft_app.command("preview")
def preview(
    ctx: typer.Context,
    touch_id: int = typer.Argument(..., help="Touch id (see `enrollments list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Print the rendered prompt (system and user messages) and the research context the
    touch would be drafted from now. Nothing is sent to a model and nothing is stored."""
    cli = state(ctx)
    rules = RulesWatcher(cli.settings.workspace_path).current()
    with cli.database.unit_of_work() as session:
        touch = session.get(Touch, touch_id)
        if touch is None:
            raise NotFoundError(f"no touch {touch_id}")
        job = drafting.prepare(session, touch, rules.prompts, cli.clock.now())
    data: dict[str, Any] = {
        "touch_id": touch_id,
        "prompt": {
            "id": job.prompt.id,
            "version": job.prompt.version,
            "template_sha256": job.prompt.source_sha256,
            "origin": rules.prompts.origin,
        },
        "messages": job.rendered.messages,
        "messages_sha256": job.rendered.messages_sha256,
        "context": job.context.plain(),
    }
    if as_json:
        print_json(data)
        return
    out = cli.out
    out.print(
        f"[bold]touch {touch_id}[/bold] — prompt {job.prompt.id} v{job.prompt.version} "
        f"({rules.prompts.origin}), messages sha256 {job.rendered.messages_sha256[:12]}"
    )
    for message in job.rendered.messages:
        out.rule(message["role"])
        out.print(escape(message["content"]), highlight=False)


@draft_app.command("show")
def show(
    ctx: typer.Context,
    touch_id: int = typer.Argument(..., help="Touch id."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Print a touch's draft, its guardrail results and how it was written."""
    cli = state(ctx)
    with cli.database.unit_of_work() as session:
        data = drafting.describe(*drafting.find_draft(session, touch_id))
    if as_json:
        print_json(data)
    else:
        print_draft(data, cli.out)


def print_draft(data: dict[str, Any], out: Console) -> None:
    how = f"{data['drafter']} ({data['model']})"
    if data["endpoint_host"]:
        how += f" at {data['endpoint_host']}, {data['latency_ms']} ms, {data['retries']} re-ask(s)"
    out.print(
        f"[bold]touch {data['touch_id']}[/bold] {data['channel']} step {data['step']} — "
        f"prompt {data['prompt']['id']} v{data['prompt']['version']}, drafted by {how}"
    )
    if data["subject"]:
        out.print(f"Subject: {escape(data['subject'])}", highlight=False)
    out.print(escape(data["body"]), highlight=False)
    checks = Table("check", "result", "detail", title="Guardrails")
    for check in data["guardrails"]:
        checks.add_row(
            check["name"], "ok" if check["ok"] else "[red]FAILED[/red]", escape(check["message"])
        )
    out.print(checks)


def register(app: typer.Typer) -> None:
    app.add_typer(draft_app, name="draft")

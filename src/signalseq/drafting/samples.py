"""Invented research contexts, one per signal kind, that ``validate`` renders every prompt
against: the same shape a real touch produces, so a template that renders here renders
in production."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from signalseq.crm.models import Account, Contact
from signalseq.drafting.context import PreviousTouch, ResearchContext, assemble
from signalseq.drafting.prompts import PromptFile
from signalseq.drafting.sender import SenderProfile
from signalseq.enrollments.models import Touch
from signalseq.signals.models import Signal

SAMPLE_KINDS = ("funding", "job_change", "website_visit")
_NOW = datetime(2026, 1, 14, 15, 0, tzinfo=UTC)
_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "funding": {
        "headline": "Example Co raises $10M Series A led by Example Ventures",
        "url": "https://news.example/example-co",
        "round": "series_a",
        "amount": "10000000",
        "currency": "USD",
        "amount_usd": 10_000_000,
        "lead_investors": ["Example Ventures"],
        "investors": ["Example Ventures", "Sample Capital"],
    },
    "job_change": {
        "change_type": "new_company",
        "previous": {"title": "Director of Sales", "company_name": "Old Example"},
        "current": {"title": "VP Sales", "company_name": "Example Co"},
    },
    "website_visit": {
        "path": "/pricing",
        "page_title": "Pricing",
        "page_category": "pricing",
    },
}


def sample_context(kind: str, sender: SenderProfile, prompt: PromptFile) -> ResearchContext:
    signal = Signal(
        kind=kind,
        occurred_at=datetime(2026, 1, 12, 9, 0, tzinfo=UTC),
        source="sample",
        company_name="Example Co",
        attributes=_ATTRIBUTES[kind],
    )
    step_index = 0 if prompt.purpose in ("opener", "connect") else 2
    touch = Touch(
        branch="main",
        step_id=prompt.purpose,
        step_index=step_index,
        channel=prompt.channel,
        purpose=prompt.purpose,
        prompt=prompt.id,
        thread="continue" if prompt.purpose == "bump" else None,
    )
    previous = (
        [
            PreviousTouch(
                "opener", "email", "opener", "Example Co's next stage", "Hi Ada,\n\nA note.", _NOW
            )
        ]
        if step_index
        else []
    )
    return assemble(
        touch=touch,
        contact=Contact(
            first_name="Ada",
            full_name="Ada Example",
            title="VP Sales",
            seniority="vp",
            department="sales",
            country="US",
        ),
        account=Account(
            name="Example Co",
            domain="example.com",
            industry="Software",
            employees=120,
            tier=2,
            country="US",
        ),
        signal=signal,
        visits=[signal] if kind == "website_visit" else [],
        previous=previous,
        sender=sender,
        prompt=prompt,
        now=_NOW,
    )


def sample_variables(kind: str, sender: SenderProfile, prompt: PromptFile) -> dict[str, Any]:
    return sample_context(kind, sender, prompt).prompt_variables()

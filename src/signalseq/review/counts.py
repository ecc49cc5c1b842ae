"""Counters kept beside the queue, in the same transactions that change it: pending items
per facet (reason, sequence, rule, account tier) and approvals per sequence and prompt
version. Reading them costs the same with 100 items or 100,000."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from signalseq.review.models import ReviewCount, ReviewItem

PENDING = "pending:"
APPROVED = "approved:"


def item_facets(item: ReviewItem) -> list[str]:
    facets = ["all", f"sequence:{item.sequence_id}", f"rule:{item.rule_id}"]
    facets.append(f"tier:{item.account_tier}" if item.account_tier is not None else "tier:none")
    facets += [f"reason:{reason['code']}" for reason in item.reasons]
    return [PENDING + facet for facet in facets]


def approval_facet(code: str, name: str, version: int | None) -> str:
    """The counter of approvals of one sequence or prompt version (``code`` is
    ``new_sequence_version`` or ``new_prompt_version``)."""
    kind = "sequence" if code == "new_sequence_version" else "prompt"
    return f"{APPROVED}{kind}:{name}@{version}"


def bump(session: Session, facets: Iterable[str], delta: int) -> None:
    """Add ``delta`` to each counter (created at 0), in a fixed order so two
    transactions never wait on each other's counters in a cycle."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for facet in sorted(set(facets)):
        statement = insert(ReviewCount).values(facet=facet, value=delta)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[ReviewCount.facet], set_={"value": ReviewCount.value + delta}
            )
        )


def value(session: Session, facet: str) -> int:
    return session.scalar(select(ReviewCount.value).where(ReviewCount.facet == facet)) or 0


def pending(session: Session) -> dict[str, int]:
    """Pending items per facet (``all``, ``reason:first_touch``, ``sequence:…``…), zeros
    left out."""
    rows = session.execute(
        select(ReviewCount.facet, ReviewCount.value).where(
            ReviewCount.facet.startswith(PENDING), ReviewCount.value > 0
        )
    )
    return {facet.removeprefix(PENDING): count for facet, count in rows}

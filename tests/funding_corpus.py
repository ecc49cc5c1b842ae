"""Scores funding extraction on our labelled real headlines — the rows of
``funding_headlines.tsv`` and of ``real_headlines_pool.tsv`` labelled in tests/fixtures —
beside a naive regex: precision and recall of "this is a company raising money", and,
on the raises found, the amount and the exact company. Shared by the test and
``benchmarks/funding_accuracy.py``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from tests.fixtures.funding_labels import LABELS
from tests.fixtures.funding_pool_labels import POOL_LABELS

from signalseq.connectors.funding.extract import NotFunding, extract_funding
from signalseq.connectors.funding.money import find_amounts


@dataclass(frozen=True)
class Guess:
    company: str
    amount: Decimal | None
    currency: str | None
    amount_usd: int | None


@dataclass(frozen=True)
class Row:
    where: str  # file:line
    headline: str
    company: str | None  # None: not a raise
    amount: Decimal | None
    currency: str | None
    amount_usd: int | None  # the older labels give the amount in USD


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    amount_ok: int = 0
    amount_total: int = 0
    company_ok: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    @property
    def amount(self) -> float:
        return self.amount_ok / max(self.amount_total, 1)

    @property
    def company(self) -> float:
        return self.company_ok / max(self.tp, 1)


def rows(samples: Path) -> list[Row]:
    found = []
    lines = (samples / "feeds" / "funding_headlines.tsv").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        label = LABELS[number]
        headline = line.split("\t")[0]
        if isinstance(label, str):
            found.append(Row(f"funding_headlines.tsv:{number}", headline, None, None, None, None))
        else:
            company, _round, usd, currency = label
            found.append(
                Row(f"funding_headlines.tsv:{number}", headline, company, None, currency, usd)
            )
    pool = (samples / "feeds" / "real_headlines_pool.tsv").read_text(encoding="utf-8").splitlines()
    for number, label in sorted(POOL_LABELS.items()):
        headline = pool[number - 1].split("\t")[0]
        if isinstance(label, str):
            found.append(Row(f"real_headlines_pool.tsv:{number}", headline, None, None, None, None))
        else:
            company, amount, currency = label
            value = Decimal(str(amount)) if amount is not None else None
            found.append(
                Row(f"real_headlines_pool.tsv:{number}", headline, company, value, currency, None)
            )
    return found


def extractor(headline: str) -> Guess | None:
    try:
        found = extract_funding(headline)
    except NotFunding:
        return None
    return Guess(found.company, found.amount, found.currency, found.amount_usd)


_NAIVE = re.compile(
    r"^(?P<company>.+?)\s+(?:raises|raised|secures|closes|lands|bags|nabs|snags|picks up|gets)\b"
    r".*?[$€£₹]\s?\d",
    re.IGNORECASE,
)


def naive(headline: str) -> Guess | None:
    """The baseline: a raise verb, then money."""
    match = _NAIVE.search(headline)
    if not match:
        return None
    money = next(iter(find_amounts(headline)), None)
    return Guess(match["company"].strip(), money.amount if money else None,
                 money.currency if money else None, None)  # fmt: skip


def score(samples: Path, guess: Callable[[str], Guess | None]) -> Score:
    result = Score()
    for row in rows(samples):
        got = guess(row.headline)
        if row.company is None:
            if got is not None:
                result.fp += 1
                result.errors.append(f"{row.where} not a raise, read as {got.company!r}")
            continue
        if got is None:
            result.fn += 1
            result.errors.append(f"{row.where} missed {row.company!r}")
            continue
        result.tp += 1
        if got.company.casefold() == row.company.casefold():
            result.company_ok += 1
        else:
            result.errors.append(f"{row.where} company {got.company!r}, not {row.company!r}")
        if row.amount is not None or row.amount_usd is not None:
            result.amount_total += 1
            if row.amount is not None:
                ok = (
                    got.amount is not None
                    and got.amount == row.amount
                    and got.currency == row.currency
                )
            else:
                ok = got.amount_usd == row.amount_usd
            result.amount_ok += ok
            if not ok:
                result.errors.append(f"{row.where} amount {got.amount} {got.currency}")
    return result

"""Scoring the inbound classifier on the labelled third-party corpus in
``../shared/samples/inbound`` (read in place, never copied): precision and recall per
class, failed-recipient accuracy, return dates. Used by the test and
``benchmarks/inbound_accuracy.py``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from signalseq.inbound.classify import Classification, classify
from signalseq.inbound.parse import UnreadableMessage, parse

# a message without a Date header is read as received now; the corpus is old mail
RECEIVED = datetime(2010, 1, 1, tzinfo=UTC)
# Our own reading of rows whose label contradicts the labels file's stated mapping
# ("soft = over quota"), as SOURCES.md allows (a table keyed by path). Scored both ways:
# the benchmark prints the figures as labelled too.
CORRECTIONS = {
    "flufl/dsn_01.txt": "soft_bounce",  # Status: 5.0.0 (recipient reached disk quota)
    "flufl/simple_38.txt": "soft_bounce",  # "was automatically rejected: Quota exceeded"
}


@dataclass(frozen=True)
class Label:
    path: str
    expected: str
    accept: frozenset[str]  # empty: not scored
    recipients: frozenset[str]
    return_dates: frozenset[date] | None  # empty: states none; None: not checked


@dataclass
class Score:
    rows: int = 0
    correct: int = 0
    by_class: dict[str, Counter[str]] = field(default_factory=dict)  # tp, fn, fp
    recipients: Counter[str] = field(default_factory=Counter)  # right, wrong
    return_dates: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def count(self, name: str, what: str) -> None:
        self.by_class.setdefault(name, Counter())[what] += 1

    def precision(self, name: str) -> float:
        c = self.by_class.get(name, Counter())
        return c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0

    def recall(self, name: str) -> float:
        c = self.by_class.get(name, Counter())
        return c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0

    def support(self, name: str) -> int:
        c = self.by_class.get(name, Counter())
        return c["tp"] + c["fn"]

    @property
    def recipient_accuracy(self) -> float:
        total = self.recipients["right"] + self.recipients["wrong"]
        return self.recipients["right"] / total if total else 1.0

    def table(self) -> str:
        lines = [f"{'class':<16}{'support':>8}{'precision':>11}{'recall':>8}"]
        for name in sorted(self.by_class, key=lambda n: -self.support(n)):
            lines.append(
                f"{name:<16}{self.support(name):>8}{self.precision(name):>11.2f}"
                f"{self.recall(name):>8.2f}"
            )
        lines.append(
            f"overall: {self.correct}/{self.rows} = {self.correct / max(self.rows, 1):.2f}"
        )
        right, wrong = self.recipients["right"], self.recipients["wrong"]
        lines.append(f"failed recipient: {right}/{right + wrong} = {self.recipient_accuracy:.3f}")
        lines.append(
            f"return dates: {self.return_dates['right']}/"
            f"{self.return_dates['right'] + self.return_dates['wrong']} right"
        )
        return "\n".join(lines)


def labels(root: Path, corrected: bool = True) -> list[Label]:
    found = []
    for line in (root / "labels.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = (line.split("\t") + [""] * 7)[:7]
        path, expected, accept, recipients, back = cells[:5]
        if corrected and path in CORRECTIONS:
            expected = accept = CORRECTIONS[path]
        dates: frozenset[date] | None = None
        if back == "none":
            dates = frozenset()
        elif back:
            dates = frozenset(date.fromisoformat(d) for d in back.split("|"))
        found.append(
            Label(
                path,
                expected,
                frozenset(a for a in accept.split(",") if a),
                frozenset(r.lower() for r in recipients.split(",") if r),
                dates,
            )
        )
    return found


def read(root: Path, label: Label) -> Classification | None:
    try:
        return classify(parse((root / label.path).read_bytes(), received_at=RECEIVED))
    except UnreadableMessage:
        return None


def score(root: Path, corrected: bool = True) -> Score:
    result = Score()
    for label in labels(root, corrected):
        found = read(root, label)
        kind = found.kind if found else "unreadable"
        if label.accept:
            result.rows += 1
            right = kind in label.accept
            result.correct += right
            if right:
                result.count(label.expected, "tp")
            else:
                result.count(label.expected, "fn")
                result.count(kind, "fp")
                result.errors.append(f"{label.path}: expected {label.expected}, got {kind}"
                                     f" ({found.reason if found else ''})"[:300])  # fmt: skip
        if label.recipients and kind in ("bounce", "soft_bounce", "policy_block",
                                         "delivery_report"):  # fmt: skip
            got = found.recipient if found else None
            good = got in label.recipients
            result.recipients["right" if good else "wrong"] += 1
            if not good:
                result.errors.append(
                    f"{label.path}: recipient {got}, expected {set(label.recipients)}"
                )
        if label.return_dates is not None and kind == "auto_reply" and found is not None:
            good = (
                found.return_date is None
                if not label.return_dates
                else found.return_date in label.return_dates
            )
            result.return_dates["right" if good else "wrong"] += 1
            if not good:
                result.errors.append(f"{label.path}: back {found.return_date}, expected "
                                     f"{sorted(label.return_dates) or 'none'}")  # fmt: skip
    return result

"""Inbound classification on the labelled third-party corpus in ../shared/samples/inbound:
precision and recall per class, failed-recipient accuracy, return dates, and the time
per message. Run: .venv/bin/python benchmarks/inbound_accuracy.py"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.inbound_corpus import CORRECTIONS, labels, score  # noqa: E402

CORPUS = ROOT.parent / "shared" / "samples" / "inbound"


def main() -> None:
    if not CORPUS.is_dir():
        print(f"skipped: no corpus at {CORPUS}")
        return
    started = time.perf_counter()
    result = score(CORPUS)
    elapsed = time.perf_counter() - started
    print(result.table())
    print(f"{len(labels(CORPUS))} messages in {elapsed:.2f}s "
          f"({1000 * elapsed / max(len(labels(CORPUS)), 1):.1f} ms per message)")  # fmt: skip
    for error in result.errors:
        print("  miss:", error[:200])
    print(
        f"\nas labelled (without our {len(CORRECTIONS)} corrections, see tests/inbound_corpus.py):"
    )
    print(score(CORPUS, corrected=False).table())


if __name__ == "__main__":
    main()

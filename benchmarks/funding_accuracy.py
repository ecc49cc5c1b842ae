"""Funding extraction on our labelled real headlines (funding_headlines.tsv and the
labelled rows of real_headlines_pool.tsv, in ../shared/samples/feeds) beside a naive
regex: precision, recall, amount and exact company; then the time of a 1 MB headline.
Run: .venv/bin/python benchmarks/funding_accuracy.py"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.funding_corpus import extractor, naive, rows, score  # noqa: E402

from signalseq.connectors.funding.extract import NotFunding, extract_funding  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples"


def main() -> None:
    if not SAMPLES.is_dir():
        print(f"skipped: no samples at {SAMPLES}")
        return
    print(f"{len(rows(SAMPLES))} labelled headlines")
    print(f"{'':<12} {'precision':>9} {'recall':>7} {'amount':>7} {'company':>8}")
    results = {"extractor": score(SAMPLES, extractor), "naive regex": score(SAMPLES, naive)}
    for name, result in results.items():
        print(f"{name:<12} {result.precision:>9.3f} {result.recall:>7.3f} "
              f"{result.amount:>7.3f} {result.company:>8.3f}")  # fmt: skip
    title = "Acme raises $5M to grow " * 45_000
    started = time.perf_counter()
    with contextlib.suppress(
        NotFunding
    ):  # a headline that long is refused; the time is what counts
        extract_funding(title)
    print(f"a {len(title) / 1e6:.1f} MB headline: {1000 * (time.perf_counter() - started):.1f} ms")
    for error in results["extractor"].errors:
        print("  ", error)


if __name__ == "__main__":
    main()

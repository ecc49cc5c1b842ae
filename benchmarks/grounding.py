"""The grounding check on planted hallucinations and faithful paraphrases built from the
demo's drafts (tests/fixtures/grounding_cases.py): recall and false positives per kind,
and the time per unseen draft (the facts built and the draft checked; the fastest of five
passes, each with the per-text caches emptied).
Run: .venv/bin/python benchmarks/grounding.py"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.grounding_suite import score  # noqa: E402


def main() -> None:
    result = score(passes=5)
    print(result.table())
    for error in result.errors:
        print("  ", error)


if __name__ == "__main__":
    main()

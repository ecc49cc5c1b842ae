"""The inbound classifier on real third-party mail (``../shared/samples/inbound``, read in
place): the targets of a sales team that acts on every class."""

from __future__ import annotations

import pytest
from tests.inbound_corpus import score


@pytest.mark.samples
def test_real_bounces_auto_replies_and_replies_are_read_right(shared_samples, capsys):
    result = score(shared_samples / "inbound")
    with capsys.disabled():
        print("\n" + result.table())
    assert result.rows >= 200, "the labelled corpus was read"
    for name in result.by_class:
        if result.support(name) >= 10:
            assert result.precision(name) >= 0.95, (name, result.table(), result.errors)
            assert result.recall(name) >= 0.95, (name, result.table(), result.errors)
    assert result.recipient_accuracy >= 0.98, result.errors
    assert result.return_dates["wrong"] == 0 and result.return_dates["right"] >= 4, result.errors

"""An issuing process freezes its long-lived objects once, after its first certificate (benchmark P4)."""

from __future__ import annotations

import gc

import pytest

from jumin.certificates import heap


def test_only_the_first_call_collects_and_freezes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heap, "_settled", False)
    collections: list[int] = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(1) or real_collect(*args))
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    assert heap.settle_once() is True
    assert gc.get_freeze_count() > 0
    assert collections == [1]

    assert heap.settle_once() is False
    assert collections == [1]

"""The collector's long-lived heap (``jumin.runtime``, performance.md P4–P6): frozen for good once, or set
aside for one run and given back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from jumin import runtime


@pytest.fixture(autouse=True)
def unfrozen_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Start each test from a process that froze nothing, and leave it so."""
    monkeypatch.setattr(runtime, "_frozen_for_good", False)
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_settle_once_collects_and_freezes_only_on_the_first_call(monkeypatch: pytest.MonkeyPatch) -> None:
    collections: list[int] = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(1) or real_collect(*args))

    assert runtime.settle_once() is True
    assert gc.get_freeze_count() > 0
    assert collections == [1]

    assert runtime.settle_once() is False
    assert collections == [1]


def test_settle_once_does_nothing_after_a_start_up_freeze() -> None:
    runtime.freeze_long_lived()
    assert gc.get_freeze_count() > 0
    assert runtime.settle_once() is False


def test_the_heap_is_set_aside_for_a_run_and_given_back() -> None:
    with runtime.heap_set_aside():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_the_heap_is_given_back_when_the_run_fails() -> None:
    with pytest.raises(RuntimeError), runtime.heap_set_aside():
        raise RuntimeError("a failing run")
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize(
    "freeze_before",
    [runtime.freeze_long_lived, gc.freeze],
    ids=["frozen for good by jumin", "frozen by other code"],
)
def test_a_heap_frozen_before_the_run_stays_frozen(freeze_before: object) -> None:
    freeze_before()  # type: ignore[operator]
    before = gc.get_freeze_count()
    with runtime.heap_set_aside():
        pass
    assert gc.get_freeze_count() >= before > 0


def test_a_heap_settled_during_the_run_stays_frozen() -> None:
    """A certificate issued in another thread during a 整合性確認 run settles the heap for good."""
    with runtime.heap_set_aside():
        assert runtime.settle_once() is True
    assert gc.get_freeze_count() > 0

"""整合性確認 keeps the collector off the process's long-lived heap for the run (performance.md P6), and
gives the heap back afterwards unless the process had frozen one of its own (``jumin serve`` does)."""

from __future__ import annotations

import gc

from jumin.jukinet.cs.consistency import _heap_set_aside


def test_the_heap_is_set_aside_for_the_run_and_given_back() -> None:
    gc.unfreeze()  # whatever an earlier test left: start from a process that froze nothing
    with _heap_set_aside():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_heap_the_process_froze_itself_stays_frozen() -> None:
    gc.unfreeze()
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        with _heap_set_aside():
            pass
        assert gc.get_freeze_count() >= before > 0
    finally:
        gc.unfreeze()


def test_the_heap_is_given_back_when_the_run_fails() -> None:
    gc.unfreeze()
    try:
        with _heap_set_aside():
            raise RuntimeError("a failing run")
    except RuntimeError:
        pass
    assert gc.get_freeze_count() == 0

"""Keeping a process's long-lived objects out of the cyclic garbage collector (performance.md P4–P6).

Django, WeasyPrint, the fonts, pyHanko and the caches leave a few hundred thousand objects that live as long
as the process. Each full (generation 2) collection walks all of them, and work that allocates many
short-lived containers — a certificate's layout boxes, a 整合性確認 run's decoded chunks, a stream of node
messages — triggers such collections often: 110–200 ms of CPU on one certificate in seven, more than half of a
consistency run, a third of a message at the prefecture. ``gc.freeze`` moves the objects alive at that moment
to a permanent generation that full collections skip. Garbage is collected first so nothing dead is kept,
and reference counting still frees a frozen object whose last reference goes; only a reference cycle among
frozen objects stays until the process ends.

Three moments use it, one function each:

* ``freeze_long_lived`` — a long-running process right after start-up (``jumin node``);
* ``settle_once`` — a process that learns what it keeps only after its first piece of work (the first
  certificate loads the fonts, the stylesheet and the signer);
* ``heap_set_aside`` — around one large run in any process, given back afterwards unless the process has
  frozen its heap for good by one of the two above.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_frozen_for_good = False


def _collect_and_freeze() -> None:
    gc.collect()
    gc.freeze()


def freeze_long_lived() -> None:
    """Collect, then freeze every surviving object for the rest of the process's life."""
    global _frozen_for_good
    with _lock:
        _collect_and_freeze()
        _frozen_for_good = True


def settle_once() -> bool:
    """``freeze_long_lived`` on the first call in this process; True when this call did it."""
    global _frozen_for_good
    if _frozen_for_good:
        return False
    with _lock:
        if _frozen_for_good:
            return False
        _collect_and_freeze()
        _frozen_for_good = True
        return True


@contextmanager
def heap_set_aside() -> Iterator[None]:
    """Freeze the heap for the duration of a run, and unfreeze it afterwards (also when the run fails).

    A heap frozen for good before or during the run (or frozen by code outside this module) stays frozen.
    """
    with _lock:
        frozen_before = _frozen_for_good or gc.get_freeze_count() > 0
        _collect_and_freeze()
    try:
        yield
    finally:
        with _lock:
            if not frozen_before and not _frozen_for_good:
                gc.unfreeze()

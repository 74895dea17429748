"""Keep an issuing process's long-lived objects out of the cyclic garbage collector (benchmark P4).

A certificate allocates tens of thousands of short-lived objects (WeasyPrint's boxes, asn1crypto's values), so
CPython runs a full (generation 2) collection every few certificates, and each one walked every object the
process holds: about 200,000 (Django, WeasyPrint, fonts, pyHanko), 110–200 ms of CPU that fell on one
certificate in seven and made the p95. After the process's first certificate, when the fonts, the fixed
stylesheet and the signer are loaded, one collection clears the garbage and ``gc.freeze`` moves the survivors
to the permanent generation; later full collections see only newer objects (10–20 ms). A frozen object is
still freed when its reference count drops; only a reference cycle among frozen objects would stay.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_settled = False


def settle_once() -> bool:
    """Collect, then freeze what survives, once per process; True when this call did it."""
    global _settled
    if _settled:
        return False
    with _lock:
        if _settled:
            return False
        gc.collect()
        gc.freeze()
        _settled = True
        return True

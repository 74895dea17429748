"""`jumin seed`: write a deterministic synthetic population in the import layout (docs/import-layout.md)."""

from __future__ import annotations

import sys
import time

from jumin.population import write_population


def run(*, residents: int, municipality: str, seed: int, out: str | None) -> int:
    """Write the population to ``out`` (or stdout); a one-line summary goes to stderr."""
    start = time.perf_counter()
    try:
        if out is None:
            counts = write_population(sys.stdout, residents, municipality, seed=seed)
        else:
            with open(out, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as handle:
                counts = write_population(handle, residents, municipality, seed=seed)
    except ValueError as error:
        print(f"jumin seed: {error}", file=sys.stderr)
        return 2
    elapsed = time.perf_counter() - start
    summary = " ".join(f"{key}={value}" for key, value in counts.items())
    print(f"{summary} seconds={elapsed:.1f}", file=sys.stderr)
    return 0

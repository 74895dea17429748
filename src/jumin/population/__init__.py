"""Deterministic synthetic population in the import layout (docs/import-layout.md).

Pure Python: no Django. The registry's bulk load (performance.md P1) and ``jumin bench`` consume it.
"""

from jumin.population.generator import (
    AGE_PYRAMID_2020,
    DEFAULT_AS_OF,
    LAYOUT_VERSION,
    PopulationGenerator,
    generate_population,
    write_population,
)

__all__ = [
    "AGE_PYRAMID_2020",
    "DEFAULT_AS_OF",
    "LAYOUT_VERSION",
    "PopulationGenerator",
    "generate_population",
    "write_population",
]

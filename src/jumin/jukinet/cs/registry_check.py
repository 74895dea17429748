"""What the registry's comparison with the CS reads here (standard 7.1.1.2-a; controls.md C-68).

Reads only: the registry (``registry.cs_comparison``) compares its current records with the CS's
本人確認情報 file through these two functions and writes nothing at the CS.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from jumin.jukinet.cs.models import CsIdentity


@dataclass(frozen=True)
class HeldRecord:
    """The items of one person's current CS record that the registry compares (no 個人番号)."""

    request_number: str  # 依頼管理番号: {宛名番号}-{履歴番号} of the snapshot that wrote it
    name: str
    birth_date: str
    sex: str
    address: str
    removed: bool


def held_records(resident_codes: Sequence[str]) -> dict[str, HeldRecord]:
    """The current CS record of each of these 住民票コード that the CS holds (one query)."""
    rows = CsIdentity.objects.filter(resident_code__in=list(resident_codes)).values_list(
        "resident_code",
        "current__request_number",
        "current__name",
        "current__birth_date",
        "current__sex",
        "current__address",
        "removed",
    )
    return {
        code: HeldRecord(number, name, birth, sex, address, bool(removed))
        for code, number, name, birth, sex, address, removed in rows
    }


def held_codes(municipality_code: str) -> Iterator[str]:
    """Every 住民票コード this CS holds a record of for the municipality, current and removed, in order."""
    rows = CsIdentity.objects.filter(municipality_code=municipality_code).order_by("resident_code")
    return rows.values_list("resident_code", flat=True).iterator(chunk_size=5000)

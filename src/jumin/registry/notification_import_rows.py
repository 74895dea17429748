"""The rows of a 届出 CSV file as the importers pass them around (docs/workflows/import.md).

Shared by ``notification_imports`` (the file, 転入 and 転居) and ``notification_import_events`` (転出 and
世帯変更), so a refusal travels to the file row it belongs to, whichever event the 届出 is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jumin.domain.errors import DomainError, refusal
from jumin.registry.snapshots import current_of


@dataclass(frozen=True)
class ImportRow:
    """One data row of the file: its number (the header is row 1) and its values by item name."""

    number: int
    values: dict[str, str]


class RowRefusal(Exception):  # noqa: N818 (carries a refusal to the row it belongs to)
    def __init__(self, row: ImportRow, error: DomainError) -> None:
        super().__init__(error.code)
        self.row = row
        self.error = error


class RowsRefused(Exception):  # noqa: N818 (the refusals of several rows of one 届出)
    def __init__(self, refusals: list[tuple[ImportRow, DomainError]]) -> None:
        super().__init__(len(refusals))
        self.refusals = refusals


def require_residents(rows: Sequence[ImportRow], remedy: str) -> list[str]:
    """Each row's 宛名番号, which must name a committed person: every row refused is named by itself."""
    refused: list[tuple[ImportRow, DomainError]] = []
    for row in rows:
        atena = row.values.get("atena_number", "")
        try:
            if not atena:
                raise refusal(
                    "atena_number", "宛名番号が入力されていません。", remedy, "import.atena_number_required"
                )
            current_of(atena)
        except DomainError as error:
            refused.append((row, error))
    if refused:
        raise RowsRefused(refused)
    return [row.values["atena_number"] for row in rows]

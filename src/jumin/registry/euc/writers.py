"""EUC output files (standard 10.1-c): CSV (UTF-8 with BOM, Shift_JIS-2004 or cp932), XML and a PDF list.

Character rule (30.2; as the 住基ネット writers do): a row holding a character the chosen encoding
cannot carry is not written with a substitute; it is left out and listed (row number, 宛名番号 and
the item names, never the value) so the clerk can handle those people another way.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from enum import StrEnum
from xml.etree import ElementTree as ET

from django.template.loader import render_to_string

from jumin.registry.euc.catalogue import EucItem
from jumin.registry.euc.definition import Definition, Mode
from jumin.registry.euc.extraction import Extraction


class OutputFormat(StrEnum):
    CSV = "csv"
    XML = "xml"
    PDF = "pdf"


class CsvEncoding(StrEnum):
    """Python codec names: UTF-8 with BOM (spreadsheet programs), Shift_JIS-2004 (JIS X 0213), cp932."""

    UTF8_BOM = "utf-8-sig"
    SHIFT_JIS_2004 = "shift_jis_2004"
    CP932 = "cp932"


ENCODING_LABELS = {
    CsvEncoding.UTF8_BOM: "UTF-8（BOM付き）",
    CsvEncoding.SHIFT_JIS_2004: "Shift_JIS-2004",
    CsvEncoding.CP932: "Shift_JIS（cp932）",
}
CONTENT_TYPES = {
    OutputFormat.CSV: "text/csv",
    OutputFormat.XML: "application/xml",
    OutputFormat.PDF: "application/pdf",
}


@dataclass
class OutputFile:
    """The bytes written, how many data rows they hold and which rows were refused."""

    content: bytes
    row_count: int
    refused_rows: list[dict[str, object]] = field(default_factory=list)


def _table(definition: Definition, extraction: Extraction) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Header labels and (宛名番号, cells) per row; a count output has one row per group."""
    if definition.mode is Mode.COUNT:
        header = [
            *(item.label for item in definition.group_by or ()),
            *(() if definition.group_by else ("区分",)),
            "件数",
            *(aggregate.label for aggregate in definition.aggregates),
        ]
        return header, [
            ("", [*(total.keys or ("全体",)), str(total.count), *total.values]) for total in extraction.totals
        ]
    items: tuple[EucItem, ...] = definition.items
    return [item.label for item in items], [
        (values["_atena"], [values[item.key] for item in items]) for values in extraction.rows
    ]


def _column_keys(definition: Definition) -> list[str]:
    """The XML key of each column: item keys; for totals the grouping items, ``count`` and
    ``<function>_<item>`` per function (``group`` for the whole when nothing groups)."""
    if definition.mode is Mode.ROWS:
        return [item.key for item in definition.items]
    return [
        *([item.key for item in definition.group_by] or ["group"]),
        "count",
        *(f"{a.function.value}_{a.item.key}" for a in definition.aggregates),
    ]


def _unencodable(cells: list[str], header: list[str], encoding: str) -> list[str]:
    bad = []
    for label, cell in zip(header, cells, strict=True):
        try:
            cell.encode(encoding)
        except UnicodeEncodeError:
            bad.append(label)
    return bad


def write_csv(definition: Definition, extraction: Extraction, encoding: CsvEncoding) -> OutputFile:
    """CSV with a header of item names; rows outside ``encoding`` are refused and listed."""
    header, rows = _table(definition, extraction)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    refused: list[dict[str, object]] = []
    written = 0
    for number, (atena, cells) in enumerate(rows, start=1):
        bad = _unencodable(cells, header, encoding.value)
        if bad:
            refused.append({"row": number, "atena_number": atena, "items": bad})
            continue
        writer.writerow(cells)
        written += 1
    return OutputFile(buffer.getvalue().encode(encoding.value), written, refused)


def write_xml(definition: Definition, extraction: Extraction) -> OutputFile:
    """UTF-8 XML: ``<items>`` names each column (key, 項目名, 型, 桁数), then one ``<row>`` per row."""
    root = ET.Element("euc_extraction", {"mode": definition.mode.value, "scope": definition.scope.value})
    columns = ET.SubElement(root, "items")
    header, rows = _table(definition, extraction)
    keys = _column_keys(definition)
    for key, label in zip(keys, header, strict=True):
        ET.SubElement(columns, "item", {"key": key, "label": label})
    for _atena, cells in rows:
        row = ET.SubElement(root, "row")
        for key, cell in zip(keys, cells, strict=True):
            ET.SubElement(row, "value", {"key": key}).text = cell
    content = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return OutputFile(content, len(rows))


def write_pdf(definition: Definition, extraction: Extraction, *, title: str) -> OutputFile:
    """A PDF list (一覧表) laid out by WeasyPrint, as the certificates app prints."""
    from weasyprint import HTML  # heavy import, only for this output

    header, rows = _table(definition, extraction)
    html = render_to_string(
        "registry/euc/list_pdf.html", {"title": title, "header": header, "rows": [cells for _, cells in rows]}
    )
    content: bytes = HTML(string=html).write_pdf()
    return OutputFile(content, len(rows))

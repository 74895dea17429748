"""EUC output files (standard 10.1-c): CSV (UTF-8 with BOM, Shift_JIS-2004 or cp932), XML, a PDF list
and 宛名ラベル (A4 sheets of 12 or 21 labels: 郵便番号, 住所, 方書, 氏名 様) as a print-ready PDF.

Character rule (30.2; as the 住基ネット writers do): a row holding a character the chosen encoding
cannot carry is not written with a substitute; it is left out and listed (row number, 宛名番号 and
the item names, never the value) so the clerk can handle those people another way. Labels are set in
the certificates' fonts (registered values in IPAmj明朝, ``certificates.rendering``): a label needing a
glyph IPAmj明朝 lacks (an unregistered 外字) is left out and listed the same way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from xml.etree import ElementTree as ET

from django.template.loader import render_to_string

from jumin.domain.errors import DomainError
from jumin.registry.euc.catalogue import CATALOGUE, EucItem, full_name
from jumin.registry.euc.definition import Definition, Mode
from jumin.registry.euc.extraction import Extraction


class OutputFormat(StrEnum):
    CSV = "csv"
    XML = "xml"
    PDF = "pdf"
    LABEL_12 = "label12"
    LABEL_21 = "label21"


FORMAT_LABELS = {
    OutputFormat.CSV: "CSV",
    OutputFormat.XML: "XML",
    OutputFormat.PDF: "PDF（一覧表）",
    OutputFormat.LABEL_12: "宛名ラベル PDF（A4 12面）",
    OutputFormat.LABEL_21: "宛名ラベル PDF（A4 21面）",
}


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
    OutputFormat.LABEL_12: "application/pdf",
    OutputFormat.LABEL_21: "application/pdf",
}


def file_extension(output_format: OutputFormat) -> str:
    """The download's extension: labels are PDF files."""
    return "pdf" if output_format in LABEL_SHEETS else output_format.value


@dataclass(frozen=True)
class LabelSheet:
    """An A4 label sheet: columns × rows labels of width × height mm from the sheet's top left margin."""

    columns: int
    rows: int
    width_mm: float
    height_mm: float
    top_mm: float
    left_mm: float

    @property
    def per_sheet(self) -> int:
        """Labels on one sheet (12 or 21)."""
        return self.columns * self.rows


# The common A4 sheets: 12面 of 86.4 × 42.3 mm, 21面 of 70 × 42.3 mm (no gaps between labels).
LABEL_SHEETS = {
    OutputFormat.LABEL_12: LabelSheet(2, 6, 86.4, 42.3, 21.5, 18.6),
    OutputFormat.LABEL_21: LabelSheet(3, 7, 70.0, 42.3, 0.45, 0.0),
}
# What a label prints, read whatever items the definition shows.
LABEL_ITEMS = ("postal_code", "address", "katagaki", "surname", "given_name")


def prepared_for(definition: Definition, output_format: OutputFormat) -> Definition:
    """The definition as the output needs it: a label run reads the label's items too, and only a
    person list (個人一覧) can be printed on labels."""
    if output_format not in LABEL_SHEETS:
        return definition
    if definition.mode is not Mode.ROWS:
        raise DomainError(
            field="format",
            reason="宛名ラベルは個人一覧でのみ出力できます。",
            remedy="出力を「個人一覧」にするか、形式をCSVなどにしてください。",
            code="euc.label_rows_only",
        )
    shown = {item.key for item in definition.items}
    missing = tuple(CATALOGUE[key] for key in LABEL_ITEMS if key not in shown)
    return replace(definition, items=(*definition.items, *missing))


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


def _kept(
    rows: list[tuple[str, list[str]]], unfit: Callable[[list[str]], list[str]]
) -> tuple[list[list[str]], list[dict[str, object]]]:
    """The rows to write, and those refused (row number, 宛名番号, the items ``unfit`` names; no values)."""
    kept: list[list[str]] = []
    refused: list[dict[str, object]] = []
    for number, (atena, cells) in enumerate(rows, start=1):
        bad = unfit(cells)
        if bad:
            refused.append({"row": number, "atena_number": atena, "items": bad})
        else:
            kept.append(cells)
    return kept, refused


def write_csv(definition: Definition, extraction: Extraction, encoding: CsvEncoding) -> OutputFile:
    """CSV with a header of item names; rows outside ``encoding`` are refused and listed."""
    header, rows = _table(definition, extraction)
    kept, refused = _kept(rows, lambda cells: _unencodable(cells, header, encoding.value))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(kept)
    return OutputFile(buffer.getvalue().encode(encoding.value), len(kept), refused)


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
    """A PDF list (一覧表) laid out by WeasyPrint in the certificates' fonts (values in IPAmj明朝); a row
    needing a glyph IPAmj明朝 lacks (an unregistered 外字) is refused and listed, never printed wrong."""
    from weasyprint import HTML  # heavy import, only for this output

    from jumin.certificates import rendering

    header, rows = _table(definition, extraction)
    kept, refused = _kept(
        rows,
        lambda cells: [
            label
            for label, cell in zip(header, cells, strict=True)
            if rendering.unregistered_characters([cell])
        ],
    )
    html = render_to_string(
        "registry/euc/list_pdf.html",
        {
            "title": title,
            "header": header,
            "rows": kept,
            **rendering.font_faces([cell for cells in kept for cell in cells]),
        },
    )
    content: bytes = HTML(string=html).write_pdf(font_config=rendering.shared_font_config())
    return OutputFile(content, len(kept), refused)


def _postal(code: str) -> str:
    """〒123-4567 from the seven stored digits; nothing when there is no postal code."""
    return f"〒{code[:3]}-{code[3:]}" if len(code) == 7 else (f"〒{code}" if code else "")


def _labels(extraction: Extraction) -> tuple[list[dict[str, str]], list[dict[str, object]]]:
    """The labels to print and the rows refused for a glyph IPAmj明朝 lacks (items named, no values)."""
    from jumin.certificates import rendering  # the certificates' fonts, loaded only for a PDF

    rows = [
        (
            values["_atena"],
            [
                _postal(values["postal_code"]),
                values["address"],
                values["katagaki"],
                full_name(values["surname"], values["given_name"]),
            ],
        )
        for values in extraction.rows
    ]
    kept, refused = _kept(
        rows,
        lambda cells: [
            label
            for label, cell in zip(_LABEL_LINES.values(), cells, strict=True)
            if label != "郵便番号" and rendering.unregistered_characters([cell])
        ],
    )
    return [dict(zip(_LABEL_LINES, cells, strict=True)) for cells in kept], refused


# A label's lines: template key → the item name a refusal lists.
_LABEL_LINES = {"postal": "郵便番号", "address": "住所", "katagaki": "方書", "name": "氏名"}


def write_labels(extraction: Extraction, sheet: LabelSheet) -> OutputFile:
    """宛名ラベル as a print-ready PDF: one label per row in the run's order, ``sheet.per_sheet`` a page,
    laid out by WeasyPrint in the certificates' fonts; rows with an unregistered 外字 are refused."""
    from weasyprint import HTML  # heavy import, only for this output

    from jumin.certificates import rendering

    labels, refused = _labels(extraction)
    pages: list[list[dict[str, Any]]] = []
    for start in range(0, len(labels), sheet.per_sheet):
        page = labels[start : start + sheet.per_sheet]
        pages.append(
            [
                {
                    **label,
                    "top": round(sheet.top_mm + (index // sheet.columns) * sheet.height_mm, 2),
                    "left": round(sheet.left_mm + (index % sheet.columns) * sheet.width_mm, 2),
                }
                for index, label in enumerate(page)
            ]
        )
    texts = [text for label in labels for text in (label["address"], label["katagaki"], label["name"])]
    html = render_to_string(
        "registry/euc/labels_pdf.html",
        {"pages": pages, "sheet": sheet, **rendering.font_faces(texts)},
    )
    content: bytes = HTML(string=html).write_pdf(font_config=rendering.shared_font_config())
    return OutputFile(content, len(labels), refused)

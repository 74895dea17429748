"""The QR code of a 転出証明書: Jumin's versioned text format (docs/certificates.md, QRコード).

The standard's QR layout (20.2.1) is not in the v1.0 text (known gap 1), so the format is Jumin's own and
carries a version: the first line is ``JUMIN-TENSHUTSU/1``. Lines are separated by LF, fields by TAB; a
backslash, TAB or LF inside a value is written ``\\\\``, ``\\t``, ``\\n``. The text is UTF-8 in QR byte
mode, error correction M. The 個人番号 is never in the code (it travels as 転出証明書情報 over 住基ネット).

    JUMIN-TENSHUTSU/1
    H 発行番号 市区町村名 発行日 転出予定日 転出先 住所 世帯主 届出区分 人数
    P 住民票コード 氏名 フリガナ 生年月日 生年月日（記載のとおり） 性別 続柄 本籍 筆頭者 国籍・地域

Dates are ISO 8601 (``2026-11-22``); 性別 is ``1`` 男, ``2`` 女, ``9`` other; 人数 counts the P lines.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, fields

import segno

MAGIC = "JUMIN-TENSHUTSU"
VERSION = 1
HEADER = f"{MAGIC}/{VERSION}"
_SEX_CODES = {"male": "1", "female": "2"}
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"))


@dataclass(frozen=True)
class QrPerson:
    """One mover as the code carries them (P line)."""

    juminhyo_code: str
    name: str
    furigana: str
    birth_date: str
    birth_date_as_recorded: str
    sex: str
    relationship: str
    honseki: str
    hittousha: str
    nationality: str


@dataclass(frozen=True)
class QrMoveOut:
    """The certificate's data as the code carries it (H line, then one P line per person)."""

    copy_number: str
    municipality: str
    issue_date: str
    planned_date: str
    destination: str
    address: str
    head_name: str
    notification_kind: str
    people: tuple[QrPerson, ...]


def sex_code(sex: str) -> str:
    """``1`` 男, ``2`` 女, ``9`` anything else (the JIS X 5218 codes)."""
    return _SEX_CODES.get(sex, "9")


def _escape(value: str) -> str:
    for raw, escaped in _ESCAPES:
        value = value.replace(raw, escaped)
    return value


def _unescape(value: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            out.append({"\\": "\\", "t": "\t", "n": "\n"}.get(value[index + 1], value[index + 1]))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _line(tag: str, values: list[str]) -> str:
    return "\t".join([tag, *(_escape(v) for v in values)])


def payload(data: QrMoveOut) -> str:
    """The text the QR code carries (format version 1)."""
    header = [
        data.copy_number,
        data.municipality,
        data.issue_date,
        data.planned_date,
        data.destination,
        data.address,
        data.head_name,
        data.notification_kind,
        str(len(data.people)),
    ]
    people = [_line("P", [getattr(p, f.name) for f in fields(QrPerson)]) for p in data.people]
    return "\n".join([HEADER, _line("H", header), *people])


def parse_payload(text: str) -> QrMoveOut:
    """Read a version-1 payload back; anything else is a ValueError naming what is wrong."""
    lines = text.split("\n")
    if not lines or lines[0] != HEADER:
        raise ValueError(f"not a {HEADER} payload")
    rows = [[_unescape(v) for v in line.split("\t")] for line in lines[1:]]
    if not rows or rows[0][0] != "H" or len(rows[0]) != 10:
        raise ValueError("the H line is missing or malformed")
    head = rows[0][1:]
    person_width = len(fields(QrPerson)) + 1
    people = tuple(QrPerson(*row[1:]) for row in rows[1:] if row[0] == "P" and len(row) == person_width)
    if len(people) != int(head[8]) or len(people) != len(rows) - 1:
        raise ValueError("the number of P lines does not match the H line")
    names = [f.name for f in fields(QrMoveOut) if f.name != "people"]
    return QrMoveOut(**dict(zip(names, head[:8], strict=True)), people=people)


def qr_png(text: str) -> bytes:
    """The QR code as a PNG: 4 px per module, the standard 4-module quiet zone, black on white."""
    code = segno.make(text, error="m", micro=False, encoding="utf-8")
    uri = code.png_data_uri(scale=4, border=4, dark="#000", light="#fff")
    return base64.b64decode(uri.split(",", 1)[1])


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules (True = dark), without quiet zone: what a decoder would read."""
    code = segno.make(text, error="m", micro=False, encoding="utf-8")
    return [[bool(module) for module in row] for row in code.matrix]

"""The condition-list file of 一括提供 (検索条件のリスト) and the result file (照会結果ファイル).

Layout (docs/prefecture.md, 一括提供): UTF-8 CSV (a BOM is accepted) with this header:
``行番号,検索区分,住民票コード,個人番号,氏名,氏名かな,生年月日,性別,住所``; 検索区分 1 = 住民票コード,
2 = 個人番号, 3 = 4情報; 生年月日 YYYYMMDD; 性別 男/女 (or 1/2) or blank. A bad row becomes an error
row of the result; only a file that is not such a CSV at all is refused as a whole.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.prefecture.provision.items import ITEMS
from jumin.jukinet.prefecture.provision.keys import (
    BY_FOUR_ITEMS,
    BY_INDIVIDUAL_NUMBER,
    BY_RESIDENT_CODE,
    SearchKey,
    check_key,
)

HEADER = ("行番号", "検索区分", "住民票コード", "個人番号", "氏名", "氏名かな", "生年月日", "性別", "住所")
RESULT_HEADER = ("行番号", "結果", "エラーコード", "エラー内容")
MAX_ROWS = 200_000
KINDS = {"1": BY_RESIDENT_CODE, "2": BY_INDIVIDUAL_NUMBER, "3": BY_FOUR_ITEMS}
SEXES = {"": "", "男": "male", "女": "female", "1": "male", "2": "female"}

FOUND = "該当"
NOT_FOUND = "該当なし"
MULTIPLE = "複数該当"
ERROR = "エラー"


@dataclass
class ConditionRow:
    """One data line: its 行番号 and checked key, or the error that makes it an error row."""

    line: int  # physical line in the file (header = 1)
    row_number: str
    key: SearchKey | None = None
    error_code: str = ""
    error_message: str = ""


def _error(row: ConditionRow, code: str, message: str) -> ConditionRow:
    row.error_code, row.error_message = code, message
    return row


def _parse_row(line: int, values: list[str], seen: set[str]) -> ConditionRow:
    row_number = values[0].strip() if values else ""
    row = ConditionRow(line=line, row_number=row_number or f"L{line}")
    if len(values) != len(HEADER):
        return _error(row, "E01", f"項目数が{len(HEADER)}ではありません。")
    if not row_number.isascii() or not row_number.isdigit() or len(row_number) > 9:
        return _error(row, "E02", "行番号は9桁以内の数字で指定してください。")
    if row_number in seen:
        return _error(row, "E03", "行番号が重複しています。")
    seen.add(row_number)
    by = KINDS.get(values[1].strip())
    if by is None:
        return _error(row, "E04", "検索区分は1（住民票コード）、2（個人番号）、3（4情報）のいずれかです。")
    sex = SEXES.get(values[7].strip())
    if sex is None:
        return _error(row, "E05", "性別は男・女（または1・2）か空欄で指定してください。")
    used = {BY_RESIDENT_CODE: {2}, BY_INDIVIDUAL_NUMBER: {3}, BY_FOUR_ITEMS: {4, 5, 6, 7, 8}}[by]
    if any(values[index].strip() for index in range(2, 9) if index not in used):
        return _error(row, "E06", "検索区分で使わない項目に値があります。")
    key = SearchKey(
        by=by,
        resident_code=values[2].strip(),
        individual_number=values[3].strip(),
        name=values[4],
        name_kana=values[5],
        birth_date=values[6].strip(),
        sex=sex,
        address=values[8],
    )
    try:
        row.key = check_key(key)
    except DomainError as error:
        return _error(row, "E07", f"{error.reason}{error.remedy}")
    return row


def parse_conditions(content: bytes) -> list[ConditionRow]:
    """Every data line of the file as a row (bad ones carry their error); DomainError for a bad file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refusal(
            "file",
            "条件ファイルがUTF-8ではありません。",
            "UTF-8で保存したCSVを指定してください。",
            "provision.file_encoding",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or tuple(cell.strip() for cell in header) != HEADER:
            raise refusal(
                "file",
                "条件ファイルの見出し行が定義と一致しません。",
                "見出し行を「" + ",".join(HEADER) + "」にしてください。",
                "provision.file_header",
            )
        rows: list[ConditionRow] = []
        seen: set[str] = set()
        for values in reader:
            if not values or not any(cell.strip() for cell in values):
                continue  # blank lines carry no condition
            if len(rows) >= MAX_ROWS:
                raise refusal(
                    "file",
                    f"条件ファイルの行数が上限（{MAX_ROWS}行）を超えています。",
                    "ファイルを分割してください。",
                    "provision.file_too_large",
                )
            rows.append(_parse_row(reader.line_num, values, seen))
    except csv.Error:
        raise refusal(
            "file",
            "条件ファイルがCSVとして読めません。",
            "引用符の対応などを確認してください。",
            "provision.file_csv",
        ) from None
    if not rows:
        raise refusal(
            "file",
            "条件ファイルに条件行がありません。",
            "1行以上の条件を記載してください。",
            "provision.file_empty",
        )
    return rows


def result_header(item_codes: list[str]) -> list[str]:
    """The result file's header: the fixed columns, then the provided items' labels."""
    return [*RESULT_HEADER, *(ITEMS[code] for code in item_codes)]


def write_result(lines: list[list[str]], item_codes: list[str]) -> bytes:
    """The result file: UTF-8 CSV, CRLF, one line per condition row in the file's order."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result_header(item_codes))
    writer.writerows(lines)
    return buffer.getvalue().encode("utf-8")

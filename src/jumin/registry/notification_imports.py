"""Imports of 届出 data into drafts (standard 10.8-a; docs/workflows/import.md, 「届出データの取込」).

- ``read_move_out_qr``: the text of a 転出証明書's QR code (``certificates.move_out_qr``) as the starting
  data of a 転入 form: the movers' rows and the 転入前住所. Nothing is written but the audit entry; the
  clerk adds the new address and dates and enters the draft as usual.
- ``import_notification_csv``: a CSV file of 転入届, 転居届, 転出届 and 世帯変更届 forms (one row per
  person, rows of one 届出 sharing a 届出番号; layout in import.md) becomes one draft (仮登録) per 届出
  through ``record_move_in``, ``record_move_within`` or (転出, 世帯変更) ``notification_import_events``,
  so each is checked, numbered and audited exactly like one entered on the screen and is committed only
  by another clerk's review. A 届出 with any invalid row becomes no draft (nothing
  partial); each error names the file's row number and column, never the value (personal data).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.certificates.move_out_qr import QrPerson, parse_payload
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ChangeReason, PersonFacts, ResidentKind, Sex
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import move_in_numbers
from jumin.registry.field_labels import field_label
from jumin.registry.member_rows import member_facts, relationship_proof_from
from jumin.registry.notification_import_events import (
    EVENT_COLUMNS,
    HOUSEHOLD_EVENTS,
    MOVE_OUT,
    enter_household_change,
    enter_move_out,
)
from jumin.registry.notification_import_rows import ImportRow as _Row
from jumin.registry.notification_import_rows import RowRefusal as _RowRefusal
from jumin.registry.notification_import_rows import RowsRefused, require_residents
from jumin.registry.services import Address, DraftRecorded, MoveIn, record_move_in
from jumin.registry.workflows.move_within import MoveWithin, record_move_within

# A file is read in one request: the cap keeps one upload from holding a worker (split larger files).
MAX_ROWS = 2000

_QR_SEX = {"1": Sex.MALE, "2": Sex.FEMALE}


@dataclass(frozen=True)
class QrStart:
    """A 転入 form's starting data from a 転出証明書's QR code (member rows named as the form's fields)."""

    previous_address: str
    municipality: str  # the issuing municipality's name: the code carries no 市町村コード
    members: list[dict[str, str]]


def _name_parts(full: str) -> tuple[str, str]:
    parts = full.replace("\u3000", " ").split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (full.strip(), "")


def qr_member_row(person: QrPerson) -> dict[str, str]:
    """One P line of the code as a member row of the 転入 form."""
    foreign = bool(person.nationality)
    surname, given = _name_parts(person.name)
    surname_kana, given_kana = _name_parts(person.furigana)
    return {
        "kind": ResidentKind.FOREIGN if foreign else ResidentKind.JAPANESE,
        "surname": surname,
        "given_name": given,
        "surname_kana": surname_kana,
        "given_name_kana": given_kana,
        # A Japanese resident's date as recorded (和暦, 不詳 forms kept); a foreign resident's in 西暦.
        "birth_date": person.birth_date if foreign else (person.birth_date_as_recorded or person.birth_date),
        "sex": _QR_SEX.get(person.sex, ""),
        "relationship": person.relationship,
        "honseki": person.honseki,
        "hittousha": person.hittousha,
        "nationality_code": person.nationality,
        "juminhyo_code": person.juminhyo_code,
    }


def read_move_out_qr(*, actor: Any, purpose: str, payload: str) -> QrStart:
    """The starting data of a 転入 from the QR code's text; an unreadable text is refused (``payload``)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMPORT_RUN,
        purpose=purpose,
        subject_type="move_out_qr",
    )
    try:
        data = parse_payload(payload.replace("\r\n", "\n").replace("\r", "\n").strip())
    except ValueError:
        raise refusal(
            "payload",
            "転出証明書のQRコードとして読み取れません。",
            "QRコードを読み取り直してください。読み取れない場合は転出証明書を見て入力してください。",
            "import.qr_unreadable",
        ) from None
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_IMPORT_RUN,
        subject_type="move_out_qr",
        purpose=purpose,
        reason="転出証明書QRの読込",
        result_count=len(data.people),
    )
    return QrStart(
        previous_address=data.address,
        municipality=data.municipality,
        members=[qr_member_row(person) for person in data.people],
    )


# The CSV layout (import.md): header → the name of the item. The 届出's items are taken from its first
# row and must be the same on its other rows; the mover's items are the 転入 form's member fields.
NOTIFICATION_COLUMNS: Mapping[str, str] = {
    "届出番号": "group",
    "届出種別": "event",
    "転居日": "move_date",
    "異動事由": "reason",
    "転入日": "move_in_date",
    "届出日": "notification_date",
    "住所": "address",
    "方書": "katagaki",
    "郵便番号": "postal_code",
    "転入前住所": "previous_address",
    "転出地市町村コード": "former_municipality_code",
    "転出地市町村コード不明": "former_municipality_unknown",
    "世帯番号": "household_number",
    **EVENT_COLUMNS,
}
MEMBER_COLUMNS: Mapping[str, str] = {
    "宛名番号": "atena_number",
    "住民種別": "kind",
    "氏": "surname",
    "名": "given_name",
    "氏フリガナ": "surname_kana",
    "名フリガナ": "given_name_kana",
    "生年月日": "birth_date",
    "性別": "sex",
    "続柄": "relationship",
    # 続柄を証する書類 (standard 1.1.11-c): a foreign member's kinship 続柄 is refused without it.
    "続柄を証する書類": "relationship_proof_kind",
    "続柄を証する書類の番号・日付": "relationship_proof_reference",
    "本籍": "honseki",
    "筆頭者": "hittousha",
    "旧氏": "former_surname",
    "旧氏フリガナ": "former_surname_kana",
    "通称": "alias",
    "通称フリガナ": "alias_kana",
    "住民票コード": "juminhyo_code",
    "個人番号": "individual_number",
    "国籍・地域コード": "nationality_code",
    "30条の45区分": "foreign_category",
    "在留資格": "residence_status",
    "在留期間": "period_of_stay",
    "在留期間の満了の日": "stay_expiry_date",
    "在留カード番号": "residence_card_number",
    "特別永住者証明書番号": "special_permanent_resident_number",
    "氏名（アルファベット）": "alphabet_name",
}
# The columns every 届出 needs; the others an event needs are refused by value, naming the row.
REQUIRED_COLUMNS = ("届出番号", "届出日")
MOVE_IN, MOVE_WITHIN = "転入", "転居"
ALL_COLUMNS = (*NOTIFICATION_COLUMNS, *MEMBER_COLUMNS)
_COLUMN_OF = {name: header for header, name in {**NOTIFICATION_COLUMNS, **MEMBER_COLUMNS}.items()}
_KINDS = {"日本人": ResidentKind.JAPANESE, "外国人": ResidentKind.FOREIGN, "": ResidentKind.JAPANESE}
_SEXES = {"男": Sex.MALE, "1": Sex.MALE, "女": Sex.FEMALE, "2": Sex.FEMALE}
_TRUE = {"1", "○", "不明"}


@dataclass(frozen=True)
class RowError:
    """Why one row of the file became no draft: its row number (the header is row 1) and column."""

    row: int
    group: str
    column: str
    reason: str
    remedy: str
    code: str


@dataclass(frozen=True)
class ImportedDraft:
    """The draft one 届出 of the file became, and the file's rows it was made of."""

    group: str
    rows: tuple[int, ...]
    draft: DraftRecorded


@dataclass
class CsvImportResult:
    """What an import did: the drafts entered and the rows refused (each 届出 is all or nothing)."""

    drafts: list[ImportedDraft] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0


def decoded_csv(content: bytes) -> str:
    """UTF-8 (with or without BOM) or Shift_JIS (cp932), as spreadsheet programs write CSV."""
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refusal(
        "file",
        "ファイルの文字コードを判別できません。",
        "UTF-8 または Shift_JIS で保存したCSVファイルを指定してください。",
        "import.csv_encoding",
    )


def read_csv_rows(
    content: bytes, columns: Mapping[str, str], required: Sequence[str], layout_doc: str
) -> list[_Row]:
    """The data rows of an import CSV by item name (``columns``: header → name); a header that does not
    match the layout, or more than ``MAX_ROWS`` rows, refuses the file. Blank rows are skipped."""
    reader = csv.reader(io.StringIO(decoded_csv(content), newline=""))
    header = [h.strip() for h in next(reader, [])]
    unknown = [h for h in header if h and h not in columns]
    missing = [h for h in required if h not in header]
    if unknown or missing:
        raise refusal(
            "file",
            f"見出し行の列名が取込レイアウトと合いません（不足: {'、'.join(missing) or 'なし'}、"
            f"不明: {'、'.join(unknown) or 'なし'}）。",
            f"1行目に取込レイアウト（{layout_doc}）の列名を書いてください。",
            "import.csv_header",
        )
    names = [columns.get(h, "") for h in header]
    rows: list[_Row] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise refusal(
                "file",
                f"行数が上限（{MAX_ROWS}行）を超えています。",
                "ファイルを分けて取り込んでください。",
                "import.csv_too_many_rows",
            )
        values = {name: cell.strip() for name, cell in zip(names, cells, strict=False) if name}
        rows.append(_Row(number, values))
    return rows


def _read_rows(content: bytes) -> list[_Row]:
    columns = {**NOTIFICATION_COLUMNS, **MEMBER_COLUMNS}
    return read_csv_rows(content, columns, REQUIRED_COLUMNS, "docs/workflows/import.md")


def _row_error(row: _Row, error: DomainError) -> RowError:
    name = "atena_number" if error.field.startswith("movers") else error.field.rsplit(".", 1)[-1]
    if name.startswith(
        "relationship_proof"
    ):  # 転入 「members[0].relationship_proof」, 転居 「relationship_proofs[0]」
        name = "relationship_proof_kind"
    column = _COLUMN_OF.get(name) or field_label(name)
    return RowError(row.number, row.values.get("group", ""), column, error.reason, error.remedy, error.code)


def _member(row: _Row, index: int) -> tuple[PersonFacts, str]:
    """The row's mover, parsed as a 転入 form's member row, and the 個人番号 it carries ("" for none)."""
    values = {name: row.values.get(name, "") for name in MEMBER_COLUMNS.values()}
    kind = _KINDS.get(values["kind"])
    if kind is None:
        raise refusal(
            "kind",
            "住民種別が正しくありません。",
            "「日本人」または「外国人」と書いてください。",
            "import.kind",
        )
    sex = _SEXES.get(values["sex"])
    if sex is None:
        raise refusal(
            "sex", "性別が正しくありません。", "「男」「女」または 1、2 と書いてください。", "import.sex"
        )
    facts = member_facts({**values, "kind": kind, "sex": sex}, index, prefix=f"members[{index}].")
    return facts, values["individual_number"]


def _notification(rows: Sequence[_Row]) -> dict[str, str]:
    """The 届出's items, from its first row; a later row that differs is refused (its row is named)."""
    first = rows[0].values
    shared = {name: first.get(name, "") for name in NOTIFICATION_COLUMNS.values()}
    for row in rows[1:]:
        for name in shared:
            if row.values.get(name, "") != shared[name]:
                raise _RowRefusal(
                    row,
                    refusal(
                        name,
                        "同じ届出番号の行で届出の項目が異なります。",
                        "届出の項目（住所・異動日など）は同じ届出番号のすべての行に同じ内容を書いてください。",
                        "import.csv_group_differs",
                    ),
                )
    return shared


def _address(shared: Mapping[str, str]) -> Address:
    return Address(address=shared["address"], katagaki=shared["katagaki"], postal_code=shared["postal_code"])


def _move_in_of(shared: Mapping[str, str], members: Sequence[tuple[PersonFacts, str]]) -> MoveIn:
    reason = shared["reason"] or ChangeReason.DOMESTIC_MOVE_IN
    if reason not in (ChangeReason.DOMESTIC_MOVE_IN, ChangeReason.MOVE_IN_FROM_ABROAD):
        raise refusal(
            "reason",
            "異動事由が正しくありません。",
            "「国内転入」または「国外転入等」と書いてください。",
            "import.reason",
        )
    moved = parse_date_input(
        shared["move_in_date"], field_kind=DateFieldKind.BECAME_RESIDENT, field="move_in_date"
    )
    notified = parse_date_input(shared["notification_date"], field="notification_date")
    return MoveIn(
        members=[facts for facts, _ in members],
        address=_address(shared),
        move_in_date=moved.value,
        notification_date=notified.sort_date,
        previous_address=shared["previous_address"],
        reason=ChangeReason(reason),
        household_number=shared["household_number"] or None,
        individual_numbers=[number for _, number in members],
        former_municipality_code=shared["former_municipality_code"],
        former_municipality_unknown=shared["former_municipality_unknown"] in _TRUE,
    )


def _groups(rows: Sequence[_Row]) -> dict[str, list[_Row]]:
    groups: dict[str, list[_Row]] = {}
    for row in rows:
        # A row without a 届出番号 is a 届出 of its own.
        key = row.values.get("group", "") or f"（届出番号なし・{row.number}行目）"
        groups.setdefault(key, []).append(row)
    return groups


def _index_in(field_name: str, prefix: str) -> int:
    """The row of 「members[2].surname」 or 「movers[2]」 within its 届出; 0 (its first row) otherwise."""
    if not field_name.startswith(f"{prefix}["):
        return 0
    digits = field_name[len(prefix) + 1 :].split("]")[0]
    return int(digits) if digits.isdigit() else 0


def _enter_move_in(actor: Any, purpose: str, rows: list[_Row], shared: dict[str, str]) -> DraftRecorded:
    members: list[tuple[PersonFacts, str]] = []
    refused: list[tuple[_Row, DomainError]] = []
    for index, row in enumerate(rows):
        try:
            members.append(_member(row, index))
        except DomainError as error:
            refused.append((row, error))
    if refused:
        raise RowsRefused(refused)
    try:
        with transaction.atomic():
            return record_move_in(actor=actor, purpose=purpose, move_in=_move_in_of(shared, members))
    except DomainError as error:
        raise _RowRefusal(rows[min(_index_in(error.field, "members"), len(rows) - 1)], error) from None


def _enter_move_within(actor: Any, purpose: str, rows: list[_Row], shared: dict[str, str]) -> DraftRecorded:
    for row in rows:
        if not row.values.get("atena_number", ""):
            raise RowsRefused([(row, _atena_required("転居する方"))])
    moved = parse_date_input(shared["move_date"], field="move_date")
    notified = parse_date_input(shared["notification_date"], field="notification_date")
    move = MoveWithin(
        movers=[row.values["atena_number"] for row in rows],
        address=_address(shared),
        move_date=moved.sort_date,
        notification_date=notified.sort_date,
        household_number=shared["household_number"] or None,
        # 続柄 only for movers forming a new household or joining one (move-within.md).
        relationships={
            row.values["atena_number"]: row.values["relationship"]
            for row in rows
            if row.values.get("relationship", "")
        },
        relationship_proofs={
            row.values["atena_number"]: proof
            for row in rows
            if (proof := relationship_proof_from(row.values)) is not None
        },
    )
    try:
        with transaction.atomic():
            return record_move_within(actor=actor, purpose=purpose, move=move)
    except DomainError as error:
        prefix = "relationship_proofs" if error.field.startswith("relationship_proofs") else "movers"
        raise _RowRefusal(rows[min(_index_in(error.field, prefix), len(rows) - 1)], error) from None


def _atena_required(who: str) -> DomainError:
    return refusal(
        "atena_number",
        "宛名番号が入力されていません。",
        f"{who}の宛名番号を行ごとに書いてください。",
        "import.atena_number_required",
    )


def _enter_group(actor: Any, purpose: str, group: str, rows: list[_Row], result: CsvImportResult) -> None:
    """One 届出 as one draft, or its rows' errors and no draft (nothing partial)."""
    try:
        shared = _notification(rows)
        event = shared["event"] or MOVE_IN
        if event == MOVE_IN:
            draft = _enter_move_in(actor, purpose, rows, shared)
        elif event == MOVE_WITHIN:
            draft = _enter_move_within(actor, purpose, rows, shared)
        elif event == MOVE_OUT:
            atena_numbers = require_residents(rows, _atena_required("転出する方").remedy)
            draft = enter_move_out(actor, purpose, rows, shared, atena_numbers)
        elif event in HOUSEHOLD_EVENTS:
            atena_numbers = require_residents(rows, _atena_required(f"{event}の届出の対象の方").remedy)
            draft = enter_household_change(actor, purpose, rows, shared, atena_numbers)
        else:
            raise _RowRefusal(
                rows[0],
                refusal(
                    "event",
                    "届出種別が取込の対象ではありません。",
                    "「転入」（空欄）「転居」「転出」「世帯分離」「世帯合併」「世帯変更」「世帯主変更」の"
                    "いずれかを書いてください。他の届出は画面で入力してください。",
                    "import.event",
                ),
            )
    except RowsRefused as refused:
        result.errors.extend(_row_error(row, error) for row, error in refused.refusals)
        return
    except _RowRefusal as refused:
        result.errors.append(_row_error(refused.row, refused.error))
        return
    except DomainError as error:  # the 届出's own items (dates): named on its first row
        result.errors.append(_row_error(rows[0], error))
        return
    result.drafts.append(ImportedDraft(group, tuple(r.number for r in rows), draft))


def import_notification_csv(*, actor: Any, purpose: str, content: bytes) -> CsvImportResult:
    """Each 届出 of the file as a 転入 or 転居 draft; a refused file (header, encoding, size) changes
    nothing."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMPORT_RUN,
        purpose=purpose,
        subject_type="notification_csv",
    )
    rows = _read_rows(content)
    numbers_used = move_in_numbers.entered([r.values.get("individual_number", "") for r in rows])
    if numbers_used:  # checked before the first draft, so a refusal leaves no draft behind
        authorize(
            actor=actor,
            permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
            action=AuditAction.RESIDENT_IMPORT_RUN,
            purpose=purpose,
            subject_type="notification_csv",
        )
    result = CsvImportResult(rows=len(rows))
    for group, group_rows in _groups(rows).items():
        _enter_group(actor, purpose, group, group_rows, result)
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_IMPORT_RUN,
        subject_type="notification_csv",
        purpose=purpose,
        reason=(
            f"届出CSV {len(rows)}行: 仮登録 {len(result.drafts)}件、誤り {len(result.errors)}件"
            f"（sha256 {hashlib.sha256(content).hexdigest()}）"
        ),
        result_count=len(result.drafts),
        individual_number_used=numbers_used,
    )
    return result

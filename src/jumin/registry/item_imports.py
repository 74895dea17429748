"""Imports of 証明書交付申請 and 券面事項 files into items for review (standard 10.8-a; layouts in
docs/import-layout.md, 「証明書交付申請・券面事項の取込」).

A CSV file (UTF-8 or Shift_JIS, header row first) is read whole: every row is checked, and a file with
any bad row is refused with one error per row (row number, column, Japanese reason and remedy; never
the value) and stores nothing. A good file becomes one ``ImportedItem`` (確認待ち) per row, in one
transaction with its audit entry; another clerk then confirms (確認済) or refuses (不受理) each item,
as a 仮登録 is committed by another clerk's review.

A 券面事項 row is compared with the person's current row (氏名, 住所, 生年月日, 性別): the items that
differ are listed on the item. Its 個人番号 (masked rules, C-9): checked (12 digits and check digit),
compared with the registered one under ``INDIVIDUAL_NUMBER_ACCESS`` (audited as a use of the number),
and only the outcome (一致・不一致・登録なし) is kept; the number is never stored, shown or logged.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.crypto.individual_number import decrypt_individual_number
from jumin.domain.checkdigits import validate_mynumber
from jumin.domain.errors import DomainError, refusal
from jumin.domain.wareki import parse_date_input
from jumin.registry.euc.catalogue import full_name
from jumin.registry.models import Resident, ResidentSnapshot
from jumin.registry.models_imported_items import ImportedItem
from jumin.registry.notification_imports import read_csv_rows

Kind = ImportedItem.Kind

# Header → item name, per kind; the required columns must be in the header and filled on every row.
CERTIFICATE_COLUMNS: Mapping[str, str] = {
    "申請番号": "application_number",
    "申請日": "application_date",
    "宛名番号": "atena_number",
    "証明書種別": "certificate",
    "範囲": "scope",
    "通数": "copies",
    "請求者区分": "requester",
    "請求者氏名": "requester_name",
    "使用目的": "use",
}
CERTIFICATE_REQUIRED = ("申請番号", "申請日", "宛名番号", "証明書種別", "通数", "請求者区分", "使用目的")
CERTIFICATES = ("住民票の写し", "住民票記載事項証明書", "除票の写し", "除票記載事項証明書")
SCOPES = ("本人のみ", "世帯全員", "世帯の一部")
REQUESTERS = ("本人", "同一世帯", "代理人", "第三者")
MAX_COPIES = 20

CARD_FACE_COLUMNS: Mapping[str, str] = {
    "宛名番号": "atena_number",
    "カード種別": "card",
    "氏名": "name",
    "住所": "address",
    "生年月日": "birth_date",
    "性別": "sex",
    "個人番号": "individual_number",
}
CARD_FACE_REQUIRED = ("宛名番号", "カード種別", "氏名", "住所", "生年月日", "性別")
CARDS = ("個人番号カード", "住基カード")
_SEXES = {"男": "male", "1": "male", "女": "female", "2": "female"}
NUMBER_MATCH, NUMBER_MISMATCH, NUMBER_NOT_REGISTERED = "一致", "不一致", "登録なし"


@dataclass(frozen=True)
class ItemError:
    """Why one row was refused: its row number (the header is row 1) and column; never the value."""

    row: int
    column: str
    reason: str
    remedy: str
    code: str


@dataclass
class ItemImportResult:
    """What an import did: the items stored (none when any row was refused) and the refused rows."""

    rows: int = 0
    item_ids: list[int] = field(default_factory=list)
    errors: list[ItemError] = field(default_factory=list)


@dataclass(frozen=True)
class _Layout:
    kind: str
    columns: Mapping[str, str]
    required: tuple[str, ...]
    check: Callable[[dict[str, str], ResidentSnapshot], dict[str, Any]]


class _CellError(Exception):
    def __init__(self, column: str, reason: str, remedy: str, code: str) -> None:
        super().__init__(code)
        self.error = (column, reason, remedy, code)


def _one_of(values: dict[str, str], name: str, column: str, allowed: tuple[str, ...]) -> str:
    value = values.get(name, "")
    if value and value not in allowed:
        raise _CellError(
            column,
            f"「{column}」が一覧にありません。",
            f"{'、'.join(allowed)} のいずれかを書いてください。",
            "import.item_code",
        )
    return value


def _day(values: dict[str, str], name: str, column: str) -> str:
    try:
        return parse_date_input(values[name], field=name).sort_date.isoformat()
    except DomainError:
        raise _CellError(
            column,
            f"「{column}」が日付ではありません。",
            "西暦 2026-04-01 か和暦 令和8年4月1日 のように書いてください。",
            "import.item_date",
        ) from None


def _certificate_application(values: dict[str, str], _current: ResidentSnapshot) -> dict[str, Any]:
    copies = values["copies"]
    if not copies.isdigit() or not 1 <= int(copies) <= MAX_COPIES:
        raise _CellError(
            "通数",
            "「通数」が正しくありません。",
            f"1から{MAX_COPIES}までの数字を書いてください。",
            "import.item_copies",
        )
    return {
        "application_number": values["application_number"],
        "application_date": _day(values, "application_date", "申請日"),
        "certificate": _one_of(values, "certificate", "証明書種別", CERTIFICATES),
        "scope": _one_of(values, "scope", "範囲", SCOPES) or "本人のみ",
        "copies": int(copies),
        "requester": _one_of(values, "requester", "請求者区分", REQUESTERS),
        "requester_name": values.get("requester_name", ""),
        "use": values["use"],
    }


def _number_outcome(entered: str, current: ResidentSnapshot) -> str:
    """一致・不一致・登録なし of a card's 個人番号 against the registered one (the number is not kept)."""
    if current.individual_number is None:
        return NUMBER_NOT_REGISTERED
    registered = decrypt_individual_number(current.individual_number, purpose="registry.resident")
    return NUMBER_MATCH if hmac.compare_digest(registered, entered) else NUMBER_MISMATCH


def _card_face(values: dict[str, str], current: ResidentSnapshot) -> dict[str, Any]:
    sex = _SEXES.get(values["sex"])
    if sex is None:
        raise _CellError(
            "性別", "「性別」が正しくありません。", "「男」「女」または 1、2 と書いてください。", "import.sex"
        )
    birth = _day(values, "birth_date", "生年月日")
    entered_number = values.get("individual_number", "")
    number = ""
    if entered_number:
        try:
            number = validate_mynumber(entered_number)
        except DomainError:
            raise _CellError(
                "個人番号",
                "「個人番号」の桁数かチェックデジットが正しくありません。",
                "カードの個人番号12桁を確かめて書いてください。",
                "import.individual_number",
            ) from None
    addresses = {
        current.address,
        f"{current.address}{current.katagaki}",
        f"{current.address}\u3000{current.katagaki}",
        f"{current.address} {current.katagaki}",
    }
    name = values["name"].replace(" ", "\u3000")
    differences = [
        label
        for label, same in (
            ("氏名", name == full_name(current.surname, current.given_name)),
            ("住所", values["address"] in addresses),
            ("生年月日", birth == current.birth_sort_date.isoformat()),
            ("性別", sex == current.sex),
        )
        if not same
    ]
    return {
        "card": _one_of(values, "card", "カード種別", CARDS),
        "name": values["name"],
        "address": values["address"],
        "birth_date": birth,
        "sex": sex,
        "differences": differences,
        # Only the outcome: the 個人番号 itself is never stored (C-9).
        "individual_number": _number_outcome(number, current) if number else "",
    }


LAYOUTS = {
    Kind.CERTIFICATE_APPLICATION: _Layout(
        Kind.CERTIFICATE_APPLICATION, CERTIFICATE_COLUMNS, CERTIFICATE_REQUIRED, _certificate_application
    ),
    Kind.CARD_FACE: _Layout(Kind.CARD_FACE, CARD_FACE_COLUMNS, CARD_FACE_REQUIRED, _card_face),
}


def _rows(layout: _Layout, content: bytes) -> list[tuple[int, dict[str, str]]]:
    rows = read_csv_rows(content, layout.columns, layout.required, "docs/import-layout.md")
    return [(row.number, row.values) for row in rows]


def _current_rows(rows: list[tuple[int, dict[str, str]]]) -> dict[str, ResidentSnapshot]:
    """Each named person's current committed row, not in the 除票データベース (one query)."""
    numbers = {values.get("atena_number", "") for _, values in rows}
    people = Resident.objects.filter(
        atena_number__in=numbers, current__isnull=False, archive_entry__isnull=True
    ).select_related("current")
    return {person.atena_number: person.current for person in people if person.current is not None}


def _checked(
    layout: _Layout, number: int, values: dict[str, str], current: dict[str, ResidentSnapshot]
) -> Any:
    """The item's data, or the row's ``ItemError``."""
    header_of = {name: header for header, name in layout.columns.items()}
    for column in layout.required:
        if not values.get(layout.columns[column], ""):
            return ItemError(
                number,
                column,
                f"「{column}」が空です。",
                f"「{column}」を書いてください。",
                "import.item_missing",
            )
    snapshot = current.get(values["atena_number"])
    if snapshot is None:
        return ItemError(
            number,
            header_of["atena_number"],
            "「宛名番号」の住民が見つかりません。",
            "宛名番号を確かめてください（除票データベースに移された方は取り込めません）。",
            "import.item_resident",
        )
    try:
        return layout.check(values, snapshot)
    except _CellError as refused:
        return ItemError(number, *refused.error)


def import_items(*, actor: Any, purpose: str, kind: str, content: bytes) -> ItemImportResult:
    """A 証明書交付申請 or 券面事項 file as items for review; any bad row refuses the whole file."""
    layout = LAYOUTS[Kind(kind)]
    subject = f"{layout.kind}_csv"
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMPORT_RUN,
        purpose=purpose,
        subject_type=subject,
    )
    rows = _rows(layout, content)
    numbers_used = any(values.get("individual_number", "") for _, values in rows)
    if numbers_used:  # before anything is compared: a refusal compares nothing
        authorize(
            actor=actor,
            permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
            action=AuditAction.RESIDENT_IMPORT_RUN,
            purpose=purpose,
            subject_type=subject,
        )
    current = _current_rows(rows)
    result = ItemImportResult(rows=len(rows))
    checked = [(number, values, _checked(layout, number, values, current)) for number, values in rows]
    result.errors = [outcome for _, _, outcome in checked if isinstance(outcome, ItemError)]
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        if not result.errors:
            for number, values, data in checked:
                item = ImportedItem.objects.create(
                    kind=layout.kind,
                    resident=current[values["atena_number"]].resident,
                    row_number=number,
                    file_sha256=digest,
                    data=data,
                    imported_by=actor,
                )
                result.item_ids.append(item.pk)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMPORT_RUN,
            subject_type=subject,
            purpose=purpose,
            reason=(
                f"{Kind(kind).label}CSV {len(rows)}行: 確認待ち {len(result.item_ids)}件、"
                f"誤り {len(result.errors)}件（sha256 {digest}）"
            ),
            result_count=len(result.item_ids),
            individual_number_used=numbers_used,
            concerning=sorted({values.get("atena_number", "") for _, values in rows} & set(current)),
        )
    return result


@dataclass(frozen=True)
class PendingItem:
    """One item waiting for review, as the review list shows it."""

    item_id: int
    kind: str
    kind_label: str
    atena_number: str
    name: str
    row_number: int
    imported_at: str
    data: dict[str, Any]


def pending_items(*, actor: Any, purpose: str, limit: int = 500) -> list[PendingItem]:
    """The items still 確認待ち, oldest first, with the person's current name (the listing is audited)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_IMPORT_ITEM_LIST,
        purpose=purpose,
        subject_type="imported_item",
    )
    items = list(
        ImportedItem.objects.filter(state=ImportedItem.State.PENDING)
        .select_related("resident__current")
        .order_by("pk")[:limit]
    )
    listed = [
        PendingItem(
            item_id=item.pk,
            kind=item.kind,
            kind_label=item.get_kind_display(),
            atena_number=item.resident.atena_number,
            name=full_name(item.resident.current.surname, item.resident.current.given_name)
            if item.resident.current
            else "",
            row_number=item.row_number,
            imported_at=timezone.localtime(item.imported_at).strftime("%Y-%m-%d %H:%M"),
            data=dict(item.data),
        )
        for item in items
    ]
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMPORT_ITEM_LIST,
            subject_type="imported_item",
            purpose=purpose,
            result_count=len(listed),
            concerning=sorted({item.atena_number for item in listed}),
        )
    return listed


def decide_item(*, actor: Any, purpose: str, item_id: int, accept: bool, reason: str = "") -> None:
    """確認済 or 不受理 (with its reason) by a clerk other than the one who imported it; once only."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_IMPORT_ITEM_DECIDE,
        purpose=purpose,
        subject_type="imported_item",
        subject_id=str(item_id),
    )
    reason = reason.strip()
    if not accept and not reason:
        raise refusal(
            "reason", "不受理の理由が空です。", "理由を200文字以内で入力してください。", "import.item_reason"
        )
    if len(reason) > 200:
        raise refusal(
            "reason", "不受理の理由が長すぎます。", "200文字以内で入力してください。", "import.item_reason"
        )
    with transaction.atomic():
        item = (
            ImportedItem.objects.select_for_update()
            .filter(pk=item_id, state=ImportedItem.State.PENDING)
            .first()
        )
        if item is None:
            raise refusal(
                "item_id",
                "確認待ちの取込データではありません（確認済みか、ありません）。",
                "一覧を表示し直してください。",
                "import.item_decided",
            )
        if item.imported_by_id == actor.pk:
            raise refusal(
                "item_id",
                "取り込んだ職員は、同じデータを確認できません。",
                "別の職員が確認してください。",
                "import.item_same_clerk",
            )
        ImportedItem.objects.filter(pk=item.pk).update(
            state=ImportedItem.State.ACCEPTED if accept else ImportedItem.State.REFUSED,
            decided_by=actor,
            decided_at=timezone.now(),
            reason="" if accept else reason,
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMPORT_ITEM_DECIDE,
            subject_type="imported_item",
            subject_id=str(item.pk),
            purpose=purpose,
            reason="確認済" if accept else "不受理",
            concerning=[item.resident.atena_number],
        )

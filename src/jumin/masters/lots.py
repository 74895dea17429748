"""The lot (住居表示・区画整理・地番) and 方書 masters (standard 1.3.2-a, 1.3.4-a, 4.0.7-a).

Staff with ``MASTERS_EDIT`` register and end rows on the master screen or import a CSV
(``manage.py import_address_lots``). Rows are never overwritten: a new row of the same key ends the
row in force the day before (``masters.validity``). Every write is audited. The 方書
of a typed address are offered on the entry screens (``katagaki_for_address``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.address_lots import LotNumber, LotSystem, parse_lot_text
from jumin.domain.errors import DomainError, refusal
from jumin.masters.models import AddressArea, AddressLot, Katagaki
from jumin.masters.validity import end_row_in_force

__all__ = [
    "CSV_COLUMNS",
    "ImportSummary",
    "KatagakiEntry",
    "LotEntry",
    "end_katagaki",
    "end_lot",
    "import_csv",
    "katagaki_for_address",
    "lots_of_area",
    "register_katagaki",
    "register_lot",
]

CSV_COLUMNS = (
    "住所コード",
    "区分",
    "特殊地番",
    "番地",
    "枝番",
    "枝番の枝番",
    "方書",
    "方書カナ",
    "適用開始日",
)
"""The import file's header. 区分: 住居表示・区画整理・地番; a row with a 方書 also adds it to the lot."""

_SYSTEMS = {
    "住居表示": LotSystem.RESIDENCE_INDICATION,
    "区画整理": LotSystem.LAND_READJUSTMENT,
    "地番": LotSystem.LAND_LOT,
}


@dataclass(frozen=True)
class LotEntry:
    """A lot to register: the 町字 by its 11-digit 住所コード, the system and the numeric codes."""

    address_code: str
    system: LotSystem
    number: LotNumber
    valid_from: date


@dataclass(frozen=True)
class KatagakiEntry:
    """A 方書 to register on a lot."""

    lot_id: int
    name: str
    kana: str
    valid_from: date


def _in_force_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def _audit(
    *, actor: Any, action: AuditAction, purpose: str, subject_type: str, subject_id: str, reason: str = ""
) -> None:
    record_event(
        actor=actor,
        action=action,
        purpose=purpose,
        subject_type=subject_type,
        subject_id=subject_id,
        outcome_reason=reason,
        **audit_context(),
    )


def _authorize(actor: Any, action: AuditAction, purpose: str) -> None:
    authorize(actor=actor, permission=Permission.MASTERS_EDIT, action=action, purpose=purpose)


def _area(address_code: str) -> AddressArea:
    area = AddressArea.objects.filter(address_code=address_code.strip()).order_by("pk").first()
    if area is None or len(address_code.strip()) != 11:
        raise refusal(
            "address_code",
            "住所コードに当たる町字が住所辞書にありません。",
            "11桁の住所コードを住所辞書で確認してください。",
            "masters.lot_area",
        )
    return area


def _check_number(number: LotNumber) -> None:
    if number.lot <= 0 and not number.special:
        raise refusal(
            "lot_number",
            "番地が入力されていません。",
            "番地（街区符号・街区）を1以上の数字で入力してください（無番地は特殊地番に入力）。",
            "masters.lot_number",
        )


def _create_lot(entry: LotEntry, actor: Any) -> AddressLot:
    _check_number(entry.number)
    area = _area(entry.address_code)
    key = {
        "area__address_code": area.address_code,
        "system": entry.system.value,
        "special": entry.number.special,
        "lot_number": entry.number.lot,
        "sub_number": entry.number.sub,
        "minor_number": entry.number.minor,
    }
    end_row_in_force(list(AddressLot.objects.select_for_update().filter(**key)), entry.valid_from)
    return AddressLot.objects.create(
        area=area,
        system=entry.system.value,
        special=entry.number.special,
        lot_number=entry.number.lot,
        sub_number=entry.number.sub,
        minor_number=entry.number.minor,
        valid_from=entry.valid_from,
        registered_by=actor,
    )


def _create_katagaki(entry: KatagakiEntry, actor: Any) -> Katagaki:
    name = entry.name.strip()
    if not name or len(name) > 200:
        raise refusal(
            "name", "方書が入力されていません。", "200文字以内で入力してください。", "masters.katagaki_name"
        )
    lot = AddressLot.objects.filter(pk=entry.lot_id).first()
    if lot is None:
        raise refusal(
            "lot_id", "番地が見つかりません。", "一覧から番地を選んでください。", "masters.katagaki_lot"
        )
    end_row_in_force(list(Katagaki.objects.select_for_update().filter(lot=lot, name=name)), entry.valid_from)
    return Katagaki.objects.create(
        lot=lot, name=name, kana=entry.kana.strip(), valid_from=entry.valid_from, registered_by=actor
    )


def register_lot(*, actor: Any, purpose: str, entry: LotEntry) -> AddressLot:
    """Register a lot from ``entry.valid_from`` (the same lot in force until then ends the day before)."""
    action = AuditAction.MASTERS_RECORD_CREATE
    _authorize(actor, action, purpose)
    with transaction.atomic():
        lot = _create_lot(entry, actor)
        _audit(
            actor=actor, action=action, purpose=purpose, subject_type="address_lot", subject_id=str(lot.pk)
        )
    return lot


def register_katagaki(*, actor: Any, purpose: str, entry: KatagakiEntry) -> Katagaki:
    """Register a 方書 on a lot from ``entry.valid_from``."""
    action = AuditAction.MASTERS_RECORD_CREATE
    _authorize(actor, action, purpose)
    with transaction.atomic():
        row = _create_katagaki(entry, actor)
        _audit(actor=actor, action=action, purpose=purpose, subject_type="katagaki", subject_id=str(row.pk))
    return row


def _end(
    model: type[AddressLot] | type[Katagaki], *, actor: Any, purpose: str, row_id: int, valid_to: date
) -> None:
    action = AuditAction.MASTERS_RECORD_END
    _authorize(actor, action, purpose)
    subject_type = "address_lot" if model is AddressLot else "katagaki"
    with transaction.atomic():
        row = model.objects.select_for_update().filter(pk=row_id).first()
        if row is None or row.valid_to is not None or valid_to < row.valid_from:
            raise refusal(
                "valid_to",
                "終了できる行ではないか、終了日が適用開始日より前です。",
                "一覧で適用中の行を選び、適用開始日以後の終了日を入力してください。",
                "masters.end_period",
            )
        row.valid_to = valid_to
        row.save(update_fields=["valid_to"])
        _audit(
            actor=actor,
            action=action,
            purpose=purpose,
            subject_type=subject_type,
            subject_id=str(row.pk),
            reason=f"valid_to={valid_to.isoformat()}",
        )


def end_lot(*, actor: Any, purpose: str, lot_id: int, valid_to: date) -> None:
    """End a lot on ``valid_to`` (住居表示の実施 or 換地処分 retires it); audited."""
    _end(AddressLot, actor=actor, purpose=purpose, row_id=lot_id, valid_to=valid_to)


def end_katagaki(*, actor: Any, purpose: str, katagaki_id: int, valid_to: date) -> None:
    """End a 方書 on ``valid_to`` (the building is gone or renamed); audited."""
    _end(Katagaki, actor=actor, purpose=purpose, row_id=katagaki_id, valid_to=valid_to)


def lots_of_area(address_code: str) -> list[AddressLot]:
    """Every lot row of the 町字 (ended ones too), in numeric order, with their 方書 rows."""
    return list(
        AddressLot.objects.filter(area__address_code=address_code.strip())
        .select_related("area")
        .prefetch_related("katagaki")
        .order_by("system", "special", "lot_number", "sub_number", "minor_number", "valid_from")
    )


def _area_names(area: AddressArea) -> list[str]:
    municipality = area.municipality
    local = f"{municipality.address_name}{area.name}"
    return [f"{municipality.prefecture.name}{local}", local, area.name]


def _after_characters(text: str, count: int) -> str:
    """``text`` after its first ``count`` non-space characters (spaces inside the 町字 part are skipped;
    a space after the lot still ends it, so a typed room number is not read as part of the lot)."""
    seen = 0
    for index, character in enumerate(text):
        if seen == count:
            return text[index:]
        if not character.isspace():
            seen += 1
    return ""


def katagaki_for_address(address: str, day: date | None = None) -> list[Katagaki]:
    """The 方書 in force of the lot a typed address names (「…相生町1番2号」), for 4.0.7-a.

    The 町字 is the longest written name (with or without prefecture and municipality) the address
    starts with, among the 町字 that have lots; the lot is read from the rest (``parse_lot_text``).
    A lot typed without its sub-number offers the 方書 of every lot under that number.
    """
    day = day or timezone.localdate()
    text = "".join(address.split())
    areas = (
        AddressArea.objects.filter(lots__isnull=False).select_related("municipality__prefecture").distinct()
    )
    best: tuple[int, AddressArea] | None = None
    for area in areas:
        for name in _area_names(area):
            if text.startswith(name) and (best is None or len(name) > best[0]):
                best = (len(name), area)
    if best is None:
        return []
    number = parse_lot_text(_after_characters(address, best[0]))
    if number is None:
        return []
    lots = Q(
        lot__area__address_code=best[1].address_code,
        lot__special=number.special,
        lot__lot_number=number.lot,
    )
    if number.sub:
        lots &= Q(lot__sub_number=number.sub)
    if number.minor:
        lots &= Q(lot__minor_number=number.minor)
    in_force = (
        _in_force_on(day)
        & Q(lot__valid_from__lte=day)
        & (Q(lot__valid_to__isnull=True) | Q(lot__valid_to__gte=day))
    )
    return list(Katagaki.objects.filter(lots & in_force).select_related("lot").order_by("kana", "name"))


@dataclass
class ImportSummary:
    """What an import wrote: new lots, new 方書 and lots that already existed."""

    lots: int = 0
    katagaki: int = 0
    lots_reused: int = 0


def _number(value: str, column: str, line: int) -> int:
    value = value.strip()
    if not value:
        return 0
    if not value.isascii() or not value.isdigit():
        raise refusal(
            column,
            f"{line}行目: {column}が数字ではありません。",
            "0以上の半角数字で入力してください。",
            "masters.csv_number",
        )
    return int(value)


def _row_entry(row: dict[str, str], line: int) -> tuple[LotEntry, str, str]:
    system = _SYSTEMS.get(row.get("区分", "").strip())
    if system is None:
        raise refusal(
            "区分",
            f"{line}行目: 区分が正しくありません。",
            "住居表示・区画整理・地番のいずれかを入力してください。",
            "masters.csv_system",
        )
    try:
        valid_from = date.fromisoformat(row.get("適用開始日", "").strip())
    except ValueError:
        raise refusal(
            "適用開始日",
            f"{line}行目: 適用開始日が正しくありません。",
            "YYYY-MM-DD で入力してください。",
            "masters.csv_date",
        ) from None
    number = LotNumber(
        row.get("特殊地番", "").strip(),
        _number(row.get("番地", ""), "番地", line),
        _number(row.get("枝番", ""), "枝番", line),
        _number(row.get("枝番の枝番", ""), "枝番の枝番", line),
    )
    entry = LotEntry(row.get("住所コード", "").strip(), system, number, valid_from)
    return entry, row.get("方書", "").strip(), row.get("方書カナ", "").strip()


def _lot_for(entry: LotEntry, actor: Any, summary: ImportSummary) -> AddressLot:
    same = AddressLot.objects.filter(
        area__address_code=entry.address_code,
        system=entry.system.value,
        special=entry.number.special,
        lot_number=entry.number.lot,
        sub_number=entry.number.sub,
        minor_number=entry.number.minor,
    ).filter(_in_force_on(entry.valid_from))
    existing = same.first()
    if existing is not None:
        summary.lots_reused += 1
        return existing
    summary.lots += 1
    return _create_lot(entry, actor)


def import_csv(*, actor: Any, purpose: str, text: str) -> ImportSummary:
    """Import lots and 方書 from CSV text (header ``CSV_COLUMNS``) in one transaction; audited.

    A lot already in force on the row's start date is reused (a file may list several 方書 of one
    lot). Any bad row refuses the whole file, naming its line: nothing is written.
    """
    action = AuditAction.MASTERS_LOAD_RUN
    _authorize(actor, action, purpose)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [
        column
        for column in ("住所コード", "区分", "番地", "適用開始日")
        if column not in (reader.fieldnames or [])
    ]
    if missing:
        raise refusal(
            "header",
            "CSVの見出し行に必要な列がありません。",
            f"見出し行を {','.join(CSV_COLUMNS)} にしてください。",
            "masters.csv_header",
        )
    summary = ImportSummary()
    with transaction.atomic():
        for line, row in enumerate(reader, start=2):
            entry, name, kana = _row_entry(row, line)
            try:
                lot = _lot_for(entry, actor, summary)
                if name:
                    _create_katagaki(KatagakiEntry(lot.pk, name, kana, entry.valid_from), actor)
                    summary.katagaki += 1
            except DomainError as error:
                raise refusal(error.field, f"{line}行目: {error.reason}", error.remedy, error.code) from error
        _audit(
            actor=actor,
            action=action,
            purpose=purpose,
            subject_type="address_lot",
            subject_id="csv",
            reason=f"lots={summary.lots} katagaki={summary.katagaki} reused={summary.lots_reused}",
        )
    return summary


def systems() -> Iterable[tuple[str, str]]:
    """(value, label) of the lot systems, for the screen's select."""
    return [(system.value, label) for label, system in _SYSTEMS.items()]

"""職権記載・職権修正・職権消除, 軽微な修正 and 誤記修正 (standard §8 4.2; 住民基本台帳法施行令12条;
system.md F08) as drafts for commit_change.

Every action writes a 職権記録書 (ExOfficioRecord: legal basis, the date the fact was found, the
grounds and what was found) beside its change. Together with the change's snapshots (who, and the
row before and after) that is all a 職権記載等通知書 needs; ``notice_required`` says whether one is
sent (standard 4.2.0.1-a; a 軽微な修正 never sends one). The certificates app reads it through
``selectors_corrections.ex_officio_notice``.

* 職権記載: new persons recorded at an address (住所設定, standard 4.2.1.1-a: 転入前住所 may be 「不明」).
* 職権消除: persons removed with 消除事由 「職権消除」 (e.g. a field survey found they no longer live there).
* 職権修正 / 軽微な修正 / 誤記修正: chosen items of the current row changed; the old rows stay. A
  誤記修正 also records which row the error was entered in, so history shows it as corrected
  (standard 4.2.3.3-a; overwriting is an X row). A 軽微な修正 is limited to the cases of 4.2.3.2-a.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain import recorded_dates
from jumin.domain.eras import Calendar
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.kana import normalize_furigana
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.relationships import RelationshipKind, parse_relationship
from jumin.domain.resident import (
    ChangeReason,
    PersonFacts,
    ResidentKind,
    ResidentStatus,
    Sex,
    check_person,
    with_checked_relationship_proof,
)
from jumin.domain.wareki import DateFieldKind, parse_date_input
from jumin.registry import numbering, preset_notes, services_restrictions
from jumin.registry.field_labels import FIELD_LABELS
from jumin.registry.models import Change, ExOfficioRecord, Resident, ResidentSnapshot
from jumin.registry.search_keys import NAME_COLUMNS
from jumin.registry.services import (
    Address,
    DraftRecorded,
    _household_for,
    _member_order,
    _person_columns,
    _possible_duplicates,
)
from jumin.registry.snapshots import current_of, draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.head_by_ex_officio import follow_up, with_follow_up
from jumin.registry.workflows.household import head_change_alert
from jumin.registry.workflows.household_members import check_no_duplicates

TEXT_MAX_LENGTH = 200
FINDINGS_MAX_LENGTH = 2000


class ExOfficioAction(StrEnum):
    """The ex officio actions (records.md §7); each value is also the change's 異動事由."""

    RECORDING = ChangeReason.EX_OFFICIO_RECORDING.value
    REMOVAL = ChangeReason.EX_OFFICIO_REMOVAL.value
    AMENDMENT = ChangeReason.EX_OFFICIO_AMENDMENT.value
    MINOR = ChangeReason.MINOR_CORRECTION.value
    ERROR = ChangeReason.ERROR_CORRECTION.value
    # Changes of status from a 戸籍 notification (standard 1.1.4-c): a correction of the person's items
    # under their own 異動事由, without 改製; printed history leaves them out (HIDDEN_ON_PRINTED_HISTORY).
    SPECIAL_ADOPTION = ChangeReason.SPECIAL_ADOPTION.value
    SPECIAL_ADOPTION_DISSOLUTION = ChangeReason.SPECIAL_ADOPTION_DISSOLUTION.value
    SEX_CHANGE = ChangeReason.SEX_CHANGE.value


STATUS_CHANGES = (
    ExOfficioAction.SPECIAL_ADOPTION,
    ExOfficioAction.SPECIAL_ADOPTION_DISSOLUTION,
    ExOfficioAction.SEX_CHANGE,
)
CORRECTIONS = (ExOfficioAction.AMENDMENT, ExOfficioAction.MINOR, ExOfficioAction.ERROR, *STATUS_CHANGES)


class MinorCase(StrEnum):
    """The cases a 軽微な修正 may be used for (standard 4.2.3.2-a)."""

    CHARACTER_REPLACEMENT = "誤字・俗字の正字への置換"
    CHARACTER_IDENTIFICATION = "文字の同定"
    AREA_RENAMING = "行政区画・町名等の名称変更"
    LOT_RENUMBERING = "地番の変更"
    RESIDENCE_INDICATION = "住居表示の実施・変更"
    BUILDING_RENAMING = "建物の名称変更・家主の変更"
    MINISTER_APPROVED = "その他総務大臣が認めるもの"


# Items a correction may change (code names); the labels, which the clerk's screen uses, come
# from the one registry table of field labels.
CORRECTABLE_ITEMS: Mapping[str, str] = {
    item: FIELD_LABELS[item]
    for item in (
        *NAME_COLUMNS,
        "birth_date",
        "sex",
        "relationship",
        "address",
        "katagaki",
        "postal_code",
        "address_code",
        "honseki",
        "hittousha",
    )
}
# Characters and place names only: what 4.2.3.2-a lists. Readings, dates, sex and 続柄 are not minor.
MINOR_ITEMS = frozenset(
    {"surname", "given_name", "former_surname", "alias", "address", "katagaki", "postal_code"}
    | {"address_code", "honseki", "hittousha"}
)
# Items that describe one person; a correction of them names exactly one person.
PERSONAL_ITEMS = frozenset(CORRECTABLE_ITEMS) - {"address", "katagaki", "postal_code", "address_code"}
_REQUIRED_ITEMS = frozenset({"surname", "surname_kana", "address", "birth_date", "sex", "relationship"})
_JAPANESE_ONLY = frozenset({"former_surname", "former_surname_kana", "honseki", "hittousha"})
_FOREIGN_ONLY = frozenset({"alias", "alias_kana"})
_KANA_ITEMS = frozenset({"surname_kana", "given_name_kana", "former_surname_kana", "alias_kana"})


@dataclass(frozen=True)
class RecordBook:
    """The 職権記録書 contents (standard 4.2.0.1-a): basis, date found, grounds and what was found.

    ``notified_on`` is the 戸籍届出・通知日 when the action follows a 戸籍 notification or notice
    (4.2.0.4-a); ``applied_on`` the 申出日 when it is taken on the person's application (4.2.0.5-a: the
    change is then marked 申出, not 職権). The change keeps either as its 届出日; at most one is given.
    """

    legal_basis: str
    found_on: date
    grounds: str
    findings: str
    notified_on: date | None = None
    applied_on: date | None = None


@dataclass(frozen=True)
class ExOfficioRecording:
    """職権記載 of new persons at ``address`` (a new household, or ``household_number`` to join)."""

    members: Sequence[PersonFacts]
    address: Address
    address_set_date: RecordedDate
    previous_address: str
    record: RecordBook
    household_number: str | None = None
    notice_required: bool = True
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


@dataclass(frozen=True)
class ExOfficioRemoval:
    """職権消除 of current residents of one household, effective ``removal_date``."""

    atena_numbers: Sequence[str]
    removal_date: date
    record: RecordBook
    notice_required: bool = True
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


@dataclass(frozen=True)
class ExOfficioCorrection:
    """職権修正, 軽微な修正 or 誤記修正: ``items`` (code name → new text) on each person's current row."""

    action: ExOfficioAction
    atena_numbers: Sequence[str]
    items: Mapping[str, str]
    change_date: date
    record: RecordBook
    minor_case: MinorCase | None = None
    notice_required: bool = True
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


def _check_record(record: RecordBook, today: date) -> None:
    for name, label, value, limit in (
        ("legal_basis", "根拠法令", record.legal_basis, TEXT_MAX_LENGTH),
        ("grounds", "事由", record.grounds, TEXT_MAX_LENGTH),
        ("findings", "確認した事実", record.findings, FINDINGS_MAX_LENGTH),
    ):
        if not value.strip():
            raise refusal(
                name,
                f"職権記録書の{label}が入力されていません。",
                f"{label}を入力してください。",
                "registry.record_book_required",
            )
        if len(value.strip()) > limit:
            raise refusal(
                name,
                f"職権記録書の{label}が{limit}文字を超えています。",
                f"{label}を短く入力してください。",
                "registry.record_book_too_long",
            )
    if record.found_on > today:
        raise refusal(
            "found_on",
            "事実を確認した日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.future_found_on",
        )
    for name, label, day in (
        ("notified_on", "戸籍届出・通知日", record.notified_on),
        ("applied_on", "申出日", record.applied_on),
    ):
        if day is not None and day > today:
            raise refusal(
                name,
                f"{label}が未来の日付です。",
                "本日以前の日付を入力してください。",
                "registry.future_date",
            )
    if record.notified_on is not None and record.applied_on is not None:
        raise refusal(
            "applied_on",
            "戸籍届出・通知日と申出日の両方が入力されています。",
            "申出による処理なら申出日だけを、戸籍の届出・通知による処理なら戸籍届出・通知日だけを入力してください。",
            "registry.notified_and_applied",
        )


def _check_event_date(event_date: date, record: RecordBook, today: date, *, field: str) -> None:
    if event_date > today:
        raise refusal(
            field,
            "異動日が未来の日付です。",
            "本日以前の日付を入力してください（standard 4.0.3-a）。",
            "registry.future_event_date",
        )
    if event_date > record.found_on:
        raise refusal(
            field,
            "異動日が、事実を確認した日より後です。",
            "確認した事実が生じた日を異動日に入力してください。",
            "registry.event_after_found_on",
        )


def _write(
    *,
    actor: Any,
    action: ExOfficioAction,
    change_date: date,
    record: RecordBook,
    notice_required: bool,
    minor_case: MinorCase | None = None,
    changed_items: Sequence[str] = (),
    corrected_rows: Mapping[str, int] | None = None,
    notification_date: date | None = None,
    attention_note: str = "",
) -> Change:
    """The change and its 職権記録書; the caller adds the snapshots, then the audit entry (_audit).
    ``attention_note`` is the 留意事項 already checked by ``preset_notes.checked_note``.

    ``notification_date`` is the 戸籍届出・通知日 when the action follows a 戸籍 notice (4.2.0.4-a); else
    the record book's own 戸籍届出・通知日 or 申出日 (4.2.0.5-a: marked 申出) is the change's 届出日."""
    change = Change.objects.create(
        reason=action.value,
        change_date=change_date,
        notification_date=notification_date or record.applied_on or record.notified_on,
        notification_kind="申出" if record.applied_on is not None else "職権",
        made_by=actor,
        made_at=timezone.now(),
        attention_note=attention_note,
    )
    ExOfficioRecord.objects.create(
        change=change,
        action=action.value,
        legal_basis=record.legal_basis.strip(),
        found_on=record.found_on,
        grounds=record.grounds.strip(),
        findings=record.findings.strip(),
        minor_case=minor_case.value if minor_case else "",
        notice_required=notice_required,
        changed_items=list(changed_items),
        corrected_rows=dict(corrected_rows or {}),
    )
    return change


def _audit(actor: Any, purpose: str, change: Change, action: ExOfficioAction, acknowledged: str) -> None:
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        subject_type="change",
        subject_id=str(change.pk),
        purpose=purpose,
        reason=audit_reason(action.value, acknowledged),
    )


def _authorize(actor: Any, purpose: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        purpose=purpose,
        subject_type="change",
    )


# --- 職権記載 ---------------------------------------------------------------------------------------


def _check_recording(recording: ExOfficioRecording, today: date) -> tuple[list[PersonFacts], list[Alert]]:
    _check_record(recording.record, today)
    if not recording.members:
        raise refusal(
            "members", "記載する方が入力されていません。", "1人以上入力してください。", "registry.no_members"
        )
    if not recording.address.address.strip():
        raise refusal(
            "address",
            "住所が入力されていません。",
            "住所を定めた場所を入力してください。",
            "registry.address_required",
        )
    if len(recording.previous_address) > TEXT_MAX_LENGTH:
        raise refusal(
            "previous_address",
            f"転入前住所が{TEXT_MAX_LENGTH}文字を超えています。",
            "短く入力してください（分からない場合は「不明」）。",
            "registry.previous_address_too_long",
        )
    _check_event_date(
        recorded_dates.sort_date_of(recording.address_set_date),
        recording.record,
        today,
        field="address_set_date",
    )
    checked: list[PersonFacts] = []
    alerts: list[Alert] = []
    for index, facts in enumerate(recording.members):
        normalised, person_alerts = check_person(facts)
        normalised = with_checked_relationship_proof(normalised, field=f"members[{index}].relationship_proof")
        if (
            normalised.juminhyo_code
            and ResidentSnapshot.objects.filter(
                juminhyo_code=normalised.juminhyo_code, history_no__isnull=False
            ).exists()
        ):
            raise refusal(
                "juminhyo_code",
                "この住民票コードの方は既に記録されています。",
                "除票の方は異動の取消しまたは転入として、現に住民の方は修正として処理してください。",
                "registry.recording_of_known_person",
            )
        checked.append(normalised)
        alerts += person_alerts + _possible_duplicates(normalised)
    heads = [f for f in checked if f.relationship.kind is RelationshipKind.HEAD]
    if recording.household_number is None and len(heads) != 1:
        raise refusal(
            "relationship",
            "新しい世帯には世帯主が1人必要です。",
            "続柄が「世帯主」の方を1人だけ指定してください。",
            "registry.one_head_required",
        )
    if recording.household_number is not None and heads:
        raise refusal(
            "relationship",
            "既存の世帯に世帯主として記載することはできません。",
            "世帯主の変更は世帯変更（世帯主変更）で処理してください。",
            "registry.head_joins_household",
        )
    if not recording.previous_address.strip():
        alerts.append(
            Alert(
                field="previous_address",
                message="転入前住所が空欄です。分からない場合は「不明」と入力します（出生等で前住所がない場合のみ空欄）。",
                code="registry.previous_address_blank",
            )
        )
    return checked, alerts


def record_ex_officio_recording(*, actor: Any, purpose: str, recording: ExOfficioRecording) -> DraftRecorded:
    """Enter a 職権記載 as a draft (standard 4.2.0.1-a, 4.2.1.1-a); another clerk commits it."""
    _authorize(actor, purpose)
    note = preset_notes.checked_note(recording.attention_note)
    today = timezone.localdate()
    members, alerts = _check_recording(recording, today)
    acknowledged = require_acknowledged(alerts, recording.acknowledged_alerts)
    # New persons: only the household joined can hold a 異動入力 抑止 (as for a 転入).
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        atena_numbers=[],
        household_numbers=[recording.household_number or ""],
    )
    address_set = recorded_dates.to_json(recording.address_set_date)
    action = ExOfficioAction.RECORDING
    with transaction.atomic():
        change = _write(
            actor=actor,
            action=action,
            change_date=recorded_dates.sort_date_of(recording.address_set_date),
            record=recording.record,
            notice_required=recording.notice_required,
            attention_note=note,
        )
        household, existing_order, de_facto_head = _household_for(recording.household_number)
        residents = [
            Resident.objects.create(atena_number=numbering.issue_number(numbering.ATENA), kind=facts.kind)
            for facts in members
        ]
        order = _member_order(members, residents, existing_order)
        for facts, resident in zip(members, residents, strict=True):
            ResidentSnapshot.objects.create(
                resident=resident,
                change=change,
                status=ResidentStatus.RESIDENT,
                **_person_columns(facts),
                household=household,
                is_head=facts.relationship.kind is RelationshipKind.HEAD,
                relationship=facts.relationship.text,
                member_order=order.index(resident.atena_number) + 1,
                de_facto_head=de_facto_head,
                postal_code=recording.address.postal_code,
                address_code=recording.address.address_code,
                address=recording.address.address,
                katagaki=recording.address.katagaki,
                previous_address=recording.previous_address.strip(),
                became_resident_date=address_set,
                became_resident_reason=action.value,
                address_set_date=address_set,
            )
        _audit(actor, purpose, change, action, acknowledged)
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(r.atena_number for r in residents),
        household_number=household.number,
        alerts=tuple(alerts),
    )


# --- 職権消除 ---------------------------------------------------------------------------------------


def _current_people(atena_numbers: Sequence[str]) -> list[tuple[Resident, ResidentSnapshot]]:
    numbers = [n.strip() for n in atena_numbers if n.strip()]
    if not numbers:
        raise refusal(
            "atena_numbers",
            "対象の方が入力されていません。",
            "対象の方の宛名番号を1人以上入力してください。",
            "registry.no_members",
        )
    check_no_duplicates(numbers, field="atena_numbers")
    people = []
    for number in numbers:
        try:
            people.append(current_of(number))
        except DomainError as missing:
            raise refusal("atena_numbers", missing.reason, missing.remedy, missing.code) from None
    return people


def record_ex_officio_removal(*, actor: Any, purpose: str, removal: ExOfficioRemoval) -> DraftRecorded:
    """Enter a 職権消除 as a draft (standard 4.2.0.1-a, 4.2.2.2-a); another clerk commits it."""
    _authorize(actor, purpose)
    note = preset_notes.checked_note(removal.attention_note)
    today = timezone.localdate()
    _check_record(removal.record, today)
    _check_event_date(removal.removal_date, removal.record, today, field="removal_date")
    people = _current_people(removal.atena_numbers)
    if any(current.status == ResidentStatus.REMOVED for _, current in people):
        raise refusal(
            "atena_numbers",
            "既に消除された方（除票）が含まれています。",
            "現に住民である方の宛名番号を入力してください。",
            "registry.not_a_resident",
        )
    if len({current.household_id for _, current in people}) != 1:
        raise refusal(
            "atena_numbers",
            "異なる世帯の方が含まれています。",
            "職権消除は世帯ごとに入力してください。",
            "registry.members_of_several_households",
        )
    household = people[0][1].household
    head_alert = head_change_alert(household, {resident.atena_number for resident, _ in people})
    alerts = [head_alert] if head_alert else []
    acknowledged = require_acknowledged(alerts, removal.acknowledged_alerts)
    leavers = {resident.atena_number for resident, _ in people}
    alerts += services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        atena_numbers=list(leavers),
    )
    action = ExOfficioAction.REMOVAL
    with transaction.atomic():
        change = _write(
            actor=actor,
            action=action,
            change_date=removal.removal_date,
            record=removal.record,
            notice_required=removal.notice_required,
            attention_note=note,
        )
        for resident, current in people:
            draft_from_current(
                resident,
                current,
                change,
                status=ResidentStatus.REMOVED,
                removal_reason=action.value,
                removal_date=removal.removal_date,
                removal_event_date=recorded_dates.to_json(removal.removal_date),
            )
        follow = follow_up(actor=actor, purpose=purpose, primary=change, household=household, leavers=leavers)
        _audit(actor, purpose, change, action, acknowledged)
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(resident.atena_number for resident, _ in people),
        household_number=household.number,
        alerts=tuple(with_follow_up(alerts, follow)),
    )


# --- 職権修正・軽微な修正・誤記修正 ---------------------------------------------------------------------


def _item_refusal(item: str, reason: str, remedy: str, code: str) -> DomainError:
    return refusal(f"items.{item}", f"{CORRECTABLE_ITEMS.get(item, item)}: {reason}", remedy, code)


def item_columns(item: str, text: str, current: ResidentSnapshot) -> dict[str, Any]:
    """The snapshot columns for one corrected item, validated like the original entry."""
    value = text.strip()
    if item in _REQUIRED_ITEMS and not value:
        raise _item_refusal(
            item, "空欄にはできません。", "正しい内容を入力してください。", "registry.item_required"
        )
    if current.kind == ResidentKind.JAPANESE and item in _FOREIGN_ONLY and value:
        raise _item_refusal(
            item,
            "日本人住民には記載できない項目です。",
            "住民種別を確認してください。",
            "registry.item_not_for_kind",
        )
    if current.kind == ResidentKind.FOREIGN and item in _JAPANESE_ONLY and value:
        raise _item_refusal(
            item,
            "外国人住民には記載できない項目です。",
            "住民種別を確認してください。",
            "registry.item_not_for_kind",
        )
    if current.kind == ResidentKind.JAPANESE and item == "honseki" and not value:
        raise _item_refusal(
            item,
            "日本人住民の本籍は空欄にできません。",
            "不明の場合は「不明」、ない場合は「なし」と入力してください。",
            "registry.item_required",
        )
    if len(value) > TEXT_MAX_LENGTH:
        raise _item_refusal(
            item, f"{TEXT_MAX_LENGTH}文字を超えています。", "短く入力してください。", "registry.item_too_long"
        )
    if item in _KANA_ITEMS:
        return {item: normalize_furigana(value, field=f"items.{item}") if value else ""}
    if item == "birth_date":
        parsed = parse_date_input(
            value,
            field_kind=DateFieldKind.BIRTH,
            calendar=Calendar.GREGORIAN if current.kind == ResidentKind.FOREIGN else Calendar.WAREKI,
            field="items.birth_date",
        )
        return {
            "birth_date": recorded_dates.to_json(parsed.value),
            "birth_sort_date": recorded_dates.sort_date_of(parsed.value),
        }
    if item == "sex":
        if value not in {s.value for s in Sex} | {"男", "女"}:
            raise _item_refusal(
                item,
                "性別が正しくありません。",
                "「男」または「女」を入力してください。",
                "registry.item_sex",
            )
        return {"sex": {"男": Sex.MALE.value, "女": Sex.FEMALE.value}.get(value, value)}
    if item == "relationship":
        relationship = parse_relationship(value, field="items.relationship")
        if relationship.kind is RelationshipKind.HEAD or current.is_head:
            raise _item_refusal(
                item,
                "世帯主の指定は修正では変えられません。",
                "世帯主の変更は世帯変更（世帯主変更）で処理してください。",
                "registry.head_by_correction",
            )
        return {"relationship": relationship.text}
    if item == "postal_code" and value and not (len(value) == 7 and value.isascii() and value.isdigit()):
        raise _item_refusal(
            item, "郵便番号は数字7桁です。", "ハイフンなしの7桁で入力してください。", "registry.item_format"
        )
    if item == "address_code" and value and not (len(value) == 11 and value.isascii() and value.isdigit()):
        raise _item_refusal(
            item, "住所コードは数字11桁です。", "11桁の数字で入力してください。", "registry.item_format"
        )
    return {item: value}


def check_correctable(items: Iterable[str], *, field: str) -> None:
    """Refuse any item a correction may not change (only ``CORRECTABLE_ITEMS``)."""
    if any(item not in CORRECTABLE_ITEMS for item in items):
        raise refusal(
            field,
            "修正できない項目が指定されています。",
            f"次の項目から選んでください: {'、'.join(CORRECTABLE_ITEMS.values())}。",
            "registry.item_not_correctable",
        )


HONSEKI_ITEMS = frozenset({"honseki", "hittousha"})


def shares_one_honseki(items: Collection[str], people: Sequence[tuple[Resident, ResidentSnapshot]]) -> bool:
    """Whether a 本籍 correction may be made for all these people at once (standard 4.0.6-a): only
    本籍・筆頭者 are corrected, and the people are of one household and hold the identical 本籍 (and
    筆頭者, when it is corrected too)."""
    held = {
        (current.household_id, current.honseki, current.hittousha if "hittousha" in items else "")
        for _, current in people
    }
    return bool(items) and set(items) <= HONSEKI_ITEMS and len(held) == 1


def _check_items(
    correction: ExOfficioCorrection, people: Sequence[tuple[Resident, ResidentSnapshot]]
) -> list[str]:
    items = list(correction.items)
    count = len(people)
    if not items:
        raise refusal(
            "items",
            "修正する項目が指定されていません。",
            "修正する項目と正しい内容を1つ以上入力してください。",
            "registry.no_items",
        )
    check_correctable(items, field="items")
    if correction.action is ExOfficioAction.MINOR:
        if correction.minor_case is None:
            raise refusal(
                "minor_case",
                "軽微な修正の区分が選ばれていません。",
                "軽微な修正に当たる区分（文字の同定、住居表示の実施・変更など）を選んでください。",
                "registry.minor_case_required",
            )
        if any(item not in MINOR_ITEMS for item in items):
            raise refusal(
                "items",
                "軽微な修正では、文字・地名・方書等以外の項目は修正できません。",
                "生年月日・性別・続柄・フリガナの修正は職権修正または誤記修正で処理してください。",
                "registry.not_a_minor_item",
            )
    elif correction.minor_case is not None:
        raise refusal(
            "minor_case",
            "軽微な修正の区分は軽微な修正でだけ選びます。",
            "区分を空欄にするか、種類を軽微な修正にしてください。",
            "registry.minor_case_only_for_minor",
        )
    if correction.action in STATUS_CHANGES:
        _check_status_change(correction.action, items, count)
    if count > 1 and any(item in PERSONAL_ITEMS for item in items) and not shares_one_honseki(items, people):
        raise refusal(
            "atena_numbers",
            "氏名・生年月日・本籍などの個人の項目は、1人ずつ修正します。",
            "対象の方を1人にしてください（住所・方書等は世帯全員を一度に、本籍・筆頭者は同じ世帯で同じ本籍の方を"
            "一度に修正できます）。",
            "registry.personal_items_for_one_person",
        )
    return items


def _check_status_change(action: ExOfficioAction, items: Sequence[str], count: int) -> None:
    """特別養子縁組 (解消) and 性別の取扱いの変更 change one person's own items (standard 1.1.4-c)."""
    if count > 1 or any(item not in PERSONAL_ITEMS for item in items):
        raise refusal(
            "items",
            f"{action.value}では、1人の方の氏名・続柄・性別・本籍などの個人の項目だけを修正します。",
            "対象の方を1人にし、住所・方書等の修正は別に職権修正で処理してください。",
            "registry.status_change_personal_items",
        )
    if action is ExOfficioAction.SEX_CHANGE and "sex" not in items:
        raise refusal(
            "items",
            "性別の取扱いの変更に性別の修正が含まれていません。",
            "変更後の性別（と必要なら続柄・名）を入力してください。",
            "registry.sex_change_without_sex",
        )


def _error_row(resident: Resident, current: ResidentSnapshot, columns: Mapping[str, Any]) -> int:
    """The 履歴番号 where the wrong value(s) were entered: the earliest row of the unbroken run, ending
    at the current row, that holds the same values as the current row in every corrected column."""
    assert current.history_no is not None
    first = current.history_no
    rows = ResidentSnapshot.objects.filter(resident=resident, history_no__lt=first).order_by("-history_no")
    for row in rows.iterator():
        if any(getattr(row, name) != getattr(current, name) for name in columns if name != "birth_sort_date"):
            break
        assert row.history_no is not None
        first = row.history_no
    return first


def record_ex_officio_correction(
    *, actor: Any, purpose: str, correction: ExOfficioCorrection
) -> DraftRecorded:
    """Enter a 職権修正, 軽微な修正 or 誤記修正 (standard 4.2.3), or a 特別養子縁組 (解消) or 性別の取扱いの
    変更 (1.1.4-c), as a draft; another clerk commits it."""
    _authorize(actor, purpose)
    if correction.action not in CORRECTIONS:
        raise refusal(
            "action",
            "修正の種類が正しくありません。",
            f"{'・'.join(a.value for a in CORRECTIONS)}から選んでください。",
            "registry.correction_kind",
        )
    note = preset_notes.checked_note(correction.attention_note)
    today = timezone.localdate()
    _check_record(correction.record, today)
    _check_event_date(correction.change_date, correction.record, today, field="change_date")
    people = _current_people(correction.atena_numbers)
    if any(current.status == ResidentStatus.REMOVED for _, current in people):
        # A 除票 is closed: its errors are corrected by a type-B note (standard 1.1.5-c), not a new row.
        raise refusal(
            "atena_numbers",
            "除票の方の記載は修正できません。除票の誤りは、誤記と正しい記載を留意事項として記録します。",
            "除票の誤記訂正（留意事項）で記録してください。",
            "registry.removed_record_by_note",
        )
    items = _check_items(correction, people)
    planned: list[tuple[Resident, ResidentSnapshot, dict[str, Any]]] = []
    for resident, current in people:
        columns: dict[str, Any] = {}
        for item in items:
            columns.update(item_columns(item, correction.items[item], current))
        planned.append((resident, current, columns))
    if all(all(getattr(cur, k) == v for k, v in cols.items()) for _, cur, cols in planned):
        raise refusal(
            "items",
            "入力された内容は現在の記載と同じです。",
            "修正後の正しい内容を入力してください。",
            "registry.correction_changes_nothing",
        )
    corrected = (
        {resident.atena_number: _error_row(resident, current, cols) for resident, current, cols in planned}
        if correction.action is ExOfficioAction.ERROR
        else {}
    )
    acknowledged = require_acknowledged([], correction.acknowledged_alerts)
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_EX_OFFICIO_RECORD,
        atena_numbers=[resident.atena_number for resident, _ in people],
    )
    # A 軽微な修正 is made without notice (standard 4.2.3.2-a).
    notice = correction.notice_required and correction.action is not ExOfficioAction.MINOR
    with transaction.atomic():
        change = _write(
            actor=actor,
            action=correction.action,
            change_date=correction.change_date,
            record=correction.record,
            notice_required=notice,
            minor_case=correction.minor_case,
            changed_items=items,
            corrected_rows=corrected,
            attention_note=note,
        )
        for resident, current, columns in planned:
            draft_from_current(resident, current, change, **columns)
        _audit(actor, purpose, change, correction.action, acknowledged)
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(resident.atena_number for resident, _, _ in planned),
        household_number=people[0][1].household.number,
        alerts=tuple(entry_alerts),
    )

"""本籍・筆頭者 updates from the 本籍地's notice (住民票記載事項通知, 住基法9条2項; standard 4.2.0.3-a).

A 転籍, 分籍, 婚姻 or similar filing at the 本籍地 changes the 戸籍's 本籍 or 筆頭者; the 本籍地 tells
the municipality of residence, which corrects the 住民票 by 職権修正. Everyone named in one notice
(one 戸籍) gets the same new 本籍・筆頭者 in one change. The 職権記録書 records the notice: the
notifying municipality, the notice date (also the change's 戸籍届出・通知日, 4.2.0.4-a) and the
戸籍 event. 「なし」 and 「不明」 are accepted for both items (standard 1.1.12-a); a blank is not
(1.1.6-a). No 職権記載等通知書: no notification was missed. docs/workflows/honseki-notice.md.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import Alert, refusal
from jumin.domain.resident import ResidentKind, ResidentStatus
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.ex_officio import ExOfficioAction, RecordBook, _current_people, _write

LEGAL_BASIS = "住民基本台帳法第9条第2項、同法施行令第12条第2項"
HONSEKI_MAX_LENGTH = 200
HITTOUSHA_MAX_LENGTH = 100
MUNICIPALITY_MAX_LENGTH = 60
EVENT_MAX_LENGTH = 40
SPECIAL_VALUES = ("なし", "不明")


@dataclass(frozen=True)
class HonsekiNotice:
    """One 法9条2項 notice: the persons of one 戸籍, their new 本籍・筆頭者, and the notice itself."""

    atena_numbers: Sequence[str]
    honseki: str
    hittousha: str
    event_date: date
    notice_date: date
    notifying_municipality: str
    family_register_event: str
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)


def check_text(name: str, label: str, value: str, limit: int) -> str:
    """A 本籍 or 筆頭者 as entered: required (「なし」「不明」 allowed), trimmed, at most ``limit`` long."""
    text = value.strip()
    if not text:
        raise refusal(
            name,
            f"{label}が入力されていません。",
            f"通知に記載された{label}を入力してください（ない場合は「なし」、分からない場合は「不明」）。",
            "registry.item_required",
        )
    if len(text) > limit:
        raise refusal(
            name, f"{label}が{limit}文字を超えています。", "短く入力してください。", "registry.item_too_long"
        )
    return text


def _check_notice(notice: HonsekiNotice, today: date) -> None:
    if notice.notice_date > today:
        raise refusal(
            "notice_date",
            "通知日が未来の日付です。",
            "本籍地からの通知を受けた日を入力してください。",
            "registry.future_notification",
        )
    if notice.event_date > notice.notice_date:
        raise refusal(
            "event_date",
            "戸籍の届出日（異動日）が通知日より後です。",
            "通知に記載された届出日・事件の日を入力してください。",
            "registry.event_after_notice",
        )
    check_text(
        "notifying_municipality", "通知した市区町村", notice.notifying_municipality, MUNICIPALITY_MAX_LENGTH
    )
    check_text(
        "family_register_event",
        "戸籍の事件（転籍・婚姻など）",
        notice.family_register_event,
        EVENT_MAX_LENGTH,
    )


def _special_value_alerts(honseki: str, hittousha: str) -> list[Alert]:
    """「なし」/「不明」 on only one of the two items is allowed but unusual: the clerk confirms it."""
    if (honseki in SPECIAL_VALUES) == (hittousha in SPECIAL_VALUES):
        return []
    return [
        Alert(
            field="hittousha",
            message="本籍と筆頭者の一方だけが「なし」または「不明」です。通知の記載を確認してください。",
            code="registry.honseki_special_value_mismatch",
        )
    ]


def record_honseki_notice(*, actor: Any, purpose: str, notice: HonsekiNotice) -> DraftRecorded:
    """Enter a 本籍・筆頭者 職権修正 from a 法9条2項 notice as a draft; another clerk commits it."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_HONSEKI_NOTICE_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    today = timezone.localdate()
    _check_notice(notice, today)
    honseki = check_text("honseki", "本籍", notice.honseki, HONSEKI_MAX_LENGTH)
    hittousha = check_text("hittousha", "筆頭者", notice.hittousha, HITTOUSHA_MAX_LENGTH)
    people = _current_people(notice.atena_numbers)
    for _, current in people:
        if current.status == ResidentStatus.REMOVED:
            raise refusal(
                "atena_numbers",
                "既に消除された方（除票）が含まれています。",
                "除票の記載の誤りは誤記修正で処理してください。",
                "registry.not_a_resident",
            )
        if current.kind != ResidentKind.JAPANESE:
            raise refusal(
                "atena_numbers",
                "外国人住民が含まれています。本籍・筆頭者は日本人住民だけの項目です。",
                "宛名番号を確認してください。",
                "registry.item_not_for_kind",
            )
    if all(current.honseki == honseki and current.hittousha == hittousha for _, current in people):
        raise refusal(
            "honseki",
            "通知の本籍・筆頭者は現在の記載と同じです。",
            "通知の内容と対象の方を確認してください。",
            "registry.correction_changes_nothing",
        )
    alerts = _special_value_alerts(honseki, hittousha)
    acknowledged = require_acknowledged(alerts, notice.acknowledged_alerts)
    municipality = notice.notifying_municipality.strip()
    event = notice.family_register_event.strip()
    book = RecordBook(
        legal_basis=LEGAL_BASIS,
        found_on=notice.notice_date,
        grounds=f"{municipality}からの住民票記載事項通知（{event}）",
        findings=f"通知市区町村: {municipality}; 戸籍の事件: {event}; 届出日: {notice.event_date:%Y-%m-%d}",
    )
    action = ExOfficioAction.AMENDMENT
    with transaction.atomic():
        change = _write(
            actor=actor,
            action=action,
            change_date=notice.event_date,
            record=book,
            notice_required=False,
            changed_items=["honseki", "hittousha"],
            notification_date=notice.notice_date,
        )
        for resident, current in people:
            draft_from_current(resident, current, change, honseki=honseki, hittousha=hittousha)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_HONSEKI_NOTICE_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(action.value, acknowledged),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=tuple(resident.atena_number for resident, _ in people),
        household_number=people[0][1].household.number,
        alerts=tuple(alerts),
    )

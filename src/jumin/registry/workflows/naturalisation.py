"""帰化・国籍取得 and 国籍喪失 (standard 4.5.3-a, 4.5.4-a, 4.5.5-a; system.md F09) as drafts.

The person keeps their 宛名番号 and with it every earlier row: one new row per person replaces the
record of the other kind, so the history shows the foreign record and the Japanese one in order.

* 帰化 / 国籍取得 (異動事由 「職権記載(帰化等)」): the Japanese record carries over 住所, 方書,
  生年月日 (now held in 和暦), 性別, 世帯 and 続柄, 住民票コード, 個人番号, 転入前住所 and the dates; the
  外国人住民となった年月日 becomes the 住民となった年月日. The 30条の45 items and the 通称 end;
  本籍 and 筆頭者 are set.
* 国籍喪失 (「職権記載(国籍喪失)」): the reverse. The foreign record gets the 30条の45 items (by
  default 経過滞在者, 国籍喪失); its 外国人住民となった年月日 is the later of the loss date and the
  住民となった年月日 (4.5.5-a); 本籍, 筆頭者 and 旧氏 end. The former Japanese 住民となった年月日 is
  never written as a 旧外登法 registration date (4.5.5-b, an X row).

Both are 職権 actions: a 職権記録書 (ExOfficioRecord) keeps the event (帰化 / 国籍取得 / 国籍喪失) as
its 事由, the 戸籍届出・通知日 as the day the fact was found (standard 4.2.0.4-a) and the legal basis.
The removal half of the standard's pair (職権消除(帰化等) / 職権消除(国籍喪失)) is the same change
seen from the replaced record: its last row stays in history and is no longer current.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
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
from jumin.domain.errors import Alert, refusal
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    TRANSITIONAL_BY_LOSS,
    TRANSITIONAL_CATEGORY,
    ChangeReason,
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    Sex,
    check_person,
)
from jumin.domain.wareki import WarekiDate, to_wareki
from jumin.registry import preset_notes, services_restrictions
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.ex_officio import RecordBook, _check_record
from jumin.registry.workflows.household_members import CurrentMember, current_resident

NATURALISATION_BASIS = "住民基本台帳法施行令第12条第2項第1号"


class NationalityEvent(StrEnum):
    """What the 戸籍 filing or notice says happened (the 職権記録書's 事由)."""

    NATURALISATION = "帰化"
    ACQUISITION = "国籍取得"
    LOSS = "国籍喪失"


@dataclass(frozen=True)
class PersonName:
    """氏名 and フリガナ as the new record holds them."""

    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str


@dataclass(frozen=True)
class Naturalisation:
    """帰化 or 国籍取得 of the foreign resident ``atena_number`` on ``event_date``.

    ``name`` is the name in the family register (None keeps the current 氏名, with an alert).
    ``notified_on`` is the 戸籍届出・通知日.
    """

    atena_number: str
    event: NationalityEvent
    event_date: date
    notified_on: date
    honseki: str
    hittousha: str
    findings: str
    name: PersonName | None = None
    legal_basis: str = NATURALISATION_BASIS
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


@dataclass(frozen=True)
class LossOfNationality:
    """国籍喪失 of the Japanese resident ``atena_number`` on ``loss_date``, with the 30条の45 items."""

    atena_number: str
    loss_date: date
    notified_on: date
    foreign: ForeignResidentItems
    findings: str
    name: PersonName | None = None
    legal_basis: str = NATURALISATION_BASIS
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


def _authorize(actor: Any, purpose: str) -> None:
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_NATIONALITY_RECORD,
        purpose=purpose,
        subject_type="change",
    )


def _check_dates(event_date: date, notified_on: date, current: ResidentSnapshot, today: date) -> None:
    if event_date > today:
        raise refusal(
            "event_date",
            "国籍の異動日が未来の日付です。",
            "本日以前の日付を入力してください（standard 4.0.3-a）。",
            "registry.future_event_date",
        )
    if notified_on > today:
        raise refusal(
            "notified_on",
            "戸籍届出・通知日が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.future_notification_date",
        )
    if notified_on < event_date:
        raise refusal(
            "notified_on",
            "戸籍届出・通知日が国籍の異動日より前です。",
            "帰化・国籍取得・国籍喪失の日以後の日付を入力してください。",
            "registry.notified_before_event",
        )
    if event_date < current.birth_sort_date:
        raise refusal(
            "event_date",
            "国籍の異動日が生年月日より前です。",
            "日付を確認してください。",
            "registry.event_before_birth",
        )


def _person(member: CurrentMember, kind: ResidentKind, name: PersonName | None, **items: Any) -> PersonFacts:
    """The new record's facts: the current row with the other kind's items, checked like an entry."""
    current = member.current
    chosen = name or PersonName(
        current.surname, current.given_name, current.surname_kana, current.given_name_kana
    )
    return PersonFacts(
        kind=kind,
        surname=chosen.surname.strip(),
        given_name=chosen.given_name.strip(),
        surname_kana=chosen.surname_kana,
        given_name_kana=chosen.given_name_kana,
        kana_confirmed=current.kana_confirmed and name is None,
        birth_date=items.pop("birth_date"),
        sex=Sex(current.sex),
        relationship=parse_relationship(current.relationship, field="relationship"),
        juminhyo_code=current.juminhyo_code,
        **items,
    )


def _book(event: NationalityEvent, legal_basis: str, notified_on: date, findings: str) -> RecordBook:
    return RecordBook(legal_basis=legal_basis, found_on=notified_on, grounds=event.value, findings=findings)


def _write(
    *,
    actor: Any,
    purpose: str,
    member: CurrentMember,
    reason: ChangeReason,
    event_date: date,
    book: RecordBook,
    columns: dict[str, Any],
    alerts: list[Alert],
    acknowledged_codes: Collection[str],
    attention_note: str,
) -> DraftRecorded:
    """The change, its 職権記録書, the person's draft row and the audit entry, in one transaction."""
    note = preset_notes.checked_note(attention_note)  # refused before anything is written
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_NATIONALITY_RECORD,
        atena_numbers=[member.atena_number],
    )
    acknowledged = require_acknowledged(alerts, acknowledged_codes)
    current = member.current
    changed = sorted(name for name, value in columns.items() if getattr(current, name) != value)
    with transaction.atomic():
        change = Change.objects.create(
            reason=reason,
            change_date=event_date,
            notification_date=book.found_on,
            notification_kind="職権",
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        ExOfficioRecord.objects.create(
            change=change,
            action=reason.value,
            legal_basis=book.legal_basis.strip(),
            found_on=book.found_on,
            grounds=book.grounds,
            findings=book.findings.strip(),
            # Follows a 戸籍 filing or notice: nothing replaces a missing notification (4.2.0.1-a).
            notice_required=False,
            changed_items=changed,
        )
        draft_from_current(member.resident, current, change, **columns)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_NATIONALITY_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(reason.value, book.grounds, acknowledged),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(member.atena_number,),
        household_number=current.household.number,
        alerts=tuple(alerts + entry_alerts),
    )


def _in_wareki(value: RecordedDate) -> RecordedDate:
    """A Japanese resident's birth date is held in 和暦 (standard 1.1.1-a); 不詳 stays as entered."""
    return to_wareki(value) if isinstance(value, date) else value


def _in_gregorian(value: RecordedDate) -> RecordedDate:
    """A foreign resident's birth date is held in 西暦 (standard 1.1.2-a); 不詳 stays as entered."""
    return value.to_gregorian() if isinstance(value, WarekiDate) else value


def record_naturalisation(*, actor: Any, purpose: str, naturalisation: Naturalisation) -> DraftRecorded:
    """Enter a 帰化 or 国籍取得 as a draft (standard 4.5.3-a, 4.5.4-a); another clerk commits it."""
    _authorize(actor, purpose)
    if naturalisation.event is NationalityEvent.LOSS:
        raise refusal(
            "event",
            "国籍喪失は帰化・国籍取得の入力では処理できません。",
            "国籍喪失の入力を使ってください。",
            "registry.nationality_event_kind",
        )
    today = timezone.localdate()
    member = current_resident(naturalisation.atena_number, field="atena_number")
    current = member.current
    if current.kind != ResidentKind.FOREIGN:
        raise refusal(
            "atena_number",
            "帰化・国籍取得は外国人住民の方だけに入力できます。",
            "外国人住民の方の宛名番号を入力してください。",
            "registry.not_a_foreign_resident",
        )
    _check_dates(naturalisation.event_date, naturalisation.notified_on, current, today)
    became = recorded_dates.sort_date_of(recorded_dates.from_json(current.became_resident_date))
    if naturalisation.event_date < became:
        raise refusal(
            "event_date",
            "帰化・国籍取得の日が外国人住民となった日より前です。",
            "日付を確認してください。住民となる前に日本国籍だった場合は誤記修正で処理してください。",
            "registry.nationality_event_before_residence",
        )
    book = _book(
        naturalisation.event, naturalisation.legal_basis, naturalisation.notified_on, naturalisation.findings
    )
    _check_record(book, today)
    facts, alerts = check_person(
        _person(
            member,
            ResidentKind.JAPANESE,
            naturalisation.name,
            birth_date=_in_wareki(recorded_dates.from_json(current.birth_date)),
            honseki=naturalisation.honseki.strip(),
            hittousha=naturalisation.hittousha.strip(),
        )
    )
    if naturalisation.name is None:
        alerts.append(
            Alert(
                field="surname",
                message="氏名が外国人住民票のままです。戸籍に記載された氏名と同じか確認してください。",
                code="registry.naturalisation_name_unchanged",
            )
        )
    if current.alias:
        alerts.append(
            Alert(
                field="alias",
                message="通称は日本人住民には記載できないため、帰化・国籍取得によって記載がなくなります。",
                code="registry.alias_ends",
            )
        )
    columns = {
        "kind": ResidentKind.JAPANESE.value,
        "surname": facts.surname,
        "given_name": facts.given_name,
        "surname_kana": facts.surname_kana,
        "given_name_kana": facts.given_name_kana,
        "kana_confirmed": facts.kana_confirmed,
        "birth_date": recorded_dates.to_json(facts.birth_date),
        "honseki": facts.honseki,
        "hittousha": facts.hittousha,
        # The 30条の45 items and the 通称 end with the foreign record (they stay in its rows).
        "foreign": None,
        "former_alien_registration_date": None,  # a foreign-resident item (1.1.2-a); stays in the old rows
        "alias": "",
        "alias_kana": "",
    }
    return _write(
        actor=actor,
        purpose=purpose,
        member=member,
        reason=ChangeReason.NATURALISATION,
        event_date=naturalisation.event_date,
        book=book,
        columns=columns,
        alerts=alerts,
        acknowledged_codes=naturalisation.acknowledged_alerts,
        attention_note=naturalisation.attention_note,
    )


def _transitional_by_loss(items: ForeignResidentItems) -> ForeignResidentItems:
    """A 経過滞在者 recorded here is one by 国籍喪失 (1.1.2-b); the workflow, not the clerk, says so."""
    if items.category != TRANSITIONAL_CATEGORY:
        return items
    return dataclasses.replace(items, transitional_reason=TRANSITIONAL_BY_LOSS)


def record_loss_of_nationality(*, actor: Any, purpose: str, loss: LossOfNationality) -> DraftRecorded:
    """Enter a 国籍喪失 as a draft (standard 4.5.5-a); another clerk commits it."""
    _authorize(actor, purpose)
    today = timezone.localdate()
    member = current_resident(loss.atena_number, field="atena_number")
    current = member.current
    if current.kind != ResidentKind.JAPANESE:
        raise refusal(
            "atena_number",
            "国籍喪失は日本人住民の方だけに入力できます。",
            "日本人住民の方の宛名番号を入力してください。",
            "registry.not_a_japanese_resident",
        )
    _check_dates(loss.loss_date, loss.notified_on, current, today)
    book = _book(NationalityEvent.LOSS, loss.legal_basis, loss.notified_on, loss.findings)
    _check_record(book, today)
    facts, alerts = check_person(
        _person(
            member,
            ResidentKind.FOREIGN,
            loss.name,
            birth_date=_in_gregorian(recorded_dates.from_json(current.birth_date)),
            foreign=_transitional_by_loss(loss.foreign),
        )
    )
    if current.former_surname:
        alerts.append(
            Alert(
                field="former_surname",
                message="旧氏は外国人住民には記載できないため、国籍喪失によって記載がなくなります。",
                code="registry.former_surname_ends",
            )
        )
    assert facts.foreign is not None  # check_person refuses a foreign person without the items
    foreign: dict[str, Any] = dataclasses.asdict(facts.foreign)
    became = recorded_dates.from_json(current.became_resident_date)
    # 外国人住民となった年月日 = the later of the loss date and the 住民となった年月日 (4.5.5-a).
    if recorded_dates.sort_date_of(became) < loss.loss_date:
        became = loss.loss_date
    columns = {
        "kind": ResidentKind.FOREIGN.value,
        "surname": facts.surname,
        "given_name": facts.given_name,
        "surname_kana": facts.surname_kana,
        "given_name_kana": facts.given_name_kana,
        "kana_confirmed": facts.kana_confirmed,
        "birth_date": recorded_dates.to_json(facts.birth_date),
        "became_resident_date": recorded_dates.to_json(became),
        "foreign": foreign,
        # 本籍・筆頭者 and 旧氏 end with the Japanese record (they stay in its rows).
        "honseki": "",
        "hittousha": "",
        "former_surname": "",
        "former_surname_kana": "",
    }
    return _write(
        actor=actor,
        purpose=purpose,
        member=member,
        reason=ChangeReason.LOSS_OF_NATIONALITY,
        event_date=loss.loss_date,
        book=book,
        columns=columns,
        alerts=alerts,
        acknowledged_codes=loss.acknowledged_alerts,
        attention_note=loss.attention_note,
    )

"""旧氏の記載・変更・削除 (on request, 請求) and 通称の記載・削除 (on application, 申出) as drafts
(standard 1.1.7-a, 1.2.1-a, 1.2.2-a; records.md §6.2).

* 旧氏 is a Japanese resident's item. The request date is the change's 届出日 with 届出区分 「請求」.
* 通称 is a foreign resident's item. The application date is the change's 届出日 with 届出区分
  「申出」. Besides the 通称 itself, the 30条の45 items keep its history (records.md §6.2, T39–42):
  for every 通称 the date and municipality (name and code) where it was recorded, and once deleted,
  the date and municipality of the deletion. Earlier rows keep the earlier state, so nothing is
  lost; ``alias_history`` reads the entries back (audited).

The 記載年月日 / 削除年月日 of a 通称 is the day the clerk enters it (the processing date, standard
4.0.3-a); the municipality code is this node's 全国地方公共団体コード.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import Alert, refusal
from jumin.domain.kana import normalize_furigana
from jumin.domain.resident import ChangeReason, ResidentKind
from jumin.registry import preset_notes, services_restrictions
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.selectors_common import audited_inquiry
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.household_members import CurrentMember, current_resident

NAME_MAX_LENGTH = 100
ALIAS_HISTORY_KEY = "alias_history"


class FormerSurnameOperation(StrEnum):
    """What a 旧氏 request asks for; each maps to its 異動事由."""

    RECORD = "記載"
    CHANGE = "変更"
    DELETE = "削除"

    @property
    def reason(self) -> ChangeReason:
        """The 異動事由 of the change."""
        return {
            FormerSurnameOperation.RECORD: ChangeReason.FORMER_SURNAME_RECORDING,
            FormerSurnameOperation.CHANGE: ChangeReason.FORMER_SURNAME_CHANGE,
            FormerSurnameOperation.DELETE: ChangeReason.FORMER_SURNAME_DELETION,
        }[self]


class AliasOperation(StrEnum):
    """What a 通称 application asks for; each maps to its 異動事由."""

    RECORD = "記載"
    DELETE = "削除"

    @property
    def reason(self) -> ChangeReason:
        """The 異動事由 of the change."""
        if self is AliasOperation.RECORD:
            return ChangeReason.ALIAS_RECORDING
        return ChangeReason.ALIAS_DELETION


@dataclass(frozen=True)
class FormerSurnameRequest:
    """A 旧氏 request (請求) of ``request_date``; the surname and its reading for 記載 and 変更."""

    atena_number: str
    operation: FormerSurnameOperation
    request_date: date
    former_surname: str = ""
    former_surname_kana: str = ""
    # フリガナ確認 of the 旧氏 (standard 1.1.18-a): whether the reading was confirmed with the person.
    former_surname_kana_confirmed: bool = False
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


@dataclass(frozen=True)
class AliasApplication:
    """A 通称 application (申出) of ``application_date``; the 通称 and its reading for 記載.

    ``municipality_name`` is this municipality's name as the history shows it (e.g. 佐世保市).
    """

    atena_number: str
    operation: AliasOperation
    application_date: date
    municipality_name: str
    alias: str = ""
    alias_kana: str = ""
    # フリガナ確認 of the 通称 (standard 1.1.18-a).
    alias_kana_confirmed: bool = False
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)
    # 留意事項 (type B, standard 1.1.14-a/b): free or a preset text edited; "" for none.
    attention_note: str = ""


@dataclass(frozen=True)
class AliasEntry:
    """One 通称 of a person with where and when it was recorded and, if so, deleted."""

    alias: str
    alias_kana: str
    recorded_on: str
    recorded_municipality: str
    recorded_municipality_code: str
    deleted_on: str
    deleted_municipality: str
    deleted_municipality_code: str


def _check_request_date(value: date, today: date, *, field_name: str, label: str) -> None:
    if value > today:
        raise refusal(
            field_name,
            f"{label}が未来の日付です。",
            "本日以前の日付を入力してください。",
            "registry.future_notification_date",
        )


def _name_value(value: str, kana: str, *, field_name: str, label: str) -> tuple[str, str]:
    """The name and its normalised reading, both required and of bounded length."""
    text = value.strip()
    if not text:
        raise refusal(
            field_name,
            f"{label}が入力されていません。",
            f"{label}を入力してください。",
            "registry.item_required",
        )
    if len(text) > NAME_MAX_LENGTH:
        raise refusal(
            field_name,
            f"{label}が{NAME_MAX_LENGTH}文字を超えています。",
            "短く入力してください。",
            "registry.item_too_long",
        )
    if not kana.strip():
        raise refusal(
            f"{field_name}_kana",
            f"{label}のフリガナが入力されていません。",
            f"{label}のフリガナをカタカナで入力してください（standard 1.1.18-a）。",
            "registry.item_required",
        )
    return text, normalize_furigana(kana.strip(), field=f"{field_name}_kana")


def write_person_change(
    *,
    actor: Any,
    purpose: str,
    action: AuditAction,
    member: CurrentMember,
    reason: ChangeReason,
    notified_on: date,
    kind: str,
    columns: dict[str, Any],
    alerts: list[Alert],
    acknowledged_codes: Collection[str],
    attention_note: str,
    beside: Callable[[Change], object] | None = None,
) -> DraftRecorded:
    """One person's draft change of ``columns`` with its one audit event (after the 異動入力 抑止 check
    and the alerts' acknowledgment); ``beside`` writes what goes with the change (a 職権記録書) in the
    same transaction."""
    note = preset_notes.checked_note(attention_note)  # refused before anything is written
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=action,
        atena_numbers=[member.atena_number],
    )
    # The 抑止 alerts are acknowledged at the 本登録, like every draft's (commit_change).
    acknowledged = require_acknowledged(alerts, acknowledged_codes)
    with transaction.atomic():
        change = Change.objects.create(
            reason=reason,
            change_date=timezone.localdate(),
            notification_date=notified_on,
            notification_kind=kind,
            made_by=actor,
            made_at=timezone.now(),
            attention_note=note,
        )
        draft_from_current(member.resident, member.current, change, **columns)
        if beside is not None:
            beside(change)
        record_event(
            actor=actor,
            action=action,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(reason.value, acknowledged),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(member.atena_number,),
        household_number=member.current.household.number,
        alerts=tuple(alerts + entry_alerts),
    )


# --- 旧氏 -----------------------------------------------------------------------------------------


def _deleted_since_surname(member: CurrentMember) -> bool:
    """Whether the person's 旧氏 was deleted and their 氏 has not changed since (an alert on 記載)."""
    rows = ResidentSnapshot.objects.filter(resident=member.resident, history_no__isnull=False).order_by(
        "-history_no"
    )
    for row in rows.select_related("change").iterator():
        if row.surname != member.current.surname:
            return False
        if row.change.reason == ChangeReason.FORMER_SURNAME_DELETION:
            return True
    return False


def record_former_surname_request(
    *, actor: Any, purpose: str, request: FormerSurnameRequest
) -> DraftRecorded:
    """Enter a 旧氏の記載・変更・削除 as a draft (standard 1.1.7-a); another clerk commits it."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_FORMER_SURNAME_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    _check_request_date(request.request_date, timezone.localdate(), field_name="request_date", label="請求日")
    member = current_resident(request.atena_number, field="atena_number")
    current = member.current
    if current.kind != ResidentKind.JAPANESE:
        raise refusal(
            "atena_number",
            "旧氏は日本人住民の方だけに記載できます。",
            "外国人住民の方は通称の記載・削除を使ってください。",
            "registry.former_surname_japanese_only",
        )
    operation = request.operation
    if operation is FormerSurnameOperation.RECORD and current.former_surname:
        raise refusal(
            "operation",
            "既に旧氏が記載されています。",
            "別の旧氏にする場合は「変更」として入力してください。",
            "registry.former_surname_already_recorded",
        )
    if operation is not FormerSurnameOperation.RECORD and not current.former_surname:
        raise refusal(
            "operation",
            "旧氏が記載されていないため、変更・削除できません。",
            "「記載」として入力してください。",
            "registry.no_former_surname",
        )
    alerts: list[Alert] = []
    if operation is FormerSurnameOperation.DELETE:
        columns = {"former_surname": "", "former_surname_kana": "", "former_surname_kana_confirmed": False}
    else:
        surname, kana = _name_value(
            request.former_surname, request.former_surname_kana, field_name="former_surname", label="旧氏"
        )
        if surname == current.surname:
            raise refusal(
                "former_surname",
                "旧氏が現在の氏と同じです。",
                "戸籍に記載されている過去の氏を入力してください。",
                "registry.former_surname_same_as_surname",
            )
        if operation is FormerSurnameOperation.CHANGE and surname == current.former_surname:
            raise refusal(
                "former_surname",
                "変更後の旧氏が現在の旧氏と同じです。",
                "変更後の旧氏を入力してください。フリガナだけの訂正は職権修正で処理してください。",
                "registry.former_surname_unchanged",
            )
        if operation is FormerSurnameOperation.RECORD and _deleted_since_surname(member):
            alerts.append(
                Alert(
                    field="former_surname",
                    message="旧氏を削除した後、氏が変わっていません。再び記載できる請求か確認してください。",
                    code="registry.former_surname_after_deletion",
                )
            )
        columns = {
            "former_surname": surname,
            "former_surname_kana": kana,
            "former_surname_kana_confirmed": request.former_surname_kana_confirmed,
        }
    return write_person_change(
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_FORMER_SURNAME_RECORD,
        member=member,
        reason=operation.reason,
        notified_on=request.request_date,
        kind="請求",
        columns=columns,
        alerts=alerts,
        acknowledged_codes=request.acknowledged_alerts,
        attention_note=request.attention_note,
    )


# --- 通称 -----------------------------------------------------------------------------------------


def _municipality(name: str) -> tuple[str, str]:
    text = name.strip()
    if not text or len(text) > NAME_MAX_LENGTH:
        raise refusal(
            "municipality_name",
            "記載・削除した市区町村名が入力されていないか、長すぎます。",
            "この市区町村の名称（例: 佐世保市）を入力してください。",
            "registry.municipality_required",
        )
    return text, str(settings.JUMIN_NODE_CODE)


def _entries(foreign: dict[str, Any]) -> list[dict[str, Any]]:
    entries = foreign.get(ALIAS_HISTORY_KEY)
    return [dict(entry) for entry in entries] if isinstance(entries, list) else []


def record_alias_application(*, actor: Any, purpose: str, application: AliasApplication) -> DraftRecorded:
    """Enter a 通称の記載・削除 as a draft (standard 1.1.7-a, 1.1.2-a); another clerk commits it."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_ALIAS_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    today = timezone.localdate()
    _check_request_date(application.application_date, today, field_name="application_date", label="申出日")
    member = current_resident(application.atena_number, field="atena_number")
    current = member.current
    if current.kind != ResidentKind.FOREIGN:
        raise refusal(
            "atena_number",
            "通称は外国人住民の方だけに記載できます。",
            "日本人住民の方は旧氏の記載・変更・削除を使ってください。",
            "registry.alias_foreign_only",
        )
    municipality, code = _municipality(application.municipality_name)
    foreign = copy.deepcopy(current.foreign or {})
    entries = _entries(foreign)
    if application.operation is AliasOperation.RECORD:
        if current.alias:
            raise refusal(
                "operation",
                "既に通称が記載されています。",
                "別の通称にする場合は、先に通称の削除を入力し、本登録後に記載してください。",
                "registry.alias_already_recorded",
            )
        alias, kana = _name_value(application.alias, application.alias_kana, field_name="alias", label="通称")
        if alias.replace(" ", "") == (current.surname + current.given_name).replace(" ", ""):
            raise refusal(
                "alias",
                "通称が氏名と同じです。",
                "氏名と異なる、社会生活上通用している呼称を入力してください。",
                "registry.alias_same_as_name",
            )
        entries.append(asdict(AliasEntry(alias, kana, today.isoformat(), municipality, code, "", "", "")))
        columns: dict[str, Any] = {
            "alias": alias,
            "alias_kana": kana,
            "alias_kana_confirmed": application.alias_kana_confirmed,
        }
    else:
        if not current.alias:
            raise refusal(
                "operation",
                "通称が記載されていないため、削除できません。",
                "宛名番号を確認してください。",
                "registry.no_alias",
            )
        open_entries = [e for e in entries if e.get("alias") == current.alias and not e.get("deleted_on")]
        if not open_entries:
            # A 通称 recorded before its history was kept (e.g. migrated): its recording is unknown.
            entries.append(asdict(AliasEntry(current.alias, current.alias_kana, "", "", "", "", "", "")))
            open_entries = [entries[-1]]
        open_entries[-1].update(
            deleted_on=today.isoformat(), deleted_municipality=municipality, deleted_municipality_code=code
        )
        columns = {"alias": "", "alias_kana": "", "alias_kana_confirmed": False}
    foreign[ALIAS_HISTORY_KEY] = entries
    columns["foreign"] = foreign
    return write_person_change(
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_ALIAS_RECORD,
        member=member,
        reason=application.operation.reason,
        notified_on=application.application_date,
        kind="申出",
        columns=columns,
        alerts=[],
        acknowledged_codes=application.acknowledged_alerts,
        attention_note=application.attention_note,
    )


def alias_history(
    *, actor: Any, purpose: str, atena_number: str, acknowledged_alerts: Collection[str] = ()
) -> list[AliasEntry]:
    """A person's 通称 entries, oldest first, from their latest committed row that holds any (audited).

    Rows after a 帰化 hold no 30条の45 items, so the foreign record's last row answers then.
    照会 suppressions apply (standard 3.1-b); the read is an ``audited_inquiry``.
    """
    entries: list[AliasEntry] = []
    with audited_inquiry(
        actor=actor,
        purpose=purpose,
        atena_number=atena_number,
        action=AuditAction.RESIDENT_ALIAS_HISTORY_VIEW,
        acknowledged_alerts=acknowledged_alerts,
    ):
        rows = ResidentSnapshot.objects.filter(
            resident__atena_number=atena_number, history_no__isnull=False
        ).order_by("-history_no")
        if not rows.exists():
            raise refusal(
                "atena_number",
                "該当する住民が見つかりません。",
                "宛名番号を確認してください。",
                "registry.resident_not_found",
            )
        for foreign in rows.values_list("foreign", flat=True):
            found = _entries(foreign) if isinstance(foreign, dict) else []
            if found:
                names = [f.name for f in fields(AliasEntry)]
                entries = [AliasEntry(**{name: str(e.get(name) or "") for name in names}) for e in found]
                break
    return entries

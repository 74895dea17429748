"""Import of 出入国在留管理庁長官通知 (住基法30条の50; standard 4.5.6-a/b; system.md F10) from a CSV file.

The file layout is docs/workflows/immigration-notices.md. Two steps, both stateless (the file's
text travels in the request body each time, never in a URL):

1. ``preview_immigration_notices``: every row is parsed and matched to a current foreign resident,
   by 在留カード番号 first, else by 氏名・生年月日・性別. Matched rows come back with the items
   before and after (the 確認票), and the alerts the clerk must acknowledge; the other rows are
   listed with the reason they cannot be imported (unmatched, ambiguous, 特別永住者, malformed,
   already imported, nothing to change). Audited as a list of the persons shown.
2. ``record_immigration_notice``: the clerk confirms one row; it is parsed and matched again and
   becomes a draft change with 異動事由 「法30条の50通知」 and a 職権記録書 naming the notice, which
   another clerk commits with commit_change.

特別永住者 are excluded from the import (4.5.6-a): their rows are listed for a manual 職権修正.
A notice that ends the stay (the optional ``stay_end_reason`` column: 在留期間満了, 出国 …) becomes a
職権消除 draft instead (system.md F10 step 2). Received files are kept, row by row, with what became
of each notice: ``immigration_receipts``.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import MASK, authorize, visible_fields
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import Alert, DomainError, refusal
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    TRANSITIONAL_CATEGORY,
    ChangeReason,
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    ResidentStatus,
    Sex,
    check_person,
)
from jumin.registry import services_restrictions
from jumin.registry.models import Change, ChangeState, ExOfficioRecord, ResidentSearchKey, ResidentSnapshot
from jumin.registry.selectors_common import RESIDENCE_STATUS_ITEMS
from jumin.registry.services import DraftRecorded
from jumin.registry.snapshots import draft_from_current
from jumin.registry.workflows import ex_officio
from jumin.registry.workflows.acknowledgement import audit_reason, require_acknowledged
from jumin.registry.workflows.household_members import CurrentMember, current_resident

LEGAL_BASIS = "住民基本台帳法第30条の50"
# A stay that ended: the record is removed 職権 (住民基本台帳法施行令第12条第3項) on the agency's notice.
REMOVAL_LEGAL_BASIS = "住民基本台帳法施行令第12条第3項（住民基本台帳法第30条の50通知）"
STAY_END_REASONS = ("在留期間満了", "出国", "在留資格取消", "退去強制", "その他")
SPECIAL_PERMANENT = "特別永住者"
MAX_FILE_CHARS = 2_000_000
MAX_ROWS = 5_000
MATCHED_BY_CARD = "在留カード番号"
MATCHED_BY_IDENTITY = "氏名・生年月日・性別"

# Columns of the file, in order (docs/workflows/immigration-notices.md).
IDENTITY_COLUMNS = (
    "notice_id",
    "notice_date",
    "event_date",
    "residence_card_number",
    "name",
    "birth_date",
    "sex",
)
# ``new_<item>`` columns: the item after the change, blank when unchanged. Item → Japanese label.
NOTICE_ITEMS: Mapping[str, str] = {
    "alphabet_name": "氏名（ローマ字）",
    "nationality_code": "国籍・地域",
    "category": "30条の45区分",
    "residence_status": "在留資格",
    "period_of_stay": "在留期間",
    "stay_expiry_date": "在留期間の満了の日",
    "residence_card_number": "在留カード番号",
}
COLUMNS = (*IDENTITY_COLUMNS, *(f"new_{item}" for item in NOTICE_ITEMS))
# The layout with the optional last column of a notice that ends the stay (在留終了事由).
COLUMNS_WITH_STAY_END = (*COLUMNS, "stay_end_reason")
_SEXES = {
    "男": Sex.MALE,
    "女": Sex.FEMALE,
    "M": Sex.MALE,
    "F": Sex.FEMALE,
    "male": Sex.MALE,
    "female": Sex.FEMALE,
}


@dataclass(frozen=True)
class NoticeRow:
    """One notice as the file gives it: who (as the agency knows them) and the items after the change."""

    line: int
    notice_id: str
    notice_date: date
    event_date: date
    residence_card_number: str
    name: str
    birth_date: date
    sex: Sex
    new_items: Mapping[str, str]
    stay_end_reason: str = ""


@dataclass(frozen=True)
class ItemChange:
    """One item of the 確認票: its label, the value before and the value after."""

    item: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class MatchedNotice:
    """A row matched to one person, with the 確認票 (before/after) and the alerts to acknowledge."""

    line: int
    notice_id: str
    atena_number: str
    matched_by: str
    changes: tuple[ItemChange, ...]
    alerts: tuple[Alert, ...]


@dataclass(frozen=True)
class UnmatchedNotice:
    """A row that cannot be imported: its line, notice number (if read) and why, with a code."""

    line: int
    notice_id: str
    reason: str
    code: str


@dataclass(frozen=True)
class NoticePreview:
    """The whole file: rows ready for confirmation and rows listed for manual processing."""

    matched: tuple[MatchedNotice, ...]
    unmatched: tuple[UnmatchedNotice, ...]


@dataclass(frozen=True)
class NoticeConfirmation:
    """The clerk's confirmation of one row (by notice number) of the file's text."""

    content: str
    notice_id: str
    acknowledged_alerts: Collection[str] = field(default_factory=tuple)


# --- parsing --------------------------------------------------------------------------------------


def _row_error(line: int, column: str, reason: str) -> DomainError:
    return refusal(
        f"line {line}: {column}", reason, "通知ファイルの該当行を確認してください。", "registry.notice_row"
    )


def _iso(value: str, line: int, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _row_error(line, column, "日付の形式が正しくありません（西暦 YYYY-MM-DD）。") from None


def parse_row(line: int, raw: Mapping[str, str]) -> NoticeRow:
    """One notice from the columns of a file row (a DomainError names the bad column)."""
    values = {name: (raw.get(name) or "").strip() for name in COLUMNS_WITH_STAY_END}
    for name in ("notice_id", "notice_date", "event_date", "name", "birth_date", "sex"):
        if not values[name]:
            raise _row_error(line, name, "必須の項目が空欄です。")
    if len(values["notice_id"]) > 40 or not values["notice_id"].isascii():
        raise _row_error(line, "notice_id", "通知番号は40文字以内の英数字です。")
    sex = _SEXES.get(values["sex"])
    if sex is None:
        raise _row_error(line, "sex", "性別は「男」「女」（または M / F）です。")
    new_items = {item: values[f"new_{item}"] for item in NOTICE_ITEMS if values[f"new_{item}"]}
    ending = values["stay_end_reason"]
    if ending and ending not in STAY_END_REASONS:
        raise _row_error(
            line, "stay_end_reason", f"在留終了事由は {'、'.join(STAY_END_REASONS)} のどれかです。"
        )
    if ending and new_items:
        raise _row_error(line, "stay_end_reason", "在留が終了する通知に変更後の項目があります。")
    if not new_items and not ending:
        raise _row_error(line, "new_*", "変更後の項目が1つもありません。")
    if "stay_expiry_date" in new_items:
        _iso(new_items["stay_expiry_date"], line, "new_stay_expiry_date")
    return NoticeRow(
        line=line,
        notice_id=values["notice_id"],
        notice_date=_iso(values["notice_date"], line, "notice_date"),
        event_date=_iso(values["event_date"], line, "event_date"),
        residence_card_number=values["residence_card_number"],
        name=values["name"],
        birth_date=_iso(values["birth_date"], line, "birth_date"),
        sex=sex,
        new_items=new_items,
        stay_end_reason=ending,
    )


def read_notices(content: str) -> list[NoticeRow | UnmatchedNotice]:
    """Parse the file; a malformed row becomes an UnmatchedNotice, a malformed file a DomainError."""
    text = content.lstrip("\ufeff")
    if not text.strip():
        raise refusal(
            "content",
            "通知ファイルが空です。",
            "出入国在留管理庁から受け取った通知ファイルを選んでください。",
            "registry.notice_file_empty",
        )
    if len(text) > MAX_FILE_CHARS:
        raise refusal(
            "content",
            "通知ファイルが大きすぎます。",
            f"{MAX_ROWS}行以内に分けて取り込んでください。",
            "registry.notice_file_too_large",
        )
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) not in (COLUMNS, COLUMNS_WITH_STAY_END):
        raise refusal(
            "content",
            "通知ファイルの見出し行が定められた形式と異なります。",
            "docs/workflows/immigration-notices.md の列（notice_id から new_residence_card_number まで）の"
            "ファイルを選んでください。",
            "registry.notice_file_columns",
        )
    rows: list[NoticeRow | UnmatchedNotice] = []
    seen: set[str] = set()
    for raw in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            raise refusal(
                "content",
                f"通知ファイルが{MAX_ROWS}行を超えています。",
                f"{MAX_ROWS}行以内に分けて取り込んでください。",
                "registry.notice_file_too_large",
            )
        try:
            row = parse_row(line, raw)
        except DomainError as error:
            rows.append(
                UnmatchedNotice(line, (raw.get("notice_id") or "").strip()[:40], error.reason, error.code)
            )
            continue
        if row.notice_id in seen:
            rows.append(
                UnmatchedNotice(
                    line, row.notice_id, "同じ通知番号の行が前にあります。", "registry.notice_duplicate"
                )
            )
            continue
        seen.add(row.notice_id)
        rows.append(row)
    return rows


# --- matching -------------------------------------------------------------------------------------


def _normal_name(value: str) -> str:
    return " ".join(value.replace("\u3000", " ").upper().split())


def _names_of(snapshot: ResidentSnapshot) -> set[str]:
    foreign = snapshot.foreign or {}
    names = {_normal_name(f"{snapshot.surname} {snapshot.given_name}")}
    if foreign.get("alphabet_name"):
        names.add(_normal_name(str(foreign["alphabet_name"])))
    return {name for name in names if name}


def _current_foreign(resident_ids: set[int]) -> list[ResidentSnapshot]:
    return list(
        ResidentSnapshot.objects.filter(
            current_of__pk__in=resident_ids,
            kind=ResidentKind.FOREIGN,
            status__in=(ResidentStatus.RESIDENT, ResidentStatus.PLANNED_MOVE_OUT),
        ).select_related("resident", "household")
    )


def _match(row: NoticeRow) -> tuple[ResidentSnapshot, str] | UnmatchedNotice:
    """The one current foreign resident the row names: by 在留カード番号, else by 氏名・生年月日・性別."""
    if row.residence_card_number:
        ids = set(
            ResidentSearchKey.objects.filter(residence_card_number=row.residence_card_number).values_list(
                "resident_id", flat=True
            )
        )
        by_card = _current_foreign(ids)
        if len(by_card) == 1:
            return by_card[0], MATCHED_BY_CARD
    ids = set(
        ResidentSearchKey.objects.filter(birth_sort_date=row.birth_date, sex=row.sex).values_list(
            "resident_id", flat=True
        )
    )
    wanted = _normal_name(row.name)
    by_identity = [s for s in _current_foreign(ids) if wanted in _names_of(s)]
    if len(by_identity) == 1:
        return by_identity[0], MATCHED_BY_IDENTITY
    if by_identity:
        return UnmatchedNotice(
            row.line,
            row.notice_id,
            "氏名・生年月日・性別が一致する方が複数います。",
            "registry.notice_ambiguous",
        )
    return UnmatchedNotice(
        row.line,
        row.notice_id,
        "在留カード番号または氏名・生年月日・性別が一致する外国人住民がいません。",
        "registry.notice_unmatched",
    )


def _grounds(notice_id: str) -> str:
    return f"法30条の50通知 {notice_id}"


def _already_imported(notice_id: str) -> bool:
    # A 職権修正 (「法30条の50通知」) or a 職権消除 (the stay ended) names the notice in its 職権記録書.
    return ExOfficioRecord.objects.filter(
        action__in=(ChangeReason.IMMIGRATION_NOTICE.value, ChangeReason.EX_OFFICIO_REMOVAL.value),
        grounds=_grounds(notice_id),
        change__state__in=(ChangeState.DRAFT, ChangeState.COMMITTED),
    ).exists()


@dataclass(frozen=True)
class _Plan:
    snapshot: ResidentSnapshot
    matched_by: str
    foreign: dict[str, Any]
    changes: tuple[ItemChange, ...]
    alerts: tuple[Alert, ...]


def _plan(row: NoticeRow) -> _Plan | UnmatchedNotice:
    """The matched person's new 30条の45 items, the 確認票 and the alerts; or why the row is left out."""
    if _already_imported(row.notice_id):
        return UnmatchedNotice(
            row.line, row.notice_id, "この通知は既に取り込まれています。", "registry.notice_already_imported"
        )
    found = _match(row)
    if isinstance(found, UnmatchedNotice):
        return found
    snapshot, matched_by = found
    before = dict(snapshot.foreign or {})
    if SPECIAL_PERMANENT in (before.get("category"), row.new_items.get("category")):
        return UnmatchedNotice(
            row.line,
            row.notice_id,
            "特別永住者の通知は自動取込の対象外です（standard 4.5.6-a）。職権修正で処理してください。",
            "registry.notice_special_permanent",
        )
    if row.stay_end_reason:
        ending = ItemChange("status", "住民状態", "住民", f"職権消除（{row.stay_end_reason}）")
        return _Plan(snapshot, matched_by, before, (ending,), _identity_alerts(snapshot, row, matched_by))
    foreign = copy.deepcopy(before)
    changes = []
    for item, after in row.new_items.items():
        previous = str(before.get(item) or "")
        if after != previous:
            changes.append(ItemChange(item, NOTICE_ITEMS[item], previous, after))
            foreign[item] = after
    if not changes:
        return UnmatchedNotice(
            row.line,
            row.notice_id,
            "住民票の記載と同じで、変更する項目がありません。",
            "registry.notice_no_change",
        )
    if foreign.get("category") != TRANSITIONAL_CATEGORY:
        foreign.pop("transitional_reason", None)  # 在留資格取得 ends the 経過滞在 (system.md F09 step 7)
    alerts = list(_identity_alerts(snapshot, row, matched_by))
    if "alphabet_name" in {c.item for c in changes}:
        alerts.append(
            Alert(
                field="alphabet_name",
                message="氏名（ローマ字）が変わります。漢字氏名・フリガナの修正が必要か確認してください。",
                code="registry.notice_name_changed",
            )
        )
    return _Plan(snapshot, matched_by, foreign, tuple(changes), tuple(alerts))


def _identity_alerts(snapshot: ResidentSnapshot, row: NoticeRow, matched_by: str) -> tuple[Alert, ...]:
    if matched_by == MATCHED_BY_CARD and (
        snapshot.birth_sort_date != row.birth_date or snapshot.sex != row.sex
    ):
        return (
            Alert(
                field="birth_date",
                message="在留カード番号は一致しましたが、通知の生年月日または性別が住民票と異なります。",
                code="registry.notice_identity_mismatch",
            ),
        )
    return ()


def _check_items(snapshot: ResidentSnapshot, foreign: Mapping[str, Any], line: int) -> None:
    """The items after the change must be a valid 30条の45 set (standard 1.1.6-a), as on entry."""
    names = [f.name for f in dataclasses.fields(ForeignResidentItems)]
    items = ForeignResidentItems(**{name: str(foreign.get(name) or "") for name in names})
    try:
        check_person(
            PersonFacts(
                kind=ResidentKind.FOREIGN,
                surname=snapshot.surname,
                given_name=snapshot.given_name,
                surname_kana=snapshot.surname_kana,
                given_name_kana=snapshot.given_name_kana,
                birth_date=snapshot.birth_sort_date,
                sex=Sex(snapshot.sex),
                relationship=parse_relationship(snapshot.relationship),
                foreign=items,
            )
        )
    except DomainError as error:
        raise refusal(f"line {line}: {error.field}", error.reason, error.remedy, error.code) from None


def check_sheet(row: NoticeRow) -> MatchedNotice | UnmatchedNotice:
    """The 確認票 of one notice (the person, the items before and after, the alerts), or why it
    cannot be imported. Reads only."""
    plan = _plan(row)
    if isinstance(plan, UnmatchedNotice):
        return plan
    if not row.stay_end_reason:
        try:
            _check_items(plan.snapshot, plan.foreign, row.line)
        except DomainError as error:
            return UnmatchedNotice(row.line, row.notice_id, error.reason, error.code)
    return MatchedNotice(
        line=row.line,
        notice_id=row.notice_id,
        atena_number=plan.snapshot.resident.atena_number,
        matched_by=plan.matched_by,
        changes=plan.changes,
        alerts=plan.alerts,
    )


def sheet_as_seen(sheet: MatchedNotice, actor: Any) -> MatchedNotice:
    """The 確認票 as ``actor`` may see it: the 在留資格 and its related items, before and after, masked
    without FIELD_RESIDENCE_STATUS_VIEW (C-10); every screen and API answer of a sheet goes through here."""
    if Permission.FIELD_RESIDENCE_STATUS_VIEW in visible_fields(actor):
        return sheet

    def shown(change: ItemChange) -> ItemChange:
        if change.item not in RESIDENCE_STATUS_ITEMS:
            return change
        return dataclasses.replace(
            change, before=MASK if change.before else "", after=MASK if change.after else ""
        )

    return dataclasses.replace(sheet, changes=tuple(shown(change) for change in sheet.changes))


# --- services -------------------------------------------------------------------------------------


def preview_immigration_notices(*, actor: Any, purpose: str, content: str) -> NoticePreview:
    """The 確認票 of a notice file: matched rows with before/after, the rest listed (audited)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_PREVIEW,
        purpose=purpose,
        subject_type="resident",
    )
    matched: list[MatchedNotice] = []
    unmatched: list[UnmatchedNotice] = []
    for row in read_notices(content):
        sheet = row if isinstance(row, UnmatchedNotice) else check_sheet(row)
        (unmatched if isinstance(sheet, UnmatchedNotice) else matched).append(sheet)  # type: ignore[arg-type]
    with transaction.atomic():
        record_results(
            actor,
            "resident",
            [m.atena_number for m in matched],
            purpose,
            "immigration_notice",
            action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_PREVIEW,
            reason=f"rows={len(matched) + len(unmatched)} unmatched={len(unmatched)}",
        )
    return NoticePreview(tuple(sheet_as_seen(m, actor) for m in matched), tuple(unmatched))


def record_immigration_notice(*, actor: Any, purpose: str, confirmation: NoticeConfirmation) -> DraftRecorded:
    """Enter one confirmed notice as a draft 「法30条の50通知」 change (standard 4.5.6-a); another clerk
    commits it with commit_change."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_RECORD,
        purpose=purpose,
        subject_type="change",
    )
    rows = [r for r in read_notices(confirmation.content) if r.notice_id == confirmation.notice_id.strip()]
    if not rows:
        raise refusal(
            "notice_id",
            "指定された通知番号の行が通知ファイルにありません。",
            "確認票に表示された通知を選んでください。",
            "registry.notice_not_in_file",
        )
    row = rows[0]
    if isinstance(row, UnmatchedNotice):
        raise refusal("notice_id", row.reason, "通知ファイルの該当行を確認してください。", row.code)
    return enter_notice_draft(
        actor=actor, purpose=purpose, row=row, acknowledged_alerts=confirmation.acknowledged_alerts
    )


def enter_notice_draft(
    *, actor: Any, purpose: str, row: NoticeRow, acknowledged_alerts: Collection[str]
) -> DraftRecorded:
    """The draft of one parsed notice, matched and checked again (the caller authorized the entry):
    a 「法30条の50通知」 amendment, or a 職権消除 when the notice ends the stay."""
    plan = _plan(row)
    if isinstance(plan, UnmatchedNotice):
        raise refusal("notice_id", plan.reason, "確認票の一覧を確認してください。", plan.code)
    if row.event_date > timezone.localdate():
        raise refusal(
            f"line {row.line}: event_date",
            "通知の異動日が未来の日付です。",
            "通知ファイルを確認してください。",
            "registry.future_event_date",
        )
    if row.stay_end_reason:
        return _enter_removal(
            actor=actor, purpose=purpose, row=row, plan=plan, acknowledged=acknowledged_alerts
        )
    _check_items(plan.snapshot, plan.foreign, row.line)
    acknowledged = require_acknowledged(plan.alerts, acknowledged_alerts)
    member: CurrentMember = current_resident(plan.snapshot.resident.atena_number, field="notice_id")
    reason = ChangeReason.IMMIGRATION_NOTICE
    entry_alerts = services_restrictions.check_change_entry(  # 異動入力 (standard 3.1-b)
        actor=actor,
        purpose=purpose,
        action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_RECORD,
        atena_numbers=[member.atena_number],
    )
    with transaction.atomic():
        change = Change.objects.create(
            reason=reason,
            change_date=row.event_date,
            notification_date=row.notice_date,
            notification_kind="通知",
            made_by=actor,
            made_at=timezone.now(),
        )
        ExOfficioRecord.objects.create(
            change=change,
            action=reason.value,
            legal_basis=LEGAL_BASIS,
            found_on=row.notice_date,
            grounds=_grounds(row.notice_id),
            findings="出入国在留管理庁長官通知により次の項目を修正: "
            + "、".join(c.label for c in plan.changes),
            notice_required=False,
            changed_items=[c.item for c in plan.changes],
        )
        draft_from_current(member.resident, member.current, change, foreign=plan.foreign)
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_IMMIGRATION_NOTICE_RECORD,
            subject_type="change",
            subject_id=str(change.pk),
            purpose=purpose,
            reason=audit_reason(f"notice={row.notice_id}", f"matched_by={plan.matched_by}", acknowledged),
        )
    return DraftRecorded(
        change_id=change.pk,
        atena_numbers=(member.atena_number,),
        household_number=member.current.household.number,
        alerts=plan.alerts + tuple(entry_alerts),
    )


def _enter_removal(
    *, actor: Any, purpose: str, row: NoticeRow, plan: _Plan, acknowledged: Collection[str]
) -> DraftRecorded:
    """The stay ended (system.md F10 step 2): a 職権消除 draft naming the notice in its 職権記録書.

    The 職権消除 workflow checks the dates, the 世帯主 leaving (its alert) and the 異動入力 抑止; no
    職権記載等通知書 is sent (the person's stay ended, the agency told us)."""
    require_acknowledged(plan.alerts, acknowledged)
    removal = ex_officio.ExOfficioRemoval(
        atena_numbers=[plan.snapshot.resident.atena_number],
        removal_date=row.event_date,
        record=ex_officio.RecordBook(
            legal_basis=REMOVAL_LEGAL_BASIS,
            found_on=row.notice_date,
            grounds=_grounds(row.notice_id),
            findings=f"出入国在留管理庁長官通知により在留の終了（{row.stay_end_reason}）を確認",
        ),
        notice_required=False,
        acknowledged_alerts=tuple(acknowledged),
    )
    draft = ex_officio.record_ex_officio_removal(actor=actor, purpose=purpose, removal=removal)
    return dataclasses.replace(draft, alerts=plan.alerts + draft.alerts)

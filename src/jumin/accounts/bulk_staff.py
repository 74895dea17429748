"""Bulk maintenance of accounts and unit memberships by batch from and to CSV (standard 10.3-e).

The account side of ``bulk_rights``: one file format both ways (``STAFF_COLUMNS``, UTF-8, header row),
a dry run that writes nothing but its audit entry, per-row Japanese errors (row, column, reason,
remedy; never the value) and an import that writes every row or none. Only the terminal administrator
(``staff:manage``, C-7) imports or exports; a row with a 部署コード also needs ``hr_event:record``.

Accounts made here get no password: none is shown or written to a file (C-2). The person logs in
through single sign-on, or the administrator resets the password (shown once) on the 職員管理 screen.
The rules are ``services.register_staff``'s: one active account per person (C-1), a unique 職員ID,
temporary staff with their employment notice and end (C-16).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.bulk_rights import BatchRefused, RowError, csv_day, csv_rows, record_file
from jumin.accounts.context import audit_context
from jumin.accounts.errors import refuse
from jumin.accounts.models import OrganisationUnit, StaffPerson, UnitMembership, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal

STAFF_COLUMNS = (
    "職員番号",
    "氏名",
    "職員ID",
    "区分",
    "雇用通知書番号",
    "雇用期間満了日",
    "部署コード",
    "所属開始日",
)
MAX_ROWS = 2000
_KINDS = {**{k.value: k.value for k in StaffPerson.Kind}, **{k.label: k.value for k in StaffPerson.Kind}}


@dataclass(frozen=True)
class StaffRow:
    """A checked row: the person and account to create, and the unit to join from a day (optional)."""

    row: int
    staff_number: str
    name: str
    username: str
    kind: str
    employment_notice: str
    employment_end: date | None
    unit: OrganisationUnit | None
    member_from: date | None

    def as_dict(self) -> dict[str, object]:
        """The row as the preview shows it."""
        return {
            "row": self.row,
            "staff_number": self.staff_number,
            "username": self.username,
            "kind": StaffPerson.Kind(self.kind).label,
            "unit_code": self.unit.code if self.unit is not None else "",
        }


@dataclass
class StaffImportPreview:
    """What an import would do: the checked rows, or the errors that refuse the whole file."""

    rows: list[StaffRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file would be imported (at least one row, no error)."""
        return bool(self.rows) and not self.errors


class StaffImportRefused(BatchRefused):
    """The staff file has errors; no person, account or membership was created."""


def _check_row(values: dict[str, str], number: int) -> StaffRow:
    if not values["職員番号"] or not values["氏名"] or not values["職員ID"]:
        column = next(c for c in ("職員番号", "氏名", "職員ID") if not values[c])
        raise refusal(
            column,
            f"{column}が入力されていません。",
            "職員番号・氏名・職員IDをすべて入力してください。",
            "bulk.required",
        )
    kind = _KINDS.get(values["区分"] or StaffPerson.Kind.STAFF.label)
    if kind is None:
        raise refusal(
            "区分",
            "区分が一覧にありません。",
            "職員・臨時職員・委託先従事者のいずれかを入力してください。",
            "bulk.kind",
        )
    end = csv_day(values["雇用期間満了日"], "雇用期間満了日") if values["雇用期間満了日"] else None
    if kind == StaffPerson.Kind.TEMPORARY and (not values["雇用通知書番号"] or end is None):
        raise refusal(
            "雇用通知書番号",
            "臨時職員の雇用通知書番号または雇用期間満了日がありません。",
            "雇用通知書番号と雇用期間満了日を入力してください。",
            "bulk.employment",
        )
    if User.objects.filter(username=values["職員ID"]).exists():
        raise refusal(
            "職員ID",
            "この職員IDは既に使われています。",
            "別の職員IDを指定してください。",
            "bulk.username_taken",
        )
    if User.objects.filter(person__staff_number=values["職員番号"], is_active=True).exists():
        raise refusal(
            "職員番号",
            "この職員には有効なアカウントが既にあります。",
            "一人に二つ目のアカウントは作れません。行を削除してください。",
            "bulk.second_account",
        )
    unit = None
    member_from = None
    if values["部署コード"]:
        unit = OrganisationUnit.objects.filter(code=values["部署コード"], is_active=True).first()
        if unit is None:
            raise refusal(
                "部署コード",
                "この部署コードの部署は登録されていないか、廃止されています。",
                "登録済みの部署コードを指定してください。",
                "bulk.unit",
            )
        member_from = csv_day(values["所属開始日"], "所属開始日")
    return StaffRow(
        number,
        values["職員番号"],
        values["氏名"][:100],
        values["職員ID"],
        kind,
        values["雇用通知書番号"],
        end,
        unit,
        member_from,
    )


def _check_file(text: str) -> StaffImportPreview:
    lines, errors = csv_rows(text, STAFF_COLUMNS)
    preview = StaffImportPreview(errors=errors)
    if len(lines) > MAX_ROWS:
        remedy = f"{MAX_ROWS}行以下のファイルに分けて取り込んでください。"
        preview.errors.append(RowError(0, "ファイル", "行数が上限を超えています。", remedy, "bulk.too_many"))
        return preview
    seen: dict[str, int] = {}
    for number, values in lines:
        try:
            row = _check_row(values, number)
            for column, key in (("職員番号", f"n:{row.staff_number}"), ("職員ID", f"u:{row.username}")):
                if key in seen:
                    reason = f"{seen[key]}行目と同じ{column}です。"
                    raise refusal(column, reason, "重複する行を削除してください。", "bulk.duplicate")
        except DomainError as error:
            preview.errors.append(RowError(number, error.field, error.reason, error.remedy, error.code))
            continue
        seen[f"n:{row.staff_number}"] = seen[f"u:{row.username}"] = number
        preview.rows.append(row)
    if not lines and not preview.errors:
        preview.errors.append(
            RowError(
                2, "ファイル", "データ行がありません。", "2行目以降に職員を記入してください。", "bulk.empty"
            )
        )
    preview.errors.sort(key=lambda e: e.row)
    return preview


def _authorize(*, actor: Any, text: str, purpose: str) -> StaffImportPreview:
    action = AuditAction.STAFF_ACCOUNT_IMPORT
    authorize(actor=actor, permission=Permission.STAFF_MANAGE, action=action, purpose=purpose)
    preview = _check_file(text)
    if any(row.unit is not None for row in preview.rows):
        authorize(actor=actor, permission=Permission.HR_EVENT_RECORD, action=action, purpose=purpose)
    return preview


def preview_staff_import(*, actor: Any, text: str, purpose: str) -> StaffImportPreview:
    """Dry run: check every row as the import would, write nothing; the check itself is audited."""
    preview = _authorize(actor=actor, text=text, purpose=purpose)
    with transaction.atomic():
        outcome = f"dry_run rows={len(preview.rows)} errors={len(preview.errors)}"
        record_file(
            actor=actor,
            action=AuditAction.STAFF_ACCOUNT_IMPORT,
            purpose=purpose,
            outcome_reason=outcome,
            text=text,
        )
    return preview


def import_staff(*, actor: Any, text: str, purpose: str) -> list[int]:
    """Create every person, account (without a password) and membership in one transaction, or none.

    Returns the new account ids. Each account and membership is audited as on the screens.
    """
    action = AuditAction.STAFF_ACCOUNT_IMPORT
    preview = _authorize(actor=actor, text=text, purpose=purpose)
    if not preview.ok:
        refuse(actor=actor, action=action, reason_code="bulk_invalid", message="", purpose=purpose)  # audits
        raise StaffImportRefused(preview.errors)
    ids: list[int] = []
    with transaction.atomic():
        for row in preview.rows:
            person = StaffPerson.objects.filter(
                staff_number=row.staff_number
            ).first() or StaffPerson.objects.create(
                staff_number=row.staff_number,
                name=row.name,
                department=row.unit.name if row.unit is not None else "",
                kind=row.kind,
                employment_notice=row.employment_notice,
                employment_end=row.employment_end,
            )
            user = User(
                username=row.username, display_name=row.name, department=person.department, person=person
            )
            user.set_unusable_password()
            user.save()
            ids.append(user.pk)
            _event(actor, AuditAction.STAFF_ACCOUNT_CREATE, purpose, "staff", user.pk)
            if row.unit is not None and row.member_from is not None:
                UnitMembership.objects.create(
                    unit=row.unit, person=person, starts_on=row.member_from, recorded_by=actor
                )
                _event(actor, AuditAction.STAFF_UNIT_MEMBER_ADD, purpose, "staff_person", person.pk)
        record_file(
            actor=actor, action=action, purpose=purpose, outcome_reason=f"accounts={len(ids)}", text=text
        )
    return ids


def _event(actor: Any, action: AuditAction, purpose: str, subject_type: str, subject_id: int) -> None:
    record_event(
        actor=actor,
        action=action,
        purpose=purpose,
        subject_type=subject_type,
        subject_id=str(subject_id),
        outcome_reason="bulk",
        **audit_context(),
    )


def export_staff(*, actor: Any, purpose: str) -> str:
    """Every active account with its person and current units, as a CSV file in the import format."""
    action = AuditAction.STAFF_ACCOUNT_EXPORT
    authorize(actor=actor, permission=Permission.STAFF_MANAGE, action=action, purpose=purpose)
    day = clock.today()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(STAFF_COLUMNS)
    count = 0
    users = User.objects.filter(is_active=True, person__isnull=False).select_related("person")
    for user in users.order_by("person__staff_number"):
        person: StaffPerson = user.person  # type: ignore[assignment]  # filtered above
        identity = [person.staff_number, person.name, user.username, person.get_kind_display()]
        employment = [
            person.employment_notice,
            person.employment_end.isoformat() if person.employment_end else "",
        ]
        memberships = UnitMembership.objects.filter(person=person, ended_at__isnull=True).exclude(
            ends_on__lt=day
        )
        units = [
            (m.unit.code, m.starts_on.isoformat()) for m in memberships.select_related("unit").order_by("pk")
        ]
        for unit in units or [("", "")]:
            writer.writerow([*identity, *employment, *unit])
            count += 1
    text = out.getvalue()
    with transaction.atomic():
        record_file(actor=actor, action=action, purpose=purpose, outcome_reason=f"rows={count}", text=text)
    return text

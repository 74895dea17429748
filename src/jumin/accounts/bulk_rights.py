"""Bulk maintenance of rights by batch: grants from and to a CSV file (standard 10.3-e; docs/security.md).

One file format both ways (``GRANT_COLUMNS``, UTF-8, header row): a row names either a person
(職員番号) or an organisation unit (部署コード), a duty (code or Japanese name) and the period. Export
writes the grants in force or scheduled, so next year's file is this year's export with new dates.

Import never bypasses the two-person rule (C-12): it creates one grant application per row, which the
IT head decides as usual. ``preview_grant_import`` (dry run) checks every row with the rules the
applications and approvals check and writes nothing but its audit entry; ``import_grants`` checks again
and either creates every application in one transaction or, when any row is wrong, none. Each error names
the row, the column, the reason and the remedy in Japanese, never the value.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q

from jumin.accounts import clock
from jumin.accounts.authorization import authorize
from jumin.accounts.context import audit_context
from jumin.accounts.duties import DUTIES
from jumin.accounts.errors import refuse
from jumin.accounts.grants import grant_rule_violation, unit_grant_violation
from jumin.accounts.models import Grant, GrantApplication, OrganisationUnit, User
from jumin.accounts.permissions import Permission
from jumin.accounts.units import unit_duty
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal

GRANT_COLUMNS = ("職員番号", "部署コード", "事務", "開始日", "終了日", "理由")
# A file is checked in one request: the cap keeps one upload from holding a worker (split larger files).
MAX_ROWS = 2000
IMPORT_REASON = "一括登録"

# The remedy for each grant rule a row can break (grants.grant_rule_violation, unit_grant_violation).
_RULE_REMEDIES = {
    "grantee_unusable": (
        "職員番号",
        "職員番号を確認するか、アカウントの利用停止を解除してから登録してください。",
    ),
    "period_invalid": ("終了日", "開始日以降、今年度末（3月31日）までの終了日を指定してください。"),
    "employment_end": ("終了日", "雇用期間満了日までの終了日を指定してください。"),
    "contract_end": ("終了日", "契約期間内の終了日を指定するか、従事者名簿への記載を確認してください。"),
    "training_missing": ("職員番号", "研修の修了を記録してから登録してください。"),
    "unit_inactive": ("部署コード", "登録済みの有効な部署コードを指定してください。"),
}


@dataclass(frozen=True)
class RowError:
    """One refusal in a file: the row number (the header is row 1), the column, reason and remedy."""

    row: int
    field: str
    reason: str
    remedy: str
    code: str

    def as_dict(self) -> dict[str, object]:
        """The error as a JSON object (API) or a table row (screen)."""
        return {
            "row": self.row,
            "field": self.field,
            "reason": self.reason,
            "remedy": self.remedy,
            "code": self.code,
        }


@dataclass(frozen=True)
class GrantRow:
    """A checked row: whom (an account or a unit), which duty, when."""

    row: int
    grantee: User | None
    unit: OrganisationUnit | None
    duty: str
    starts_on: date
    ends_on: date
    reason: str

    def as_dict(self) -> dict[str, object]:
        """The row as the preview shows it (staff number or unit code, duty name, dates)."""
        person = self.grantee.person if self.grantee is not None else None
        return {
            "row": self.row,
            "staff_number": person.staff_number if person is not None else "",
            "unit_code": self.unit.code if self.unit is not None else "",
            "duty": DUTIES[self.duty].label,
            "starts_on": self.starts_on.isoformat(),
            "ends_on": self.ends_on.isoformat(),
        }


@dataclass
class GrantImportPreview:
    """What an import would do: the checked rows, or the errors that refuse the whole file."""

    rows: list[GrantRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the file would be imported (at least one row, no error)."""
        return bool(self.rows) and not self.errors


class BatchRefused(Exception):  # noqa: N818 (a refusal is an outcome, not a programming error)
    """A batch file has errors; nothing was written. ``errors`` name the row and column of each."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors
        self.message = (
            "CSVファイルに誤りがあるため、一件も登録していません。各行の誤りを直して取り込み直してください。"
        )


class GrantImportRefused(BatchRefused):
    """The grant file has errors; no application was created."""


def _duty_code(text: str) -> str | None:
    if text in DUTIES:
        return text
    return next((code for code, duty in DUTIES.items() if duty.label == text), None)


def csv_day(value: str, column: str) -> date:
    """A YYYY-MM-DD cell as a date, or a refusal naming the column."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise refusal(
            column,
            f"{column}の形式が正しくありません。",
            "YYYY-MM-DD（例: 2026-04-01）で入力してください。",
            "bulk.date",
        ) from None


def _check_row(values: dict[str, str], number: int) -> GrantRow:
    staff_number, unit_code = values["職員番号"], values["部署コード"]
    if bool(staff_number) == bool(unit_code):
        raise refusal(
            "職員番号",
            "職員番号と部署コードの両方が入力されているか、どちらも入力されていません。",
            "個人への付与は職員番号だけ、部署への付与は部署コードだけを入力してください。",
            "bulk.target",
        )
    duty = _duty_code(values["事務"])
    if duty is None:
        raise refusal(
            "事務",
            "事務が一覧にありません。",
            "事務のコードまたは名称を事務一覧から指定してください。",
            "bulk.duty",
        )
    starts_on, ends_on = csv_day(values["開始日"], "開始日"), csv_day(values["終了日"], "終了日")
    grantee: User | None = None
    unit: OrganisationUnit | None = None
    if staff_number:
        grantee = (
            User.objects.select_related("person")
            .filter(person__staff_number=staff_number, is_active=True)
            .first()
        )
        if grantee is None:
            raise refusal(
                "職員番号",
                "この職員番号の職員に有効なアカウントがありません。",
                "職員番号を確認するか、先に職員登録をしてください。",
                "bulk.no_account",
            )
        violation = grant_rule_violation(grantee=grantee, starts_on=starts_on, ends_on=ends_on)
    else:
        if not unit_duty(duty):
            raise refusal(
                "事務",
                "部署には役割（所属長・情報主管課長など）と特定個人情報アクセスを付与できません。",
                "これらは個人（職員番号）に付与してください。",
                "bulk.unit_role",
            )
        unit = OrganisationUnit.objects.filter(code=unit_code).first()
        violation = (
            ("unit_inactive", "")
            if unit is None
            else unit_grant_violation(unit=unit, starts_on=starts_on, ends_on=ends_on)
        )
    if violation is not None:
        code, message = violation
        column, remedy = _RULE_REMEDIES[code]
        raise refusal(
            column,
            message or "この部署コードの部署は登録されていないか、廃止されています。",
            remedy,
            f"bulk.{code}",
        )
    return GrantRow(number, grantee, unit, duty, starts_on, ends_on, values["理由"][:400])


def csv_rows(text: str, columns: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """The data rows of a CSV file with this exact header, by row number, and the file-level errors."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != columns:
        remedy = f"1行目を「{','.join(columns)}」にしてください（書き出したファイルと同じ形式）。"
        return [], [RowError(1, "見出し行", "見出し行が正しくありません。", remedy, "bulk.header")]
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            remedy = f"{len(columns)}列（{','.join(columns)}）にしてください。"
            errors.append(RowError(number, "行", "列の数が見出し行と合いません。", remedy, "bulk.columns"))
            continue
        rows.append((number, dict(zip(columns, (cell.strip() for cell in cells), strict=True))))
    if len(rows) > MAX_ROWS:
        remedy = f"{MAX_ROWS}行以下のファイルに分けて取り込んでください。"
        return [], [RowError(0, "ファイル", "行数が上限を超えています。", remedy, "bulk.too_many")]
    return rows, errors


def _check_file(text: str) -> GrantImportPreview:
    lines, errors = csv_rows(text, GRANT_COLUMNS)
    preview = GrantImportPreview(errors=errors)
    seen: dict[tuple[object, ...], int] = {}
    for number, values in lines:
        try:
            row = _check_row(values, number)
        except DomainError as error:
            preview.errors.append(RowError(number, error.field, error.reason, error.remedy, error.code))
            continue
        key = (row.grantee and row.grantee.pk, row.unit and row.unit.pk, row.duty, row.starts_on)
        if key in seen:
            preview.errors.append(
                RowError(
                    number,
                    "事務",
                    f"{seen[key]}行目と同じ付与です。",
                    "重複する行を削除してください。",
                    "bulk.duplicate",
                )
            )
            continue
        seen[key] = number
        preview.rows.append(row)
    if not lines and not preview.errors:
        preview.errors.append(
            RowError(
                2, "ファイル", "データ行がありません。", "2行目以降に付与を記入してください。", "bulk.empty"
            )
        )
    preview.errors.sort(key=lambda e: e.row)
    return preview


def record_file(*, actor: Any, action: AuditAction, purpose: str, outcome_reason: str, text: str) -> None:
    """Audit a whole file's check, import or export with its SHA-256 (never its content)."""
    record_event(
        actor=actor,
        action=action,
        purpose=purpose,
        outcome_reason=outcome_reason,
        after_digest=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        **audit_context(),
    )


def preview_grant_import(*, actor: Any, text: str, purpose: str) -> GrantImportPreview:
    """Dry run: check every row as the import would, write nothing; the check itself is audited."""
    action = AuditAction.STAFF_RIGHTS_IMPORT
    authorize(actor=actor, permission=Permission.STAFF_GRANT_REQUEST, action=action, purpose=purpose)
    preview = _check_file(text)
    with transaction.atomic():
        outcome = f"dry_run rows={len(preview.rows)} errors={len(preview.errors)}"
        record_file(actor=actor, action=action, purpose=purpose, outcome_reason=outcome, text=text)
    return preview


def import_grants(*, actor: Any, text: str, purpose: str) -> list[int]:
    """Create one grant application per row, all in one transaction, or none when any row is wrong.

    Returns the application ids; each still needs the IT head's decision (C-12). A refused file is
    audited (``bulk_invalid``) and raises ``GrantImportRefused`` with every row's errors.
    """
    action = AuditAction.STAFF_RIGHTS_IMPORT
    authorize(actor=actor, permission=Permission.STAFF_GRANT_REQUEST, action=action, purpose=purpose)
    preview = _check_file(text)
    if not preview.ok:
        refuse(actor=actor, action=action, reason_code="bulk_invalid", message="", purpose=purpose)  # audits
        raise GrantImportRefused(preview.errors)
    with transaction.atomic():
        created = GrantApplication.objects.bulk_create(
            GrantApplication(
                grantee=row.grantee,
                unit=row.unit,
                duty=row.duty,
                starts_on=row.starts_on,
                ends_on=row.ends_on,
                reason=row.reason or IMPORT_REASON,
                requested_by=actor,
            )
            for row in preview.rows
        )
        ids = [application.pk for application in created]
        for application_id in ids:
            record_event(
                actor=actor,
                action=AuditAction.STAFF_GRANT_APPLY,
                purpose=purpose,
                subject_type="grant_application",
                subject_id=str(application_id),
                outcome_reason="bulk",
                **audit_context(),
            )
        record_file(
            actor=actor, action=action, purpose=purpose, outcome_reason=f"applications={len(ids)}", text=text
        )
    return ids


def export_grants(*, actor: Any, purpose: str) -> str:
    """The grants in force or scheduled (not ended, not yet over) as a CSV file in the import format."""
    action = AuditAction.STAFF_RIGHTS_EXPORT
    authorize(actor=actor, permission=Permission.STAFF_GRANT_REPORT, action=action, purpose=purpose)
    grants = (
        Grant.objects.filter(
            Q(unit__isnull=False) | Q(user__person__isnull=False),
            ended_at__isnull=True,
            ends_on__gte=clock.today(),
            application__status=GrantApplication.Status.APPROVED,
        )
        .select_related("user__person", "unit")
        .order_by("unit__code", "user__person__staff_number", "duty", "starts_on", "pk")
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GRANT_COLUMNS)
    count = 0
    for grant in grants:
        person = grant.user.person if grant.user is not None else None
        writer.writerow(
            [
                person.staff_number if person is not None else "",
                grant.unit.code if grant.unit is not None else "",
                grant.duty,
                grant.starts_on.isoformat(),
                grant.ends_on.isoformat(),
                "",
            ]
        )
        count += 1
    text = out.getvalue()
    with transaction.atomic():
        record_file(actor=actor, action=action, purpose=purpose, outcome_reason=f"rows={count}", text=text)
    return text

"""Program flags (資格: 国保, 後期高齢, 介護, 国民年金, 児童手当, 選挙人名簿) as data other departments set.

records.md §6.10: these items are owned by the program systems and only shown by the registry
(standard 7.2.2-a). They are not 異動 (records.md §7 lists no such 異動事由), so they do not go through
仮登録 → 本登録 or the outbox: each update appends one ``ProgramRecord`` row (history kept, nothing
overwritten) and one audit event. Each program has its own permission, held only by the duty of the
department that owns it (``PROGRAM_PERMISSIONS``; docs/workflows/programs.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize, has_permission
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_view
from jumin.domain.errors import refusal
from jumin.registry.models import ProgramRecord, Resident
from jumin.registry.models_program_link import ProgramLinkFile


class Program(StrEnum):
    """The programs of records.md §6.10 (住基法7条9号〜11号の2)."""

    ELECTORAL_ROLL = "electoral_roll"
    NATIONAL_HEALTH_INSURANCE = "national_health_insurance"
    LATE_ELDERLY = "late_elderly"
    LONG_TERM_CARE = "long_term_care"
    NATIONAL_PENSION = "national_pension"
    CHILD_ALLOWANCE = "child_allowance"
    # Not a program but held like one (std 1.1.1-c, non-statutory): set by the department that learns
    # of the 後見開始の審判 (its date as 取得日, the 終了 as 喪失日); never on a certificate.
    ADULT_GUARDIANSHIP = "adult_guardianship"


PROGRAM_LABELS: dict[Program, str] = {
    Program.ELECTORAL_ROLL: "選挙人名簿",
    Program.NATIONAL_HEALTH_INSURANCE: "国民健康保険",
    Program.LATE_ELDERLY: "後期高齢者医療",
    Program.LONG_TERM_CARE: "介護保険",
    Program.NATIONAL_PENSION: "国民年金",
    Program.CHILD_ALLOWANCE: "児童手当",
    Program.ADULT_GUARDIANSHIP: "成年被後見人",
}

# Who may set each program: the permission of the duty that owns it (accounts/duties.py).
PROGRAM_PERMISSIONS: dict[Program, Permission] = {
    Program.ELECTORAL_ROLL: Permission.PROGRAM_ELECTORAL_ROLL_EDIT,
    Program.NATIONAL_HEALTH_INSURANCE: Permission.PROGRAM_NATIONAL_HEALTH_INSURANCE_EDIT,
    Program.LATE_ELDERLY: Permission.PROGRAM_LATE_ELDERLY_EDIT,
    Program.LONG_TERM_CARE: Permission.PROGRAM_LONG_TERM_CARE_EDIT,
    Program.NATIONAL_PENSION: Permission.PROGRAM_NATIONAL_PENSION_EDIT,
    Program.CHILD_ALLOWANCE: Permission.PROGRAM_CHILD_ALLOWANCE_EDIT,
    Program.ADULT_GUARDIANSHIP: Permission.PROGRAM_ADULT_GUARDIANSHIP_EDIT,
}
# Flags shown only to a holder of their own view permission (the setting department's, or a grant of
# the view alone): RESIDENT_VIEW does not show them.
RESTRICTED_VIEW: dict[Program, Permission] = {
    Program.ADULT_GUARDIANSHIP: Permission.PROGRAM_ADULT_GUARDIANSHIP_VIEW,
}

# The units of the file link (std 7.2.1-a; registry/program_link.py): the program each sends, if any.
LINK_UNITS: dict[str, tuple[str, Program | None]] = {
    "national_health_insurance": ("国民健康保険", Program.NATIONAL_HEALTH_INSURANCE),
    "national_pension": ("国民年金", Program.NATIONAL_PENSION),
    "child_allowance": ("児童手当", Program.CHILD_ALLOWANCE),
    "late_elderly": ("後期高齢者医療", Program.LATE_ELDERLY),
    "long_term_care": ("介護保険", Program.LONG_TERM_CARE),
    "electoral_roll": ("選挙", Program.ELECTORAL_ROLL),
    # 戸籍 sends 異動 (届出), not program values: it only takes the resident-data file.
    "family_register": ("戸籍", None),
}


def unit_label(unit: str) -> str:
    """The Japanese name of a link unit (its code when unknown)."""
    return LINK_UNITS[unit][0] if unit in LINK_UNITS else unit


# 国民年金の種別 (records.md §6.10 "種別").
PENSION_KINDS = ("第1号被保険者", "第2号被保険者", "第3号被保険者", "任意加入被保険者")

# Insurance and pension programs have an acquisition and a loss date; the voter list and the child
# allowance do not (the allowance has its first and last month instead).
_DATED = {
    Program.NATIONAL_HEALTH_INSURANCE,
    Program.LATE_ELDERLY,
    Program.LONG_TERM_CARE,
    Program.NATIONAL_PENSION,
    Program.ADULT_GUARDIANSHIP,
}
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ProgramUpdate:
    """What a program department reports for one person and one program.

    ``enrolled`` False with a loss date clears the flag; the earlier rows stay in history.
    """

    atena_number: str
    program: Program
    enrolled: bool
    acquired_on: date | None = None
    lost_on: date | None = None
    basic_pension_number: str = field(default="", repr=False)
    pension_kind: str = ""
    first_month: str = ""
    last_month: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ProgramEntry:
    """One program row as a screen or the API shows it."""

    program: str
    label: str
    enrolled: bool
    acquired_on: str
    lost_on: str
    basic_pension_number: str
    pension_kind: str
    first_month: str
    last_month: str
    reason: str
    recorded_by: str
    recorded_at: str
    received_from: str = ""
    """The unit whose system sent the value (std 7.2.2-a), with ``received_at``; empty when entered here."""
    received_at: str = ""


@dataclass(frozen=True)
class ProgramStatus:
    """A person's current state of every program (unrecorded ones absent) and the full history."""

    atena_number: str
    current: list[ProgramEntry]
    history: list[ProgramEntry]


def normalise_basic_pension_number(value: str) -> str:
    """The 10 digits of a 基礎年金番号 (4-digit 記号 + 6-digit 番号), or a DomainError.

    Accepts full-width digits and one hyphen between the two parts (「1234-567890」).
    """
    text = unicodedata.normalize("NFKC", value).strip()
    if re.fullmatch(r"\d{4}-?\d{6}", text) is None:
        raise refusal(
            "basic_pension_number",
            "基礎年金番号の形式が正しくありません（記号4桁と番号6桁の10桁の数字です）。",
            "年金手帳または基礎年金番号通知書のとおり「1234-567890」の形で入力してください。",
            "registry.program.basic_pension_number",
        )
    return text.replace("-", "")


def _month(value: str, name: str, label: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if text and _MONTH.fullmatch(text) is None:
        raise refusal(
            name,
            f"{label}の形式が正しくありません。",
            f"{label}を「2026-04」のように西暦の年と月で入力してください。",
            "registry.program.month",
        )
    return text


def _details(update: ProgramUpdate) -> dict[str, str]:
    """Check the program's own items and return them as stored."""
    if update.program is Program.NATIONAL_PENSION and update.enrolled:
        number = normalise_basic_pension_number(update.basic_pension_number)
        if update.pension_kind not in PENSION_KINDS:
            raise refusal(
                "pension_kind",
                "国民年金の種別が選択されていません。",
                "第1号・第2号・第3号・任意加入のいずれかを選んでください。",
                "registry.program.pension_kind",
            )
        return {"basic_pension_number": number, "pension_kind": update.pension_kind}
    if update.program is Program.CHILD_ALLOWANCE:
        first = _month(update.first_month, "first_month", "支給開始月")
        last = _month(update.last_month, "last_month", "支給終了月")
        if update.enrolled and not first:
            raise refusal(
                "first_month",
                "支給開始月が入力されていません。",
                "児童手当の支給開始月を入力してください。",
                "registry.program.first_month_required",
            )
        if not update.enrolled and not last:
            raise refusal(
                "last_month",
                "支給終了月が入力されていません。",
                "支給を終える場合は支給終了月を入力してください。",
                "registry.program.last_month_required",
            )
        if first and last and last < first:
            raise refusal(
                "last_month",
                "支給終了月が支給開始月より前です。",
                "支給開始月以降の月を入力してください。",
                "registry.program.month_order",
            )
        return {"first_month": first, "last_month": last}
    return {}


def _check_dates(update: ProgramUpdate, today: date) -> None:
    if update.program not in _DATED:
        return
    if update.enrolled and update.acquired_on is None:
        raise refusal(
            "acquired_on",
            "資格取得日が入力されていません。",
            "資格を取得した日を入力してください。",
            "registry.program.acquired_required",
        )
    if not update.enrolled and update.lost_on is None:
        raise refusal(
            "lost_on",
            "資格喪失日が入力されていません。",
            "資格を喪失した日を入力してください。",
            "registry.program.lost_required",
        )
    dates = (("acquired_on", "資格取得日", update.acquired_on), ("lost_on", "資格喪失日", update.lost_on))
    for name, label, day in dates:
        if day is not None and day > today:
            raise refusal(
                name,
                f"{label}が未来の日付です。",
                f"本日以前の{label}を入力してください。",
                "registry.program.future_date",
            )
    if update.acquired_on and update.lost_on and update.lost_on < update.acquired_on:
        raise refusal(
            "lost_on",
            "資格喪失日が資格取得日より前です。",
            "資格取得日以降の日付を入力してください。",
            "registry.program.date_order",
        )


def checked_details(update: ProgramUpdate, today: date) -> dict[str, str]:
    """The program's own items as stored, once the update's dates and items are checked; or a
    DomainError naming the ``ProgramUpdate`` field (the counter's entry and the bulk import share it)."""
    _check_dates(update, today)
    return _details(update)


def _resident(atena_number: str) -> Resident:
    """A committed person (drafts are invisible); removed persons too, a loss may follow removal."""
    resident = Resident.objects.filter(atena_number=atena_number.strip(), current__isnull=False).first()
    if resident is None:
        raise refusal(
            "atena_number",
            "該当する住民が見つかりません。",
            "宛名番号を確認してください。",
            "registry.resident_not_found",
        )
    return resident


def _latest(resident: Resident, program: Program) -> ProgramRecord | None:
    return (
        ProgramRecord.objects.filter(resident=resident, program=program)
        .order_by("-recorded_at", "-pk")
        .first()
    )


def _same_as(latest: ProgramRecord | None, row: dict[str, Any]) -> bool:
    return latest is not None and all(getattr(latest, name) == value for name, value in row.items())


def record_program(
    *, actor: Any, purpose: str, update: ProgramUpdate, received_in: ProgramLinkFile | None = None
) -> int:
    """Append one program row for a person; returns its id. Only the owning department may do it
    (its clerks, or its system's account through the file link, which passes the file: ``received_in``)."""
    program = Program(update.program)
    authorize(
        actor=actor,
        permission=PROGRAM_PERMISSIONS[program],
        action=AuditAction.RESIDENT_PROGRAM_RECORD,
        purpose=purpose,
        subject_type="resident",
    )
    today = timezone.localdate()
    details = checked_details(update, today)
    with transaction.atomic():
        resident = _resident(update.atena_number)
        Resident.objects.select_for_update().filter(pk=resident.pk).first()  # one writer per person
        row = {
            "enrolled": update.enrolled,
            "acquired_on": update.acquired_on,
            "lost_on": update.lost_on,
            "details": details,
        }
        if _same_as(_latest(resident, program), row):
            raise refusal(
                "enrolled",
                "現在の記録と同じ内容です。",
                "変更がある項目を入力してください。",
                "registry.program.unchanged",
            )
        record = ProgramRecord.objects.create(
            resident=resident,
            program=program,
            reason=update.reason.strip(),
            recorded_by=actor,
            recorded_at=timezone.now(),
            received_in=received_in,
            **row,
        )
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_PROGRAM_RECORD,
            subject_type="resident",
            subject_id=resident.atena_number,
            purpose=purpose,
            reason=f"{program.value} enrolled={update.enrolled}",
        )
    return record.pk


def _entry(row: ProgramRecord) -> ProgramEntry:
    details = row.details or {}
    received = row.received_in
    return ProgramEntry(
        program=row.program,
        label=PROGRAM_LABELS.get(Program(row.program), row.program),
        enrolled=row.enrolled,
        acquired_on=row.acquired_on.isoformat() if row.acquired_on else "",
        lost_on=row.lost_on.isoformat() if row.lost_on else "",
        basic_pension_number=str(details.get("basic_pension_number", "")),
        pension_kind=str(details.get("pension_kind", "")),
        first_month=str(details.get("first_month", "")),
        last_month=str(details.get("last_month", "")),
        reason=row.reason,
        recorded_by=str(row.recorded_by),
        recorded_at=timezone.localtime(row.recorded_at).isoformat(timespec="seconds"),
        received_from="" if received is None else unit_label(received.unit),
        received_at=""
        if received is None
        else timezone.localtime(received.received_at).isoformat(timespec="seconds"),
    )


def program_status(*, actor: Any, purpose: str, atena_number: str) -> ProgramStatus:
    """The current program flags of one person and their history, newest first (audited read)."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.RESIDENT_PROGRAM_VIEW,
        purpose=purpose,
        subject_type="resident",
    )
    hidden = [p for p, permission in RESTRICTED_VIEW.items() if not has_permission(actor, permission)]
    with transaction.atomic():
        resident = _resident(atena_number)
        rows = list(
            ProgramRecord.objects.filter(resident=resident)
            .exclude(program__in=hidden)
            .select_related("recorded_by", "received_in")
            .order_by("-recorded_at", "-pk")
        )
        record_view(
            actor, "resident", resident.atena_number, purpose, action=AuditAction.RESIDENT_PROGRAM_VIEW
        )
    history = [_entry(row) for row in rows]
    seen: set[str] = set()
    current = []
    for entry in history:  # newest first: the first row of a program is its current state
        if entry.program not in seen:
            seen.add(entry.program)
            current.append(entry)
    order = list(Program)
    current.sort(key=lambda entry: order.index(Program(entry.program)))
    return ProgramStatus(atena_number=resident.atena_number, current=current, history=history)


def guardianship_on_record(*, actor: Any, purpose: str, atena_number: str) -> ProgramEntry | None:
    """The current 成年被後見人 row for the record screen, or None: also None (nothing read, nothing
    audited) for an actor without its view permission. A read is audited with the person."""
    if not has_permission(actor, RESTRICTED_VIEW[Program.ADULT_GUARDIANSHIP]):
        return None
    with transaction.atomic():
        resident = _resident(atena_number)
        latest = _latest(resident, Program.ADULT_GUARDIANSHIP)
        record_view(
            actor, "resident", resident.atena_number, purpose, action=AuditAction.RESIDENT_PROGRAM_VIEW
        )
    return _entry(latest) if latest is not None and latest.enrolled else None

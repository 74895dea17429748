"""File link with the program systems (地域情報プラットフォーム-style, standard 7.2.1-a): receiving.

Each unit (国保, 国民年金, 児童手当, 後期高齢, 介護, 選挙) drops CSV files (UTF-8 or Shift_JIS, a header line
of the columns below) in ``<JUMIN_PROGRAM_LINK_DIR>/<unit>/in``. Every few minutes the node takes each
file once (its SHA-256 per unit; a file already taken in full is moved aside and never applied again)
and applies each line as a ``ProgramRecord`` update by the unit's own system account, through the same
service and checks as the department's clerks (``programs.record_program``: one transaction and one
audit entry per person). A refused line changes nothing and is listed, with its column and reason
(never its value), in ``ProgramLinkRefusal`` and in ``out/<file>.result.csv``; a line equal to the
current state is counted as unchanged. The taken file moves to ``done/``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.registry.models_program_link import ProgramLinkFile, ProgramLinkRefusal
from jumin.registry.notification_imports import decoded_csv
from jumin.registry.programs import LINK_UNITS, Program, ProgramUpdate, record_program

# Columns of a received file (header line) → ProgramUpdate fields.
COLUMNS = {
    "宛名番号": "atena_number",
    "資格": "enrolled",
    "資格取得日": "acquired_on",
    "資格喪失日": "lost_on",
    "基礎年金番号": "basic_pension_number",
    "種別": "pension_kind",
    "支給開始月": "first_month",
    "支給終了月": "last_month",
    "事由": "reason",
}
COLUMN_OF = {name: column for column, name in COLUMNS.items()}
_REQUIRED = ("宛名番号", "資格")
_COMMON = (*_REQUIRED, "事由")
_DATES = ("資格取得日", "資格喪失日")
# The columns a unit's file may have: its program's items only (a misspelt column would be lost).
ALLOWED_COLUMNS: dict[Program, tuple[str, ...]] = {
    Program.NATIONAL_HEALTH_INSURANCE: (*_COMMON, *_DATES),
    Program.LATE_ELDERLY: (*_COMMON, *_DATES),
    Program.LONG_TERM_CARE: (*_COMMON, *_DATES),
    Program.NATIONAL_PENSION: (*_COMMON, *_DATES, "基礎年金番号", "種別"),
    Program.CHILD_ALLOWANCE: (*_COMMON, "支給開始月", "支給終了月"),
    Program.ELECTORAL_ROLL: (*_COMMON, *_DATES),
}
_ENROLLED = {"あり": True, "1": True, "なし": False, "0": False}
UNCHANGED_CODE = "registry.program.unchanged"


@dataclass(frozen=True)
class LineRefusal:
    """A line not applied (line 0: the whole file), by column; never the value."""

    line: int
    column: str
    reason: str
    remedy: str
    code: str


@dataclass(frozen=True)
class ReceivedFile:
    """What taking one file did."""

    file_id: int
    state: str
    applied: int
    unchanged: int
    refused: tuple[LineRefusal, ...]


def unit_dir(unit: str, part: str) -> Path:
    """``<JUMIN_PROGRAM_LINK_DIR>/<unit>/<part>`` (in, done, out), created when missing (mode 0700)."""
    path = Path(settings.JUMIN_PROGRAM_LINK_DIR) / unit / part
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def link_account(unit: str) -> Any | None:
    """The unit's active system account (``JUMIN_PROGRAM_LINK_UNITS``), or None when it has none."""
    username = settings.JUMIN_PROGRAM_LINK_UNITS.get(unit)
    if not username:
        return None
    return get_user_model().objects.filter(username=username, is_active=True).first()


def link_purpose(unit: str) -> str:
    """The duty the unit's account acts under: its program's (``program_<program>``)."""
    program = LINK_UNITS[unit][1]
    return "family_register_link" if program is None else f"program_{program.value}"


def _day(text: str, column: str) -> date | None:
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value if "-" in value else f"{value[:4]}-{value[4:6]}-{value[6:]}")
    except ValueError:
        raise DomainError(
            field=COLUMNS[column],
            reason=f"{column}の形式が正しくありません。",
            remedy=f"{column}を西暦の「YYYY-MM-DD」または「YYYYMMDD」で送ってください。",
            code="program_link.date",
        ) from None


def _update(program: Program, values: dict[str, str]) -> ProgramUpdate:
    """The line as the program department's update, or a DomainError naming the field."""
    enrolled = _ENROLLED.get(unicodedata.normalize("NFKC", values.get("資格", "")).strip())
    if enrolled is None:
        raise DomainError(
            field="enrolled",
            reason="資格の値が正しくありません。",
            remedy="資格は「あり」「なし」（または 1・0）で送ってください。",
            code="program_link.enrolled",
        )
    return ProgramUpdate(
        atena_number=values.get("宛名番号", ""),
        program=program,
        enrolled=enrolled,
        acquired_on=_day(values.get("資格取得日", ""), "資格取得日"),
        lost_on=_day(values.get("資格喪失日", ""), "資格喪失日"),
        basic_pension_number=values.get("基礎年金番号", ""),
        pension_kind=values.get("種別", "").strip(),
        first_month=values.get("支給開始月", ""),
        last_month=values.get("支給終了月", ""),
        reason=values.get("事由", "").strip()[:200],
    )


def _lines(content: bytes, program: Program) -> Iterator[tuple[int, dict[str, str]]]:
    """The file's non-blank lines (line number, values by column); a bad header is a DomainError."""
    reader = csv.reader(io.StringIO(decoded_csv(content), newline=""))
    header = [unicodedata.normalize("NFKC", h).strip().lstrip("\ufeff") for h in next(reader, [])]
    unknown = [h for h in header if h not in ALLOWED_COLUMNS[program]]
    missing = [h for h in _REQUIRED if h not in header]
    if unknown or missing:
        raise DomainError(
            field="file",
            reason=f"見出し行の列名が連携レイアウトと合いません（不足: {'、'.join(missing) or 'なし'}、"
            f"不明: {'、'.join(unknown) or 'なし'}）。",
            remedy=f"1行目の列名を {'、'.join(ALLOWED_COLUMNS[program])} から選んでください。",
            code="program_link.header",
        )
    for number, cells in enumerate(reader, start=2):
        if any(cell.strip() for cell in cells):
            yield number, dict(zip(header, cells, strict=False))


def _refusal(line: int, error: DomainError) -> LineRefusal:
    return LineRefusal(line, COLUMN_OF.get(error.field, ""), error.reason, error.remedy, error.code)


def _write_result(unit: str, file_name: str, refusals: tuple[LineRefusal, ...]) -> None:
    """``out/<file>.result.csv`` (UTF-8 with BOM): every refused line, written whole or not at all."""
    target = unit_dir(unit, "out") / f"{file_name}.result.csv"
    temporary = target.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(("行", "列", "理由", "対処", "コード"))
        writer.writerows((r.line, r.column, r.reason, r.remedy, r.code) for r in refusals)
    os.replace(temporary, target)


def _claim(unit: str, name: str, digest: str) -> ProgramLinkFile | None:
    """The file's row, new or left over from a run that stopped; None when taken in full before."""
    with transaction.atomic():
        row, _ = ProgramLinkFile.objects.select_for_update().get_or_create(
            unit=unit,
            digest=digest,
            defaults={"file_name": name[:255], "received_at": timezone.now()},
        )
        if row.state == ProgramLinkFile.State.DONE:
            return None
        row.state = ProgramLinkFile.State.RECEIVING
        row.save(update_fields=["state"])
    return row


def _apply(row: ProgramLinkFile, content: bytes, program: Program, actor: Any, purpose: str) -> ReceivedFile:
    applied = unchanged = lines = 0
    refusals: list[LineRefusal] = []
    state = ProgramLinkFile.State.DONE
    try:
        for number, values in _lines(content, program):
            lines += 1
            try:
                record_program(actor=actor, purpose=purpose, update=_update(program, values), received_in=row)
                applied += 1
            except DomainError as error:
                if error.code == UNCHANGED_CODE:  # the unit sends its state again: nothing to append
                    unchanged += 1
                else:
                    refusals.append(_refusal(number, error))
    except DomainError as error:  # the file itself (encoding, header)
        state, refusals = ProgramLinkFile.State.REFUSED, [_refusal(0, error)]
    except AccessRefused as error:  # the account lacks the program's right: nothing was applied
        state = ProgramLinkFile.State.REFUSED
        refusals = [
            LineRefusal(
                0, "", error.message, "連携アカウントの権限を確認してください。", "program_link.access"
            )
        ]
    with transaction.atomic():
        ProgramLinkRefusal.objects.bulk_create(
            ProgramLinkRefusal(
                file=row,
                line=r.line,
                column=r.column,
                reason=r.reason[:300],
                remedy=r.remedy[:300],
                code=r.code,
            )
            for r in refusals
        )
        row.state, row.line_count = state, lines
        row.applied_count, row.unchanged_count, row.refused_count = applied, unchanged, len(refusals)
        row.save(update_fields=["state", "line_count", "applied_count", "unchanged_count", "refused_count"])
        record_event(
            actor=actor,
            action=AuditAction.PROGRAM_LINK_RECEIVE,
            subject_type="program_link_file",
            subject_id=str(row.pk),
            purpose=purpose,
            reason=f"{row.unit} {state} applied {applied} unchanged {unchanged} refused {len(refusals)}",
            result_count=applied,
        )
    return ReceivedFile(row.pk, state, applied, unchanged, tuple(refusals))


def receive_files(unit: str) -> list[ReceivedFile]:
    """Take every file in the unit's inbox, oldest name first, each once (see the module docstring).

    Nothing happens for a unit without a program or without an active system account."""
    program = LINK_UNITS[unit][1]
    actor = link_account(unit)
    if program is None or actor is None:
        return []
    received = []
    done = unit_dir(unit, "done")
    for path in sorted(
        p for p in unit_dir(unit, "in").iterdir() if p.is_file() and not p.name.startswith(".")
    ):
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        row = _claim(unit, path.name, digest)
        if row is not None:
            received.append(_apply(row, content, program, actor, link_purpose(unit)))
            _write_result(unit, path.name, received[-1].refused)
        os.replace(path, done / f"{digest[:12]}-{path.name}")
    return received

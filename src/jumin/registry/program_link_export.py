"""File link with the program systems (standard 7.2.1-a): sending resident data.

Every run writes, for each unit with a system account, ``out/resident-data-<time>-<n>.csv`` (UTF-8 with
BOM): one line per person with a committed change (outbox ``RegistryEvent``) that no earlier file of
this unit carried, with the person's current committed 4情報 (never a draft: drafts make no event and
are not ``Resident.current``). The 個人番号 column is there only when the unit's account holds
``individual_number:access``. The events a file carried are kept with it (``ResidentDataExport``),
so a change committed late (its event numbered before one already sent) still goes in the next file.
A run with no new change writes no file. One audit entry per file names every person.
"""

from __future__ import annotations

import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize, has_permission
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.messaging import housekeeping
from jumin.registry.models import Resident
from jumin.registry.models_program_link import ResidentDataExport
from jumin.registry.models_review import RegistryEvent
from jumin.registry.program_link import ReceivedFile, link_account, link_purpose, receive_files, unit_dir
from jumin.registry.programs import LINK_UNITS

logger = logging.getLogger(__name__)

HEADER = (
    "宛名番号",
    "異動事由",
    "住民状態",
    "氏",
    "名",
    "氏フリガナ",
    "名フリガナ",
    "生年月日",
    "性別",
    "住所",
    "方書",
)
NUMBER_COLUMN = "個人番号"


def _unsent_events(unit: str) -> dict[str, tuple[list[int], str]]:
    """Per 宛名番号: the committed-change events no file of the unit carried, and the newest 異動事由."""
    sent = ResidentDataExport.events.through.objects.filter(residentdataexport__unit=unit).values(
        "registryevent_id"
    )
    pending: dict[str, tuple[list[int], str]] = {}
    query = RegistryEvent.objects.filter(change__isnull=False).exclude(pk__in=sent).order_by("pk")
    for pk, atena, reason in query.values_list("pk", "atena_number", "change_reason"):
        events, _ = pending.get(atena, ([], ""))
        pending[atena] = ([*events, pk], reason)
    return pending


def _write(path: Path, rows: list[list[str]], with_number: bool) -> None:
    temporary = path.with_suffix(".tmp")  # the unit never sees half a file
    with temporary.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow((*HEADER, NUMBER_COLUMN) if with_number else HEADER)
        writer.writerows(rows)
    os.replace(temporary, path)


def export_resident_data(unit: str) -> ResidentDataExport | None:
    """Write the unit's resident-data file of the changes since its last one; None when nothing is new
    or the unit has no system account. Needs ``resident:view`` under the unit's duty."""
    actor = link_account(unit)
    if actor is None:
        return None
    purpose = link_purpose(unit)
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=AuditAction.PROGRAM_LINK_SEND,
        purpose=purpose,
        subject_type="resident_data_export",
    )
    with_number = has_permission(actor, Permission.INDIVIDUAL_NUMBER_ACCESS)
    with transaction.atomic():
        pending = _unsent_events(unit)
        if not pending:
            return None
        people = Resident.objects.filter(atena_number__in=pending, current__isnull=False).select_related(
            "current"
        )
        rows = []
        for resident in sorted(people, key=lambda r: r.atena_number):
            s = resident.current
            assert s is not None  # filtered above
            row = [
                resident.atena_number,
                pending[resident.atena_number][1],
                s.status,
                s.surname,
                s.given_name,
            ]
            row += [
                s.surname_kana,
                s.given_name_kana,
                s.birth_sort_date.isoformat(),
                s.sex,
                s.address,
                s.katagaki,
            ]
            if with_number:
                row.append(s.get_individual_number() or "")
            rows.append(row)
        now = timezone.now()
        export = ResidentDataExport.objects.create(
            unit=unit, file_name="", written_at=now, row_count=len(rows), with_individual_number=with_number
        )
        export.file_name = f"resident-data-{timezone.localtime(now):%Y%m%d%H%M%S}-{export.pk}.csv"
        export.save(update_fields=["file_name"])
        ResidentDataExport.events.through.objects.bulk_create(
            ResidentDataExport.events.through(residentdataexport=export, registryevent_id=pk)
            for events, _ in pending.values()
            for pk in events
        )
        record_event(
            actor=actor,
            action=AuditAction.PROGRAM_LINK_SEND,
            subject_type="resident",
            purpose=purpose,
            reason=f"{unit} export {export.pk}",
            result_count=len(rows),
            individual_number_used=with_number,
            concerning=[row[0] for row in rows],
        )
        # Written inside the transaction: a failed write leaves the events unsent for the next run.
        _write(unit_dir(unit, "out") / export.file_name, rows, with_number)
    return export


@dataclass(frozen=True)
class LinkRun:
    """One round of the link: the files taken and written, by unit; the units that failed (by type)."""

    received: dict[str, list[ReceivedFile]]
    written: dict[str, str]
    failed: dict[str, str]


def run_program_link() -> LinkRun:
    """One round for every configured unit (``JUMIN_PROGRAM_LINK_UNITS``): take its files, then write
    its resident-data file. A unit that fails is logged by error type (never data) and the others run."""
    received: dict[str, list[ReceivedFile]] = {}
    written: dict[str, str] = {}
    failed: dict[str, str] = {}
    for unit in sorted(settings.JUMIN_PROGRAM_LINK_UNITS):
        if unit not in LINK_UNITS:
            failed[unit] = "unknown unit"
            continue
        try:
            received[unit] = receive_files(unit)
            export = export_resident_data(unit)
            if export is not None:
                written[unit] = export.file_name
        except Exception as error:  # the type only: a database error's text may quote row data (C-54)
            failed[unit] = type(error).__name__
            logger.error("program link %s failed (%s)", unit, type(error).__name__)
    return LinkRun(received, written, failed)


# Every few minutes (standard 7.2.1-a) from the node's own worker; `jumin manage program_link` runs a round.
housekeeping.register(
    "registry.program_link",
    run_program_link,
    kind="municipality",
    period=settings.JUMIN_PROGRAM_LINK_INTERVAL_SECONDS,
)

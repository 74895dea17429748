"""The file link with the program systems (standard 7.2.1-a, 7.2.2-a; registry/program_link.py,
program_link_export.py): files taken once, applied per line by the unit's account, refusals listed;
resident data written for the units from committed changes only.

All data is synthetic (tests/registry/conftest.py; the 基礎年金番号 is made up).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.messaging.housekeeping import Housekeeper
from jumin.registry.models import ProgramRecord
from jumin.registry.models_program_link import ProgramLinkFile, ProgramLinkRefusal, ResidentDataExport
from jumin.registry.program_link import receive_files
from jumin.registry.program_link_export import export_resident_data
from jumin.registry.programs import program_status
from jumin.registry.services import DraftRecorded, record_move_in
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_in import family_move_in
from tests.registry.test_move_out import today

pytestmark = pytest.mark.django_db

NHI = "national_health_insurance"


@pytest.fixture
def link_dir(settings: Any, tmp_path: Path, make_clerk: Callable[..., User]) -> Path:
    """国保 and 国民年金 linked, each with its own system account; 国民年金's holds the 個人番号 right."""
    settings.JUMIN_PROGRAM_LINK_DIR = tmp_path
    settings.JUMIN_PROGRAM_LINK_UNITS = {NHI: "link-nhi", "national_pension": "link-pension"}
    make_clerk("link-nhi", Permission.PROGRAM_NATIONAL_HEALTH_INSURANCE_EDIT, Permission.RESIDENT_VIEW)
    make_clerk(
        "link-pension",
        Permission.PROGRAM_NATIONAL_PENSION_EDIT,
        Permission.RESIDENT_VIEW,
        Permission.INDIVIDUAL_NUMBER_ACCESS,
    )
    return tmp_path


def drop(link_dir: Path, unit: str, name: str, text: str, encoding: str = "utf-8") -> Path:
    inbox = link_dir / unit / "in"
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    path.write_bytes(text.encode(encoding))
    return path


def day(days_ago: int) -> str:
    return (today() - timedelta(days=days_ago)).isoformat()


def nhi_file(family: DraftRecorded) -> str:
    head, wife, child = family.atena_numbers
    return (
        "宛名番号,資格,資格取得日,資格喪失日,事由\n"
        f"{head},あり,{day(30)},,加入\n"
        f"{wife},あり,{day(10)},{day(20)},加入\n"  # lost before acquired: refused, nothing written
        f"9999999,あり,{day(30)},,加入\n"  # nobody
        f"{child},はい,{day(30)},,加入\n"  # 資格 not あり/なし
    )


def test_7_2_1_a_a_file_is_applied_per_line_by_the_units_account_and_refusals_listed(
    link_dir: Path, family: DraftRecorded
) -> None:
    drop(link_dir, NHI, "20261124-0001.csv", nhi_file(family), encoding="cp932")
    [received] = receive_files(NHI)
    assert (received.state, received.applied, received.unchanged) == ("done", 1, 0)
    assert [(r.line, r.column, r.code) for r in received.refused] == [
        (3, "資格喪失日", "registry.program.date_order"),
        (4, "宛名番号", "registry.resident_not_found"),
        (5, "資格", "program_link.enrolled"),
    ]
    head, wife, _ = family.atena_numbers
    record = ProgramRecord.objects.get()
    assert (record.resident.atena_number, record.enrolled, record.recorded_by.username) == (
        head,
        True,
        "link-nhi",
    )
    assert not ProgramRecord.objects.filter(resident__atena_number=wife).exists()
    assert ProgramLinkRefusal.objects.filter(file_id=received.file_id).count() == 3
    # The result file lists the refused lines by column, never a value.
    result = (link_dir / NHI / "out" / "20261124-0001.csv.result.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(result)))
    assert [row[:2] for row in rows[1:]] == [["3", "資格喪失日"], ["4", "宛名番号"], ["5", "資格"]]
    assert "9999999" not in result
    assert wife not in result
    # Audited per person (the program record) and per file.
    assert AuditEntry.objects.filter(action="resident:program:record", subject_id=head).count() == 1
    assert AuditEntry.objects.filter(action="program_link:receive", subject_id=str(received.file_id)).exists()
    assert not any((link_dir / NHI / "in").iterdir())


def test_7_2_1_a_the_same_file_is_taken_once_and_a_repeated_state_is_not_appended(
    link_dir: Path, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    text = f"宛名番号,資格,資格取得日\n{head},あり,{day(30)}\n"
    drop(link_dir, NHI, "a.csv", text)
    receive_files(NHI)
    drop(link_dir, NHI, "a-again.csv", text)  # the same bytes under another name
    assert receive_files(NHI) == []
    drop(link_dir, NHI, "b.csv", text + "\n")  # another file carrying the same state
    [again] = receive_files(NHI)
    assert (again.applied, again.unchanged, again.refused) == (0, 1, ())
    assert ProgramRecord.objects.count() == 1
    assert ProgramLinkFile.objects.count() == 2


def test_7_2_1_a_a_bad_header_or_a_unit_without_the_right_refuses_the_whole_file(
    link_dir: Path, family: DraftRecorded, settings: Any
) -> None:
    head = family.atena_numbers[0]
    drop(link_dir, NHI, "a.csv", f"宛名番号,資格,基礎年金番号\n{head},あり,1234567890\n")
    [received] = receive_files(NHI)
    assert received.state == "refused"
    assert received.refused[0].code == "program_link.header"
    assert "基礎年金番号" in received.refused[0].reason
    settings.JUMIN_PROGRAM_LINK_UNITS = {NHI: "link-pension"}  # an account without the 国保 right
    drop(link_dir, NHI, "b.csv", f"宛名番号,資格,資格取得日\n{head},あり,{day(30)}\n")
    [refused] = receive_files(NHI)
    assert (refused.state, refused.refused[0].code) == ("refused", "program_link.access")
    assert not ProgramRecord.objects.exists()


def test_7_2_2_a_the_status_screen_says_which_unit_sent_the_value_and_when(
    link_dir: Path, family: DraftRecorded, clerk: User
) -> None:
    head = family.atena_numbers[0]
    drop(link_dir, NHI, "a.csv", f"宛名番号,資格,資格取得日\n{head},あり,{day(30)}\n")
    [received] = receive_files(NHI)
    status = program_status(actor=clerk, purpose=PURPOSE, atena_number=head)
    [current] = status.current
    sent_at = ProgramLinkFile.objects.get(pk=received.file_id).received_at
    assert current.received_from == "国民健康保険"
    assert current.received_at[:16] == sent_at.astimezone().isoformat()[:16]
    page = logged_in(clerk).post(reverse("registry:programs"), {"purpose": PURPOSE, "atena_number": head})
    assert "国民健康保険から" in page.content.decode()


def _exported(link_dir: Path, unit: str, export: ResidentDataExport) -> list[dict[str, str]]:
    text = (link_dir / unit / "out" / export.file_name).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_7_2_1_a_resident_data_carries_committed_changes_once_and_the_number_only_when_granted(
    link_dir: Path, family: DraftRecorded, clerk: User
) -> None:
    record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())  # a draft: never sent
    nhi = export_resident_data(NHI)
    pension = export_resident_data("national_pension")
    assert nhi is not None
    assert pension is not None
    rows = _exported(link_dir, NHI, nhi)
    assert [r["宛名番号"] for r in rows] == sorted(family.atena_numbers)
    assert "個人番号" not in rows[0]
    assert rows[0]["氏"]
    assert rows[0]["生年月日"]
    assert rows[0]["住所"]
    assert "個人番号" in _exported(link_dir, "national_pension", pension)[0]
    assert (nhi.with_individual_number, pension.with_individual_number) == (False, True)
    assert export_resident_data(NHI) is None  # nothing new since
    sent = AuditEntry.objects.filter(action="program_link:send")
    assert sent.count() == 2
    assert sent.filter(individual_number_used=True).count() == 1


def test_7_2_1_a_the_node_runs_the_link_every_few_minutes_and_the_command_runs_a_round(
    link_dir: Path, family: DraftRecorded, settings: Any
) -> None:
    clock = [0.0]
    keeper = Housekeeper(clock=lambda: clock[0], kind="municipality")
    head = family.atena_numbers[0]
    drop(link_dir, NHI, "a.csv", f"宛名番号,資格,資格取得日\n{head},あり,{day(30)}\n")
    assert "registry.program_link" in keeper.run_due()
    assert ProgramRecord.objects.count() == 1
    clock[0] = settings.JUMIN_PROGRAM_LINK_INTERVAL_SECONDS - 1
    assert "registry.program_link" not in keeper.run_due()
    clock[0] = settings.JUMIN_PROGRAM_LINK_INTERVAL_SECONDS
    assert "registry.program_link" in keeper.run_due()
    drop(link_dir, NHI, "b.csv", f"宛名番号,資格,資格喪失日\n{head},なし,{day(1)}\n")
    out = io.StringIO()
    call_command("program_link", stdout=out)
    assert "反映 1件" in out.getvalue()
    assert ProgramRecord.objects.count() == 2

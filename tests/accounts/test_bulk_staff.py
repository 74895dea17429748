"""Bulk maintenance of accounts and unit memberships by batch (standard 10.3-e)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jumin.accounts import bulk_staff, clock, units
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import StaffPerson, UnitMembership, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, make_user

pytestmark = pytest.mark.django_db
PURPOSE = "職員管理"
HEADER = "職員番号,氏名,職員ID,区分,雇用通知書番号,雇用期間満了日,部署コード,所属開始日\n"


@pytest.fixture
def admin() -> User:
    user = make_user(username="tadmin")
    grant_permissions(user, [Permission.STAFF_MANAGE, Permission.HR_EVENT_RECORD])
    return user


def good_file(admin: User) -> str:
    units.register_unit(actor=admin, code="SHIMIN1", name="市民課窓口係", purpose=PURPOSE)
    today = clock.today().isoformat()
    return (
        HEADER
        + f"B0001,窓口 花子,bclerk1,職員,,,SHIMIN1,{today}\n"
        + f"B0002,臨時 次郎,bclerk2,臨時職員,雇-9,{clock.fiscal_year_end(clock.today()).isoformat()},,\n"
    )


def test_the_import_creates_accounts_without_a_password_and_memberships(admin: User) -> None:
    text = good_file(admin)
    preview = bulk_staff.preview_staff_import(actor=admin, text=text, purpose=PURPOSE)
    assert preview.ok
    assert not User.objects.filter(username__startswith="bclerk").exists()
    ids = bulk_staff.import_staff(actor=admin, text=text, purpose=PURPOSE)
    assert len(ids) == 2
    assert not User.objects.get(username="bclerk1").has_usable_password()  # C-2: no password in a file
    assert UnitMembership.objects.filter(person__staff_number="B0001", unit__code="SHIMIN1").exists()
    assert StaffPerson.objects.get(staff_number="B0002").kind == StaffPerson.Kind.TEMPORARY
    created = AuditEntry.objects.filter(action=AuditAction.STAFF_ACCOUNT_CREATE, outcome_reason="bulk")
    assert created.count() == 2


def test_one_wrong_row_refuses_the_file_and_names_row_and_column(admin: User) -> None:
    taken = make_user(username="taken1")
    assert taken.person is not None
    text = (
        good_file(admin)
        + "B0003,名前,taken1,職員,,,,\n"
        + f"{taken.person.staff_number},名前,newid,職員,,,,\n"
        + "B0004,名前,newid2,臨時職員,,,,\n"
        + "B0005,名前,newid3,職員,,,NOUNIT,2026-04-01\n"
        + "B0001,名前,newid4,職員,,,,\n"
        + ",名前,newid5,職員,,,,\n"
    )
    with pytest.raises(bulk_staff.StaffImportRefused) as refused:
        bulk_staff.import_staff(actor=admin, text=text, purpose=PURPOSE)
    assert [(e.row, e.field, e.code) for e in refused.value.errors] == [
        (4, "職員ID", "bulk.username_taken"),
        (5, "職員番号", "bulk.second_account"),
        (6, "雇用通知書番号", "bulk.employment"),
        (7, "部署コード", "bulk.unit"),
        (8, "職員番号", "bulk.duplicate"),
        (9, "職員番号", "bulk.required"),
    ]
    assert not User.objects.filter(username__startswith="bclerk").exists()
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_ACCOUNT_IMPORT, outcome="refused")
    assert entry.outcome_reason == "bulk_invalid"


def test_only_the_terminal_administrator_imports_and_exports() -> None:
    clerk = make_user()
    with pytest.raises(AccessRefused):
        bulk_staff.import_staff(actor=clerk, text=HEADER, purpose=PURPOSE)
    with pytest.raises(AccessRefused):
        bulk_staff.export_staff(actor=clerk, purpose=PURPOSE)


def test_the_export_lists_accounts_with_their_units_and_the_commands_run(admin: User, tmp_path: Path) -> None:
    source = tmp_path / "staff.csv"
    source.write_text(good_file(admin), encoding="utf-8")
    call_command("import_staff", str(source), "--operator", "tadmin", "--dry-run")
    assert not User.objects.filter(username="bclerk1").exists()
    call_command("import_staff", str(source), "--operator", "tadmin")
    assert User.objects.filter(username__in=["bclerk1", "bclerk2"]).count() == 2
    with pytest.raises(CommandError, match="2行目 職員ID"):
        call_command("import_staff", str(source), "--operator", "tadmin")
    target = tmp_path / "out.csv"
    call_command("export_staff", "--operator", "tadmin", "--output", str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == HEADER.strip()
    assert f"B0001,窓口 花子,bclerk1,職員,,,SHIMIN1,{clock.today().isoformat()}" in lines
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_ACCOUNT_EXPORT, outcome="done").count() == 1

"""Bulk maintenance of rights by batch: grants from and to CSV (standard 10.3-e)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jumin.accounts import bulk_rights, clock, grants, units
from jumin.accounts.authorization import AccessRefused, has_permission
from jumin.accounts.models import GrantApplication, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import make_user

pytestmark = pytest.mark.django_db
PURPOSE = "権限管理"
HEADER = "職員番号,部署コード,事務,開始日,終了日,理由\n"


@pytest.fixture
def clerk() -> User:
    return make_user(staff_number="S900001")


def period() -> str:
    today = clock.today()
    return f"{today.isoformat()},{clock.fiscal_year_end(today).isoformat()}"


def good_file(head: User) -> str:
    units.register_unit(actor=head, code="SHIMIN1", name="市民課窓口係", purpose=PURPOSE)
    return f"{HEADER}S900001,,resident_counter,{period()},窓口配属\n,SHIMIN1,証明書交付事務,{period()},\n"


def test_a_dry_run_checks_every_row_and_writes_nothing(head: User, clerk: User) -> None:
    preview = bulk_rights.preview_grant_import(actor=head, text=good_file(head), purpose=PURPOSE)
    assert preview.ok
    assert [
        (r["staff_number"], r["unit_code"], r["duty"]) for r in (row.as_dict() for row in preview.rows)
    ] == [
        ("S900001", "", "住民記録窓口事務"),
        ("", "SHIMIN1", "証明書交付事務"),
    ]
    assert not GrantApplication.objects.filter(requested_by=head).exists()
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_RIGHTS_IMPORT)
    assert entry.outcome_reason == "dry_run rows=2 errors=0"


def test_the_import_creates_every_application_and_approval_makes_them_rights(
    head: User, it_head: User, clerk: User
) -> None:
    ids = bulk_rights.import_grants(actor=head, text=good_file(head), purpose=PURPOSE)
    assert len(ids) == 2
    assert not has_permission(clerk, Permission.RESIDENT_RECORD)  # C-12: nothing before the approval
    for application_id in ids:
        grants.decide_grant_application(
            actor=it_head, application_id=application_id, approve=True, purpose=PURPOSE
        )
    assert has_permission(clerk, Permission.RESIDENT_RECORD)
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_GRANT_APPLY, outcome_reason="bulk").count() == 2
    assert AuditEntry.objects.get(action=AuditAction.STAFF_RIGHTS_IMPORT).outcome_reason == "applications=2"


def test_one_wrong_row_refuses_the_whole_file_and_each_error_names_row_column_and_remedy(
    head: User, clerk: User
) -> None:
    retired = make_user(staff_number="S900002")
    retired.is_active = False
    retired.save()
    text = (
        good_file(head)
        + f"S900002,,resident_counter,{period()},\n"
        + f"S900001,SHIMIN1,resident_counter,{period()},\n"
        + "S900001,,no_such_duty,2026-04-01,2027-03-31,\n"
        + "S900001,,resident_counter,2026/04/01,2027-03-31,\n"
        + f",SHIMIN1,it_head,{period()},\n"
        + f"S900001,,resident_counter,{period()},重複\n"
    )
    with pytest.raises(bulk_rights.GrantImportRefused) as refused:
        bulk_rights.import_grants(actor=head, text=text, purpose=PURPOSE)
    found = [(e.row, e.field, e.code) for e in refused.value.errors]
    assert found == [
        (4, "職員番号", "bulk.no_account"),
        (5, "職員番号", "bulk.target"),
        (6, "事務", "bulk.duty"),
        (7, "開始日", "bulk.date"),
        (8, "事務", "bulk.unit_role"),
        (9, "事務", "bulk.duplicate"),
    ]
    assert all(e.reason and e.remedy for e in refused.value.errors)
    assert not any("S900002" in e.reason + e.remedy for e in refused.value.errors)
    assert not GrantApplication.objects.filter(requested_by=head).exists()
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_RIGHTS_IMPORT)
    assert (entry.outcome, entry.outcome_reason) == ("refused", "bulk_invalid")


def test_a_wrong_header_is_reported_on_row_one(head: User) -> None:
    preview = bulk_rights.preview_grant_import(actor=head, text="a,b\n1,2\n", purpose=PURPOSE)
    assert [(e.row, e.field) for e in preview.errors] == [(1, "見出し行")]


def test_only_grant_requesters_import(it_head: User) -> None:
    with pytest.raises(AccessRefused):
        bulk_rights.import_grants(actor=it_head, text=HEADER, purpose=PURPOSE)
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_RIGHTS_IMPORT)
    assert entry.outcome == "refused"


def test_the_export_is_in_the_import_format_and_audited(head: User, it_head: User, clerk: User) -> None:
    for application_id in bulk_rights.import_grants(actor=head, text=good_file(head), purpose=PURPOSE):
        grants.decide_grant_application(
            actor=it_head, application_id=application_id, approve=True, purpose=PURPOSE
        )
    text = bulk_rights.export_grants(actor=it_head, purpose=PURPOSE)
    lines = text.splitlines()
    assert lines[0] == HEADER.strip()
    assert f"S900001,,resident_counter,{period()}," in lines
    assert f",SHIMIN1,certificate,{period()}," in lines
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_RIGHTS_EXPORT, outcome="done").count() == 1
    with pytest.raises(AccessRefused):
        bulk_rights.export_grants(actor=clerk, purpose=PURPOSE)


def test_the_commands_check_import_and_export(head: User, it_head: User, clerk: User, tmp_path: Path) -> None:
    source = tmp_path / "grants.csv"
    source.write_text(good_file(head), encoding="utf-8")
    call_command("import_grants", str(source), "--operator", "head", "--dry-run")
    assert not GrantApplication.objects.filter(requested_by=head).exists()
    call_command("import_grants", str(source), "--operator", "head")
    assert GrantApplication.objects.filter(requested_by=head).count() == 2
    source.write_text(HEADER + f"S999999,,resident_counter,{period()},\n", encoding="utf-8")
    with pytest.raises(CommandError, match="2行目 職員番号"):
        call_command("import_grants", str(source), "--operator", "head")
    target = tmp_path / "out.csv"
    call_command("export_grants", "--operator", "ithead", "--output", str(target))
    assert target.read_text(encoding="utf-8").startswith(HEADER.strip())

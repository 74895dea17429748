"""The audit log's retention setting and report (standard 10.2-c; controls.md C-49, C-51, C-79).

The municipality sets the period (never below the 7-year floor); each change is an audit entry with
the old and new values; the report counts what lies past the period and deletes nothing, so the
chain still verifies.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit import reports, retention, services
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry, AuditRetentionSetting
from jumin.audit.selectors import verify_chain
from jumin.audit.services import record_event, record_results, write_checkpoint_now
from jumin.domain.errors import DomainError
from tests.helpers.accounts import StaffClient, grant_permissions, make_user
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def manager() -> User:
    user = make_user(username="it-head")
    grant_permissions(user, [Permission.AUDIT_RETENTION_MANAGE], duty="it_head")
    return user


def test_the_default_is_the_seven_year_floor() -> None:
    assert retention.retention_years() == 7


@pytest.mark.parametrize("years", [0, 6, 151])
def test_a_setting_outside_7_to_150_years_is_refused_and_nothing_changes(manager: User, years: int) -> None:
    with pytest.raises(DomainError) as refused:
        retention.set_retention(actor=manager, years=years)
    assert refused.value.field == "years"
    assert "7年以上" in refused.value.reason
    assert not AuditRetentionSetting.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.AUDIT_RETENTION_CHANGE).exists()
    assert retention.retention_years() == 7


def test_a_change_is_audited_with_the_old_and_new_values(manager: User) -> None:
    retention.set_retention(actor=manager, years=10, reason="文書管理規程の改正")
    retention.set_retention(actor=manager, years=12)
    assert retention.retention_years() == 12
    changes = list(AuditEntry.objects.filter(action=AuditAction.AUDIT_RETENTION_CHANGE).order_by("seq"))
    assert [entry.reason for entry in changes] == ["7年→10年：文書管理規程の改正", "10年→12年"]
    assert changes[1].before_digest == services.digest_of({"years": 10})
    assert changes[1].after_digest == services.digest_of({"years": 12})
    assert [setting.years for setting in retention.retention_history()] == [12, 10]


def test_a_change_without_the_permission_is_refused_and_audited() -> None:
    clerk = make_user()
    grant_permissions(clerk, [Permission.AUDIT_REVIEW], duty="audit_review")
    with pytest.raises(AccessRefused):
        retention.set_retention(actor=clerk, years=10)
    assert retention.retention_years() == 7
    refusal = AuditEntry.objects.get(action=AuditAction.AUDIT_RETENTION_CHANGE)
    assert refusal.outcome == "refused"


def _record_on(monkeypatch: pytest.MonkeyPatch, day: date, count: int) -> None:
    moment = datetime.combine(day, time(12), tzinfo=TOKYO)
    monkeypatch.setattr(services, "_now_us", lambda: reports.to_us(moment))
    for _ in range(count):
        record_results(None, "resident", ["1", "2"], "test", "kana_name")
    monkeypatch.undo()


def test_the_report_counts_entries_past_retention_and_deletes_nothing(
    monkeypatch: pytest.MonkeyPatch, manager: User
) -> None:
    _record_on(monkeypatch, date(2015, 3, 1), 3)
    signed = write_checkpoint_now()
    assert signed is not None
    _record_on(monkeypatch, date(2016, 3, 1), 2)
    _record_on(monkeypatch, date(2024, 3, 1), 4)
    total = AuditEntry.objects.count()

    report = retention.retention_report(today=date(2025, 6, 1))
    assert (report.years, report.cutoff) == (7, date(2018, 6, 1))
    assert report.entries_past == 5
    # An archive would stop at the last signed checkpoint, so a verifier could start from it.
    assert (report.archive_through_seq, report.archive_entries, report.archive_result_rows) == (
        signed.seq,
        3,
        6,
    )
    retention.set_retention(actor=manager, years=8)
    assert retention.retention_report(today=date(2025, 6, 1)).entries_past == 5
    assert retention.retention_report(today=date(2025, 6, 1)).cutoff == date(2017, 6, 1)
    assert AuditEntry.objects.count() == total + 1  # the change's own entry; nothing removed
    verdict = verify_chain()
    assert verdict.intact, verdict


def test_the_screen_sets_the_period_and_refuses_the_floor(make_staff: Callable[..., StaffClient]) -> None:
    client = make_staff([Permission.AUDIT_RETENTION_MANAGE])
    page = client.get(reverse("audit:retention"))
    assert page.status_code == 200
    assert "現在の保存期間：7年" in page.content.decode()
    refused = client.post(reverse("audit:retention"), {"years": "5"})
    assert refused.status_code == 400
    assert "下限" in refused.content.decode()
    changed = client.post(reverse("audit:retention"), {"years": "9", "reason": "規程改正"})
    assert changed.status_code == 302
    assert retention.retention_years() == 9
    api = client.put("/api/audit/retention", {"years": 6}, content_type="application/json")
    assert api.status_code == 400
    assert api.json()["field"] == "years"
    api = client.put("/api/audit/retention", {"years": 11}, content_type="application/json")
    assert api.status_code == 200, api.content
    assert (api.json()["years"], api.json()["entries_past"]) == (11, 0)


def test_the_retention_screen_needs_the_permission(make_staff: Callable[..., StaffClient]) -> None:
    assert_permission_triple(make_staff, "get", reverse("audit:retention"), Permission.AUDIT_RETENTION_MANAGE)
    record_event(actor=None, action=AuditAction.NODE_LINK_UP)
    assert_permission_triple(make_staff, "get", "/api/audit/retention", Permission.AUDIT_RETENTION_MANAGE)


def test_a_setting_is_never_rewritten_or_deleted(manager: User) -> None:
    retention.set_retention(actor=manager, years=10)
    setting = AuditRetentionSetting.objects.get()
    setting.years = 7
    with pytest.raises(ValueError, match="変更できません"):
        setting.save()
    with pytest.raises(ValueError, match="削除できません"):
        setting.delete()
    assert retention.retention_years() == 10


def test_the_database_refuses_to_rewrite_or_delete_a_setting_behind_the_model(manager: User) -> None:
    retention.set_retention(actor=manager, years=10)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRetentionSetting.objects.update(years=7)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRetentionSetting.objects.all().delete()
    assert list(AuditRetentionSetting.objects.values_list("years", flat=True)) == [10]


def test_the_command_prints_the_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from jumin.cli import _cmd_audit_retention

    _record_on(monkeypatch, date(2001, 3, 1), 2)
    assert _cmd_audit_retention(argparse.Namespace()) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("retention 7 years, cutoff ")
    assert "2 entries past (seq 1–2)" in printed
    assert AuditEntry.objects.count() == 2

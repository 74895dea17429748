"""Retention purge of the 広域交付 records a CS printed (controls.md §13, JUMIN_ISSUANCE_RETENTION_YEARS)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs.models import WideAreaIssuance, WideAreaRecordDeletionRefused
from jumin.jukinet.cs.wide_area_retention import purge_expired_wide_area_issuances
from tests.helpers.accounts import make_user

pytestmark = pytest.mark.django_db
TODAY = date(2031, 6, 1)


@pytest.fixture
def clerk(db: None) -> User:
    return make_user(username="widearea01")


def record(clerk: User, issued_on: date, code: str = "12345678901") -> int:
    row = WideAreaIssuance.objects.create(
        issued_at=timezone.make_aware(datetime.combine(issued_on, datetime.min.time())),
        issue_date=issued_on,
        registering_municipality="131016",
        resident_code=code,
        card_serial="A1B2C3D4E5F6",
        requester_relation="self",
        options={"whole_household": False},
        subject_count=1,
        copies=1,
        sheets=1,
        fee=300,
        copy_numbers=["R13-10-16-20260531-01-01-000001"],
        pdf_sha256="0" * 64,
        user=clerk,
        user_name="広域　一郎",
        operator_id="widearea01",
        terminal_id="T-01",
    )
    return row.pk


def test_records_past_the_period_go_and_the_rest_stay_refused(clerk: User) -> None:
    old = record(clerk, date(2026, 5, 31))
    kept = record(clerk, date(2026, 6, 1))
    assert purge_expired_wide_area_issuances(today=TODAY) == 1
    assert list(WideAreaIssuance.objects.values_list("pk", flat=True)) == [kept]
    assert old != kept
    entry = AuditEntry.objects.get(action="cs:wide_area:purge")
    assert (entry.result_count, entry.reason) == (1, "issued before 2026-06-01: 1 deleted")
    assert "12345678901" not in entry.reason
    assert purge_expired_wide_area_issuances(today=TODAY) == 0
    with pytest.raises(WideAreaRecordDeletionRefused):
        WideAreaIssuance.objects.all().delete()


def test_the_command_uses_the_municipal_setting_and_refuses_a_bad_one(clerk: User, settings: Any) -> None:
    record(clerk, timezone.localdate() - timedelta(days=800))
    out = StringIO()
    call_command("cs_purge_wide_area", stdout=out)  # the default five years: kept
    assert "0件" in out.getvalue()
    settings.JUMIN_ISSUANCE_RETENTION_YEARS = "zero"
    with pytest.raises(CommandError, match="1以上の整数"):
        call_command("cs_purge_wide_area")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("cs_purge_wide_area", "--date", "2031/06/01")
    settings.JUMIN_ISSUANCE_RETENTION_YEARS = 2
    call_command("cs_purge_wide_area", stdout=out)
    assert "1件" in out.getvalue()
    assert not WideAreaIssuance.objects.exists()

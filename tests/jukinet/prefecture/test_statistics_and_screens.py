"""Statistics of updates, the update monitor, the temporary-number screen and the 150-year purge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.common.keys import years_before
from jumin.jukinet.prefecture.models import (
    IdentityRecord,
    IdentityVersion,
    RefusedUpdate,
    TemporaryIndividualNumber,
)
from jumin.jukinet.prefecture.retention import purge_expired
from jumin.jukinet.prefecture.statistics import update_counts
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.prefecture.helpers import NAGASAKI, SASEBO, PrefectureNode, fuhyo, notice

pytestmark = pytest.mark.django_db


def test_counts_come_from_the_stored_rows_per_municipality_and_month(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    prefecture.send(SASEBO, {**first, "change_reason": "国内転入", "update_seq": 2})  # refused
    prefecture.send(NAGASAKI, notice(municipality_code=NAGASAKI.code))
    prefecture.send_fuhyo(SASEBO, fuhyo())
    today = timezone.localdate()

    counts = {(c.municipality_code, c.month, c.kind): c for c in update_counts(today.year)}

    sasebo = counts[(SASEBO.code, today.month, "identity")]
    assert (sasebo.received, sasebo.accepted, sasebo.refused) == (2, 1, 1)
    assert counts[(NAGASAKI.code, today.month, "identity")].accepted == 1
    assert counts[(SASEBO.code, today.month, "fuhyo")].accepted == 1
    assert update_counts(today.year - 1) == []


def test_the_statistics_screen_and_api_need_the_permission(
    prefecture: PrefectureNode, make_staff: Callable[..., Any]
) -> None:
    prefecture.send(SASEBO, notice())
    year = timezone.localdate().year
    assert_permission_triple(
        make_staff,
        "get",
        f"{reverse('jukinet_prefecture:statistics')}?year={year}",
        Permission.PREFECTURE_STATISTICS,
    )
    assert_permission_triple(
        make_staff, "get", f"/api/jukinet/prefecture/statistics?year={year}", Permission.PREFECTURE_STATISTICS
    )
    rows = (
        make_staff([Permission.PREFECTURE_STATISTICS])
        .get(f"/api/jukinet/prefecture/statistics?year={year}")
        .json()
    )
    assert rows[0]["accepted"] == 1


def test_the_monitor_shows_refusals_without_personal_data(
    prefecture: PrefectureNode, make_staff: Callable[..., Any]
) -> None:
    person = notice(name="監視　秘密")
    prefecture.send(SASEBO, person)
    prefecture.send(SASEBO, {**person, "change_reason": "国内転入", "update_seq": 2})

    client = make_staff([Permission.PREFECTURE_MONITOR])
    page = client.get(reverse("jukinet_prefecture:monitor")).content.decode()

    assert "jukinet.prefecture.already_resident" in page
    assert "現に住民である者" in page
    for secret in (person["name"], person["resident_code"], person["individual_number"]):
        assert secret not in page
    assert_permission_triple(
        make_staff, "get", reverse("jukinet_prefecture:monitor"), Permission.PREFECTURE_MONITOR
    )
    api = client.get("/api/jukinet/prefecture/monitor").json()
    assert api["refused"][0]["code"] == "jukinet.prefecture.already_resident"


def test_the_temporary_number_screen_fetches_and_deletes(
    prefecture: PrefectureNode, make_staff: Callable[..., Any]
) -> None:
    person = notice()
    prefecture.send(SASEBO, person)
    prefecture.send(SASEBO, {**person, "change_reason": "国外転出", "removed": True, "update_seq": 2})
    prefecture.send_fuhyo(SASEBO, fuhyo(resident_code=person["resident_code"]))
    client = make_staff([Permission.PREFECTURE_FUHYO_NUMBER])
    url = reverse("jukinet_prefecture:fuhyo_numbers")

    client.post(url, {"resident_code": person["resident_code"], "purpose": "番号法事務"})  # not a duty
    assert not TemporaryIndividualNumber.objects.exists()
    client.post(url, {"resident_code": person["resident_code"], "purpose": "prefecture_fuhyo_number"})
    held = TemporaryIndividualNumber.objects.get()
    assert held.purpose == "prefecture_fuhyo_number"
    page = client.get(url).content.decode()
    assert person["individual_number"] not in page
    assert '<option value="prefecture_fuhyo_number" selected>' in page
    client.post(reverse("jukinet_prefecture:confirm_delivery"), {"temporary_id": str(held.pk)})

    assert not TemporaryIndividualNumber.objects.exists()
    assert_permission_triple(make_staff, "get", url, Permission.PREFECTURE_FUHYO_NUMBER)


def test_the_purge_removes_only_rows_past_150_years(prefecture: PrefectureNode) -> None:
    old_person, kept_person = notice(), notice()
    for person in (old_person, kept_person):
        prefecture.send(SASEBO, person)
        prefecture.send(
            SASEBO, {**person, "change_reason": "転居", "address": "長崎県佐世保市新町1", "update_seq": 2}
        )
    prefecture.send(
        SASEBO,
        {
            **old_person,
            "change_reason": "死亡",
            "removed": True,
            "update_seq": 3,
            "address": "長崎県佐世保市新町1",
        },
    )
    now = timezone.now()
    long_ago = now.replace(year=now.year - 150) - timedelta(days=1)
    almost = now.replace(year=now.year - 150) + timedelta(days=1)
    IdentityRecord.objects.filter(resident_code=old_person["resident_code"]).update(removed_at=long_ago)
    IdentityVersion.objects.filter(
        resident_code=kept_person["resident_code"], superseded_at__isnull=False
    ).update(superseded_at=long_ago)
    prefecture.send(
        SASEBO, {**kept_person, "change_reason": "転居", "address": "長崎県佐世保市三町", "update_seq": 3}
    )
    IdentityVersion.objects.filter(resident_code=kept_person["resident_code"], update_seq=2).update(
        superseded_at=almost
    )

    result = purge_expired()

    assert not IdentityRecord.objects.filter(resident_code=old_person["resident_code"]).exists()
    assert list(
        IdentityVersion.objects.filter(resident_code=kept_person["resident_code"])
        .order_by("update_seq")
        .values_list("update_seq", flat=True)
    ) == [2, 3]
    assert (result.identity_records, result.identity_versions) == (1, 4)
    assert AuditEntry.objects.filter(action="prefecture:identity:purge").exists()
    assert RefusedUpdate.objects.count() == 0


def test_the_purge_command_runs_both_purges(prefecture: PrefectureNode) -> None:
    call_command("prefecture_purge")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"prefecture:identity:purge", "prefecture:fuhyo:purge", "prefecture:fuhyo_number:purge"} <= actions


def test_the_monitor_partial_refreshes_without_the_page_frame(
    prefecture: PrefectureNode, make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.PREFECTURE_MONITOR])
    partial = client.get(reverse("jukinet_prefecture:monitor"), HTTP_HX_REQUEST="true").content.decode()
    assert "拒否した更新" in partial
    assert "<h1>" not in partial


def test_150_years_before_a_leap_day_is_the_28th() -> None:
    assert years_before(datetime(2024, 2, 29, 12, 0), 150) == datetime(1874, 2, 28, 12, 0)
    assert years_before(datetime(2026, 11, 22), 150) == datetime(1876, 11, 22)

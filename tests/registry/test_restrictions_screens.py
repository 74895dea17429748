"""抑止 and 支援措置 through the API and the clerk screens: the permission triples and the banner."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel, check_restrictions
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import (
    SupportApplication,
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    create_support_measure,
    set_suppression,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

JSON = "application/json"


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "officer",
        Permission.SUPPRESSION_MANAGE,
        Permission.SUPPORT_MEASURE_MANAGE,
        Permission.SUPPORT_MEASURE_VIEW,
        Permission.RESIDENT_VIEW,
    )


def new_suppression(
    actor: User, atena: str, process: RestrictedProcess = RestrictedProcess.CERTIFICATE
) -> int:
    return set_suppression(
        actor=actor,
        purpose=PURPOSE,
        request=SuppressionRequest(
            scope=SuppressionScope.PERSON,
            target_number=atena,
            process=process,
            level=RestrictionLevel.ERROR,
            start_date=clock.today(),
            reason=SuppressionReason.EDIT_LOCK,
        ),
    )


def new_measure(actor: User, atena: str, **extra: Any) -> int:
    values: dict[str, Any] = {
        "applicant": atena,
        "covered_services": ["copies"],
        "received_on": clock.today(),
        "period_start": clock.today(),
        "perpetrator": "合成加害者データ",
    }
    values.update(extra)
    return create_support_measure(actor=actor, purpose=PURPOSE, application=SupportApplication(**values))


def body(**values: Any) -> str:
    return json.dumps({"purpose": PURPOSE, **values})


def test_api_set_suppression_permission_triple(make_staff: Any, family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/restrictions/suppressions",
        Permission.SUPPRESSION_MANAGE,
        data=body(
            scope="person",
            target_number=family.atena_numbers[0],
            process="certificate",
            level="error",
            start_date=clock.today().isoformat(),
            reason="other",
            reason_text="調査中",
        ),
        content_type=JSON,
    )


def test_api_lift_permission_triple(make_staff: Any, family: DraftRecorded, officer: User) -> None:
    def url() -> str:
        suppression_id = new_suppression(officer, family.atena_numbers[0])
        return f"/api/registry/restrictions/suppressions/{suppression_id}/lift"

    assert_permission_triple(
        make_staff,
        "post",
        url,
        Permission.SUPPRESSION_MANAGE,
        data=body(reason="誤設定"),
        content_type=JSON,
    )


def test_api_release_permission_triple(make_staff: Any, family: DraftRecorded, officer: User) -> None:
    new_suppression(officer, family.atena_numbers[0])
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/restrictions/releases",
        Permission.SUPPRESSION_RELEASE,
        data=body(
            atena_number=family.atena_numbers[0],
            process="certificate",
            target="suppression",
            reason="審査済み",
        ),
        content_type=JSON,
    )


def test_api_support_measure_create_and_detail_permission_triples(
    make_staff: Any, family: DraftRecorded, officer: User
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/restrictions/support-measures",
        Permission.SUPPORT_MEASURE_MANAGE,
        data=body(
            applicant=family.atena_numbers[1],
            co_applicants=[family.atena_numbers[2]],
            covered_services=["inspection", "copies"],
            received_on=clock.today().isoformat(),
            period_start=clock.today().isoformat(),
            perpetrator="合成加害者データ",
        ),
        content_type=JSON,
    )
    measure_id = new_measure(officer, family.atena_numbers[1])
    assert_permission_triple(
        make_staff,
        "post",
        f"/api/registry/restrictions/support-measures/{measure_id}/detail",
        Permission.SUPPORT_MEASURE_VIEW,
        data=body(),
        content_type=JSON,
    )


def test_managing_does_not_imply_viewing_details(
    make_staff: Any, family: DraftRecorded, officer: User
) -> None:
    measure_id = new_measure(officer, family.atena_numbers[1])
    manager = make_staff(permissions=[Permission.SUPPORT_MEASURE_MANAGE])
    response = manager.post(
        f"/api/registry/restrictions/support-measures/{measure_id}/detail", data=body(), content_type=JSON
    )
    assert response.status_code == 403
    assert "合成加害者データ" not in response.content.decode()
    viewer = make_staff(permissions=[Permission.SUPPORT_MEASURE_VIEW])
    detail = viewer.post(
        f"/api/registry/restrictions/support-measures/{measure_id}/detail", data=body(), content_type=JSON
    ).json()
    assert detail["perpetrator"] == "合成加害者データ"
    assert [p["atena_number"] for p in detail["people"]] == [family.atena_numbers[1]]


def test_api_period_lifecycle(make_staff: Any, family: DraftRecorded, officer: User) -> None:
    measure_id = new_measure(officer, family.atena_numbers[1], provisional=True, period_start=None)
    client = make_staff(permissions=[Permission.SUPPORT_MEASURE_MANAGE])
    base = f"/api/registry/restrictions/support-measures/{measure_id}"
    started = client.post(f"{base}/start", data=body(start="2025-04-01"), content_type=JSON)
    assert started.json() == {"start": "2025-04-01", "end": "2026-03-31"}
    edited = client.post(f"{base}/end-date", data=body(end="2025-12-31"), content_type=JSON)
    assert edited.json() == {"start": "2025-04-01", "end": "2025-12-31"}
    ended = client.post(f"{base}/end", data=body(reason="request"), content_type=JSON)
    assert ended.json() == {"done": True}
    again = client.post(f"{base}/end", data=body(reason="request"), content_type=JSON)
    assert again.status_code == 400
    assert again.json()["code"] == "registry.no_such_support_measure"


def test_api_lookup_is_refused_by_an_inquiry_suppression(
    make_staff: Any, family: DraftRecorded, officer: User
) -> None:
    new_suppression(officer, family.atena_numbers[0], RestrictedProcess.INQUIRY)
    client = make_staff(permissions=[Permission.RESIDENT_VIEW])
    response = client.post(
        "/api/registry/residents/lookup", data=body(atena_number=family.atena_numbers[0]), content_type=JSON
    )
    assert response.status_code == 400
    assert response.json()["code"] == "registry.restricted"


def test_person_screen_shows_banner_and_pop_up_for_a_support_target(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    wife = family.atena_numbers[1]
    new_measure(officer, wife)
    page = logged_in(clerk).post(reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": wife})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="support-banner"' in html
    assert '<dialog id="support-popup"' in html
    assert "autofocus" in html
    # The perpetrator never appears outside the detail screen.
    assert "合成加害者データ" not in html
    other = logged_in(clerk).post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": family.atena_numbers[0]}
    )
    assert 'id="support-banner"' not in other.content.decode()


def test_restriction_screen_lists_suppressions_and_hides_measures_without_view_permission(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    wife = family.atena_numbers[1]
    new_suppression(officer, wife)
    measure_id = new_measure(officer, wife)
    page = logged_in(clerk).post(reverse("registry:restrictions"), {"purpose": PURPOSE, "atena_number": wife})
    html = page.content.decode()
    assert "証明書発行" in html
    assert "排他" in html
    assert reverse("registry:support_detail", args=[measure_id]) not in html
    assert "支援措置の対象です" in html
    assert AuditEntry.objects.filter(action="resident:restriction:view", outcome="done").count() == 1
    full = logged_in(officer).post(
        reverse("registry:restrictions"), {"purpose": PURPOSE, "atena_number": wife}
    )
    assert reverse("registry:support_detail", args=[measure_id]) in full.content.decode()


def test_screen_set_suppression_permission_triple(make_staff: Any, family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:suppression_set"),
        Permission.SUPPRESSION_MANAGE,
        data={
            "purpose": PURPOSE,
            "scope": "household",
            "target_number": family.household_number,
            "process": "change_entry",
            "level": "alert",
            "start_date": clock.today().isoformat(),
            "reason": "other",
            "reason_text": "調査中",
        },
    )


def test_screen_support_detail_and_end(family: DraftRecorded, officer: User) -> None:
    measure_id = new_measure(officer, family.atena_numbers[1])
    client = logged_in(officer)
    url = reverse("registry:support_detail", args=[measure_id])
    shown = client.post(url, {"purpose": PURPOSE, "show": "1"}).content.decode()
    assert "合成加害者データ" in shown
    missing = client.post(url, {"purpose": PURPOSE, "do_end": "1"}).content.decode()
    assert "終了理由が選択されていません" in missing
    ended = client.post(url, {"purpose": PURPOSE, "do_end": "1", "end_reason": "decision"}).content.decode()
    assert "支援措置を終了しました" in ended


@pytest.mark.parametrize(
    "name",
    [
        "registry:restrictions",
        "registry:suppression_set",
        "registry:restriction_release",
        "registry:support_new",
    ],
)
def test_each_screen_opens_with_its_form(officer: User, name: str) -> None:
    page = logged_in(officer).get(reverse(name))
    assert page.status_code == 200
    assert 'name="purpose"' in page.content.decode()


def test_screen_support_new_records_a_provisional_measure(family: DraftRecorded, officer: User) -> None:
    page = logged_in(officer).post(
        reverse("registry:support_new"),
        {
            "purpose": PURPOSE,
            "applicant": family.atena_numbers[1],
            "co_applicants": family.atena_numbers[2],
            "covered_services": ["inspection", "copies"],
            "received_on": clock.today().isoformat(),
            "provisional": "on",
        },
    )
    assert "を登録しました" in page.content.decode()
    check = check_restrictions([family.atena_numbers[2]], process=RestrictedProcess.CERTIFICATE)
    assert [f.source for f in check.findings] == ["provisional_support_measure"]

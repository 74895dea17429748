"""抑止対象者一覧 (standard 9.2-a): who a 抑止 holds today; screen, API, permission and audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.registry.models_restrictions import SuppressionReason
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.selectors_suppressed import suppressed_persons
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import SuppressionScope, lift_suppression
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_move_out import family
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["family", "officer"]  # fixtures, imported for use here

API = "/api/registry/restrictions/suppressed-persons"


def listed(actor: User, process: str = "") -> list[tuple[str, str, str, int]]:
    result = suppressed_persons(actor=actor, purpose=PURPOSE, process=process)
    return [(r.atena_number, r.scope, r.process, r.suppression_id) for r in result.rows]


def test_person_and_household_suppressions_list_each_person_held_once_per_suppression(
    family: DraftRecorded, officer: User
) -> None:
    head, wife, child = family.atena_numbers
    on_head = suppress(officer, head)
    household = current(head).household.number
    on_household = suppress(
        officer,
        household,
        scope=SuppressionScope.HOUSEHOLD,
        process=RestrictedProcess.CHANGE_ENTRY,
        level=RestrictionLevel.ALERT,
        end_date=clock.today() + timedelta(days=30),
    )
    result = suppressed_persons(actor=officer, purpose=PURPOSE)
    expected = sorted(
        [
            (head, "個人", "証明書発行", on_head),
            (head, "世帯", "異動入力", on_household),
            (wife, "世帯", "異動入力", on_household),
            (child, "世帯", "異動入力", on_household),
        ],
        key=lambda row: (row[0], row[3]),  # by 宛名番号, then 抑止
    )
    assert [(r.atena_number, r.scope, r.process, r.suppression_id) for r in result.rows] == expected
    assert result.person_count == 3
    first = result.rows[0]
    assert (first.name, first.household_number, first.level, first.reason) == (
        "青木 太郎",
        household,
        "エラー",
        "その他",
    )
    assert "調査中" not in repr(result)  # the free-text reason stays on the person's screen
    entry = AuditEntry.objects.get(action="resident:suppression:list")
    assert entry.result_count == 3
    assert sorted(
        AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)
    ) == sorted([head, wife, child])
    assert listed(officer, process="certificate") == [(head, "個人", "証明書発行", on_head)]


def test_lifted_and_not_yet_started_suppressions_are_not_listed(family: DraftRecorded, officer: User) -> None:
    head, wife, _child = family.atena_numbers
    lifted = suppress(officer, head)
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=lifted, reason="調査終了")
    suppress(officer, wife, start_date=clock.today() + timedelta(days=1))
    assert listed(officer) == []


def test_support_measure_suppressions_are_counted_not_shown_without_the_view_permission(
    family: DraftRecorded, officer: User, make_clerk: Callable[..., User]
) -> None:
    head, wife, _child = family.atena_numbers
    suppress(officer, wife, reason=SuppressionReason.SUPPORT_MEASURE)
    plain = suppress(officer, head)
    manager = make_clerk("manager", Permission.SUPPRESSION_MANAGE)
    result = suppressed_persons(actor=manager, purpose=PURPOSE)
    assert [r.suppression_id for r in result.rows] == [plain]
    assert result.support_rows_hidden == 1
    assert wife not in AuditEntry.objects.filter(action="resident:suppression:list").get().reason
    seen = suppressed_persons(actor=officer, purpose=PURPOSE)
    assert {r.atena_number for r in seen.rows} == {head, wife}
    assert seen.support_rows_hidden == 0


def test_the_list_needs_the_manage_permission_and_a_known_process(
    family: DraftRecorded, officer: User, make_clerk: Callable[..., User]
) -> None:
    with pytest.raises(AccessRefused):
        suppressed_persons(actor=make_clerk("viewer", Permission.RESIDENT_VIEW), purpose=PURPOSE)
    assert AuditEntry.objects.get(action="resident:suppression:list").outcome == "refused"
    with pytest.raises(DomainError) as error:
        suppressed_persons(actor=officer, purpose=PURPOSE, process="everything")
    assert error.value.field == "process"


def test_screen_and_api(family: DraftRecorded, officer: User, make_staff: Callable[..., object]) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head)
    screen = reverse("registry:restriction_suppressed")
    assert_permission_triple(
        make_staff, "post", screen, Permission.SUPPRESSION_MANAGE, data={"purpose": PURPOSE}
    )
    html = logged_in(officer).post(screen, {"purpose": PURPOSE, "process": "certificate"}).content.decode()
    assert head in html
    assert "青木 太郎" in html
    assert "1人（1件）" in html
    api = logged_in(officer).post(
        API, data=json.dumps({"purpose": PURPOSE, "process": "inquiry"}), content_type="application/json"
    )
    assert api.status_code == 200
    assert api.json()["rows"] == []
    refused = logged_in(officer).post(
        API, data=json.dumps({"purpose": PURPOSE, "process": "all"}), content_type="application/json"
    )
    assert refused.status_code == 422

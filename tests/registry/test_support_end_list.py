"""期間終了予定一覧 (standard 3.4-c, 3.4-d): the measures in force whose period ends in the window."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.periods import extension_window_opens, last_end_with_open_window
from jumin.registry.selectors_support_end import measures_ending
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import (
    SupportApplication,
    SupportEndReason,
    create_support_measure,
    end_support,
    extend_support,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk("officer", Permission.SUPPORT_MEASURE_MANAGE)


def measure(officer: User, applicant: str, end: date | None) -> int:
    """A measure for ``applicant`` ending on ``end``; None records a 仮支援措置."""
    return create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=applicant,
            covered_services=["copies"],
            received_on=clock.today(),
            provisional=end is None,
            period_start=end - timedelta(days=300) if end else None,
            period_end=end,
            perpetrator="合成加害者データ",
        ),
    )


def test_the_default_list_holds_exactly_the_measures_ending_within_the_open_extension_window(
    family: DraftRecorded, officer: User
) -> None:
    head, wife, child = family.atena_numbers[:3]
    today = clock.today()
    soon = today + timedelta(days=10)
    due = measure(officer, wife, soon)
    last_day = measure(officer, child, last_end_with_open_window(today))
    extended = measure(officer, head, soon)
    extend_support(actor=officer, purpose=PURPOSE, measure_id=extended)
    ended = measure(officer, head, soon)
    end_support(actor=officer, purpose=PURPOSE, measure_id=ended, reason=SupportEndReason.DECISION)
    later = measure(officer, wife, last_end_with_open_window(today) + timedelta(days=1))
    measure(officer, child, today - timedelta(days=1))  # ran out, not ended: an alert, not a notice
    measure(officer, head, None)  # 仮支援措置: no period to end

    listed = measures_ending(actor=officer, purpose=PURPOSE)

    assert (listed.window_start, listed.window_end) == (today, last_end_with_open_window(today))
    assert [row.measure_id for row in listed.rows] == [due, last_day]
    first = listed.rows[0]
    assert (first.applicant_atena_number, first.applicant_name) == (wife, "青木 花子")
    assert (first.period_end, first.extension_opens) == (soon, extension_window_opens(soon))
    assert first.covered_services == ("住民票の写し等の交付",)
    assert "合成加害者データ" not in repr(listed)
    wider = measures_ending(actor=officer, purpose=PURPOSE, window_end=today + timedelta(days=400))
    assert [row.measure_id for row in wider.rows] == [due, last_day, later, extended]
    audit = AuditEntry.objects.filter(action="resident:support_measure_ending:list").order_by("seq")
    assert [(e.outcome, e.result_count, e.support_measure) for e in audit] == [
        ("done", 2, True),
        ("done", 4, True),
    ]


def test_the_list_needs_the_support_management_permission(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW, Permission.SUPPORT_MEASURE_VIEW)
    with pytest.raises(AccessRefused):
        measures_ending(actor=viewer, purpose=PURPOSE)
    refused = AuditEntry.objects.get(action="resident:support_measure_ending:list")
    assert (refused.outcome, refused.outcome_reason) == ("refused", "permission_missing")


def test_a_reversed_window_is_refused(officer: User) -> None:
    today = clock.today()
    with pytest.raises(DomainError) as error:
        measures_ending(
            actor=officer, purpose=PURPOSE, window_start=today, window_end=today - timedelta(days=1)
        )
    assert (error.value.field, error.value.code) == ("window_end", "registry.support_window_reversed")
    assert not AuditEntry.objects.filter(
        action="resident:support_measure_ending:list", outcome="done"
    ).exists()


def test_the_screen_and_the_api_permission_triples(
    family: DraftRecorded, officer: User, make_staff: Callable[..., Any]
) -> None:
    measure(officer, family.atena_numbers[1], clock.today() + timedelta(days=10))
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:support_ending"),
        Permission.SUPPORT_MEASURE_MANAGE,
        data={"purpose": PURPOSE},
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/restrictions/support-measures/ending",
        Permission.SUPPORT_MEASURE_MANAGE,
        data=json.dumps({"purpose": PURPOSE}),
        content_type="application/json",
        success_status=(200,),
    )


def test_the_screen_lists_each_measure_with_a_print_button_and_no_perpetrator(
    family: DraftRecorded, officer: User
) -> None:
    due = measure(officer, family.atena_numbers[1], clock.today() + timedelta(days=10))
    page = logged_in(officer).post(reverse("registry:support_ending"), data={"purpose": PURPOSE})
    html = page.content.decode()
    assert page.status_code == 200
    assert "青木 花子" in html
    assert f'name="measure_id" value="{due}"' in html
    assert 'name="notice" value="support_end"' in html
    assert reverse("certificates:registry_notice") in html
    assert "合成加害者データ" not in html
    api = logged_in(officer).post(
        "/api/registry/restrictions/support-measures/ending",
        data=json.dumps({"purpose": PURPOSE, "window_end": (clock.today() + timedelta(days=5)).isoformat()}),
        content_type="application/json",
    )
    assert api.json()["rows"] == []

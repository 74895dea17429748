"""A support target's 転出 makes the measure a 仮支援措置 as 転出元 (standard 3.4-h, 3.4-g, 3.4-f)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry.models import SupportMeasure, SupportRoleSwitch
from jumin.registry.restrictions import RestrictedProcess, check_restrictions
from jumin.registry.selectors_restrictions import notices_for, person_notices, support_measure_detail
from jumin.registry.selectors_support_end import measures_ending
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import (
    SupportApplication,
    SupportEndReason,
    create_support_measure,
    end_support,
    extend_support,
)
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.registry.conftest import PURPOSE, logged_in

pytestmark = pytest.mark.django_db

SWITCH = "resident:support_measure:role_switch"
CERT = RestrictedProcess.CERTIFICATE


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "officer",
        Permission.SUPPORT_MEASURE_MANAGE,
        Permission.SUPPORT_MEASURE_VIEW,
        Permission.RESIDENT_VIEW,
    )


def open_measure(officer: User, applicant: str, *co_applicants: str) -> int:
    """A 支援措置 in force, with a running period from today."""
    return create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=SupportApplication(
            applicant=applicant,
            co_applicants=co_applicants,
            covered_services=["inspection", "copies"],
            received_on=clock.today(),
            period_start=clock.today(),
        ),
    )


def move_out(clerk: User, numbers: list[str], planned: date | None = None) -> DraftRecorded:
    return record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=numbers,
            planned_date=planned or clock.today(),
            destination="福岡県福岡市",
            notification_date=clock.today(),
        ),
    )


def switches(measure_id: int) -> list[tuple[str, str]]:
    rows = SupportRoleSwitch.objects.filter(measure_id=measure_id).order_by("pk")
    return list(rows.values_list("role", "reason"))


def audited(measure_id: int) -> list[str]:
    entries = AuditEntry.objects.filter(action=SWITCH, subject_id=str(measure_id)).order_by("seq")
    return [entry.reason for entry in entries]


def test_the_committed_move_out_of_every_target_makes_the_measure_provisional_as_former_municipality(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    reviewer: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, child = family.atena_numbers
    measure_id = open_measure(officer, wife, child)
    draft = move_out(clerk, [wife, child])
    assert switches(measure_id) == []  # a draft (仮登録) switches nothing
    assert check_restrictions([wife], process=CERT).findings[0].source == "support_measure"
    commit(draft)
    assert switches(measure_id) == [("former", "転出による自動切替")]
    row = SupportRoleSwitch.objects.get(measure_id=measure_id)
    assert (row.change_id, row.recorded_by) == (draft.change_id, reviewer)
    assert audited(measure_id) == [f"former: 転出による自動切替 (change={draft.change_id})"]
    assert AuditEntry.objects.get(action=SWITCH).support_measure
    # The 除票 are still blocked, now as a 仮支援措置 (3.4-g).
    check = check_restrictions([wife, child], process=CERT)
    assert check.blocked
    assert {(f.atena_number, f.source) for f in check.findings} == {
        (wife, "provisional_support_measure"),
        (child, "provisional_support_measure"),
    }
    notices = person_notices(wife)
    assert (notices.support_measure, notices.provisional, notices.former_municipality) == (True, True, True)
    assert notices.alerts == ()  # no period runs as 転出元
    detail = support_measure_detail(actor=officer, purpose=PURPOSE, measure_id=measure_id)
    assert (detail.status_label, detail.municipality_role, detail.provisional) == (
        "仮支援措置（転出元）",
        "転出元",
        True,
    )
    assert [(s.role_label, s.reason) for s in detail.role_switches] == [("転出元", "転出による自動切替")]
    assert len(detail.periods) == 1  # the period stays as history


def test_a_target_staying_keeps_the_measure_at_the_current_municipality_until_the_last_one_leaves(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, child = family.atena_numbers
    measure_id = open_measure(officer, wife, child)
    commit(move_out(clerk, [wife]))
    assert switches(measure_id) == []
    assert audited(measure_id) == []
    commit(move_out(clerk, [child]))
    assert switches(measure_id) == [("former", "転出による自動切替")]


def test_a_planned_move_out_switches_once_on_commit(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    commit(move_out(clerk, [wife], planned=clock.today() + timedelta(days=10)))
    assert switches(measure_id) == [("former", "転出による自動切替")]
    assert check_restrictions([wife], process=CERT).findings[0].source == "provisional_support_measure"


def test_a_non_targets_move_out_changes_no_measure(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    commit(move_out(clerk, [head]))
    assert not SupportRoleSwitch.objects.exists()
    assert not AuditEntry.objects.filter(action=SWITCH).exists()
    assert check_restrictions([wife], process=CERT).findings[0].source == "support_measure"
    assert not person_notices(wife).former_municipality
    detail = support_measure_detail(actor=officer, purpose=PURPOSE, measure_id=measure_id)
    assert (detail.status_label, detail.municipality_role) == ("支援中", "住所地")


def test_cancelling_the_move_out_appends_the_restore_and_the_period_runs_again(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    moved = commit(move_out(clerk, [wife]))
    cancelling = record_cancellation(
        actor=clerk,
        purpose=PURPOSE,
        cancellation=Cancellation(change_id=moved.change_id, reason="届出人の錯誤"),
    )
    assert len(switches(measure_id)) == 1  # the cancellation's draft restores nothing yet
    commit(cancelling)
    assert switches(measure_id) == [("former", "転出による自動切替"), ("current", "異動の取消しによる復元")]
    assert audited(measure_id)[-1] == f"current: 異動の取消しによる復元 (change={cancelling.change_id})"
    assert check_restrictions([wife], process=CERT).findings[0].source == "support_measure"
    assert not person_notices(wife).former_municipality
    extend_support(  # the period runs again: its extension is accepted in its window
        actor=officer,
        purpose=PURPOSE,
        measure_id=measure_id,
        processing_date=clock.today() + timedelta(days=340),
    )


def test_as_former_municipality_no_period_is_extended_and_staff_end_it_on_request(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    commit(move_out(clerk, [wife]))
    with pytest.raises(DomainError) as caught:
        extend_support(
            actor=officer,
            purpose=PURPOSE,
            measure_id=measure_id,
            processing_date=clock.today() + timedelta(days=340),
        )
    assert caught.value.code == "registry.support_measure_former_municipality"
    ending = measures_ending(
        actor=officer,
        purpose=PURPOSE,
        window_start=clock.today(),
        window_end=clock.today() + timedelta(days=400),
    )
    assert ending.rows == ()  # no period-end notice for a 転出元 measure
    with pytest.raises(DomainError) as expiry:
        end_support(
            actor=officer,
            purpose=PURPOSE,
            measure_id=measure_id,
            reason=SupportEndReason.EXPIRY,
        )
    assert expiry.value.code == "registry.support_not_expired"
    end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.REQUEST)
    assert SupportMeasure.objects.get(pk=measure_id).ended_at is not None
    assert not check_restrictions([wife], process=CERT).blocked


def test_the_screens_show_the_former_municipality_role_its_history_and_the_banner(
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    commit(move_out(clerk, [wife]))
    client = logged_in(officer)
    detail = client.post(
        reverse("registry:support_detail", args=[measure_id]), {"purpose": PURPOSE, "show": "1"}
    )
    html = detail.content.decode()
    assert "<th>当市区町村の区分</th><td>転出元</td>" in html
    assert "区分の切替履歴" in html
    assert "転出による自動切替" in html
    listing = client.post(reverse("registry:restrictions"), {"purpose": PURPOSE, "atena_number": wife})
    assert "仮支援措置（転出元）" in listing.content.decode()
    banner = render_to_string("registry/restrictions/_support_notice.html", {"notices": notices_for([wife])})
    assert "仮支援措置（転出元）の対象者です。" in banner

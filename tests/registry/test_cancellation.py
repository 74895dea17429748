"""異動の取消し (standard 4.6.0.1-a…e, 4.6.1.1-a): compensating drafts, committed by another clerk."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus, Sex
from jumin.registry.models import Change, ChangeState, ResidentSnapshot
from jumin.registry.selectors_corrections import change_history
from jumin.registry.services import Address, DraftRecorded, commit_change, discard_change, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.birth import Birth, record_birth
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in, person
from tests.registry.test_move_in import ADDRESS, family_move_in

pytestmark = pytest.mark.django_db

NEW_ADDRESS = Address(address="長崎県佐世保市八幡町2番3号", katagaki="八幡荘 101号", postal_code="8570048")


def today() -> date:
    return timezone.localdate()


def raw_rows() -> list[tuple[Any, ...]]:
    """Every stored snapshot row exactly as the database holds it, in key order."""
    table = ResidentSnapshot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE history_no IS NOT NULL ORDER BY id")  # noqa: S608
        return [tuple(row) for row in cursor.fetchall()]


def cancel(clerk: User, change_id: int, **overrides: Any) -> DraftRecorded:
    values: dict[str, Any] = {"change_id": change_id, "reason": "届出人の錯誤"}
    values.update(overrides)
    return record_cancellation(actor=clerk, purpose=PURPOSE, cancellation=Cancellation(**values))


def move_within(clerk: User, movers: list[str], **overrides: Any) -> DraftRecorded:
    values: dict[str, Any] = {
        "movers": movers,
        "address": NEW_ADDRESS,
        "move_date": today() - timedelta(days=2),
        "notification_date": today(),
    }
    values.update(overrides)
    return record_move_within(actor=clerk, purpose=PURPOSE, move=MoveWithin(**values))


def test_4_6_0_1_c_cancelling_a_move_within_restores_the_address_and_overwrites_nothing(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    before = raw_rows()
    draft = cancel(clerk, moved.change_id)
    assert set(draft.atena_numbers) == set(family.atena_numbers)
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.cancels_id, change.notification_kind) == (
        ChangeReason.CANCELLATION_AMENDMENT,
        moved.change_id,
        "職権",
    )
    # A draft changes nothing anybody sees.
    assert current(family.atena_numbers[0]).address == NEW_ADDRESS.address
    commit(draft)
    for atena in family.atena_numbers:
        row = current(atena)
        assert (row.history_no, row.address, row.katagaki, row.change_id) == (
            3,
            ADDRESS.address,
            ADDRESS.katagaki,
            draft.change_id,
        )
        assert row.household.number == family.household_number
    # Nothing is overwritten: the earlier rows are byte for byte what they were; both changes stay.
    assert raw_rows()[: len(before)] == before
    assert Change.objects.get(pk=moved.change_id).state == ChangeState.COMMITTED


def test_4_6_0_1_e_history_shows_both_changes_and_a_second_cancellation_is_refused(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    head = family.atena_numbers[0]
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    cancelling = commit(cancel(clerk, moved.change_id))
    history = change_history(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert [(h.history_no, h.reason, h.cancels, h.cancelled_by) for h in history] == [
        (1, "国内転入", None, None),
        (2, "転居", None, cancelling.change_id),
        (3, "異動の取消し(修正)", moved.change_id, None),
    ]
    # The 転入 is offered again: the 転居 on it and its cancellation net out.
    assert [h.cancellable for h in history] == [True, False, False]
    with pytest.raises(DomainError) as twice:
        cancel(clerk, moved.change_id)
    assert twice.value.code == "registry.already_cancelled"
    with pytest.raises(DomainError) as of_cancel:
        cancel(clerk, cancelling.change_id)
    assert of_cancel.value.code == "registry.cancel_of_cancellation"


def test_4_6_0_1_d_cancelling_a_partial_move_for_one_mover_returns_them_to_the_former_household(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    head, wife, child = family.atena_numbers
    before = current(child)
    moved = commit(move_within(clerk, [wife, child], relationships={wife: "世帯主", child: "子"}))
    assert current(child).household.number != family.household_number
    commit(cancel(clerk, moved.change_id, atena_numbers=[child]))
    back = current(child)
    assert (back.household.number, back.relationship, back.member_order, back.address, back.is_head) == (
        family.household_number,
        before.relationship,
        before.member_order,
        ADDRESS.address,
        False,
    )
    # The wife's part of the move is not cancelled; she can still cancel it later.
    assert current(wife).address == NEW_ADDRESS.address
    commit(cancel(clerk, moved.change_id, atena_numbers=[wife]))
    assert current(wife).household.number == family.household_number
    assert current(head).history_no == 1


def test_4_6_0_1_c_cancelling_a_move_out_makes_the_person_current_again(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    before = current(child)
    moved_out = commit(
        record_move_out(
            actor=clerk,
            purpose=PURPOSE,
            move_out=MoveOut(
                atena_numbers=[child],
                planned_date=today(),
                destination="東京都千代田区",
                notification_date=today(),
            ),
        )
    )
    assert current(child).status == ResidentStatus.REMOVED
    draft = cancel(clerk, moved_out.change_id)
    assert Change.objects.get(pk=draft.change_id).reason == ChangeReason.CANCELLATION_ENTRY
    commit(draft)
    back = current(child)
    assert (back.status, back.removal_reason, back.removal_date, back.planned_destination) == (
        ResidentStatus.RESIDENT,
        "",
        None,
        "",
    )
    assert (back.household_id, back.member_order, back.juminhyo_code) == (
        before.household_id,
        before.member_order,
        before.juminhyo_code,
    )


def test_cancelling_a_death_of_the_head_after_a_head_change_is_refused_as_two_heads(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    head, wife, child = family.atena_numbers
    died = commit(
        record_death(
            actor=clerk,
            purpose=PURPOSE,
            death=Death(atena_number=head, death_date=today(), notification_date=today()),
        )
    )
    head_change = commit(
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=HouseholdChange(
                kind=HouseholdChangeKind.HEAD_CHANGE,
                household_number=family.household_number,
                change_date=today(),
                notification_date=today(),
                relationships={wife: "世帯主", child: "子"},
            ),
        )
    )
    with pytest.raises(DomainError) as raised:
        cancel(clerk, died.change_id)
    assert raised.value.code == "registry.cancel_head_conflict"
    # The remedy works: cancel the head change first, then the death.
    commit(cancel(clerk, head_change.change_id, acknowledged_alerts=["registry.head_change_request"]))
    commit(cancel(clerk, died.change_id))
    assert (current(head).status, current(head).is_head) == (ResidentStatus.RESIDENT, True)
    assert (current(wife).is_head, current(wife).relationship) == (False, "妻")


def test_cancelling_a_move_in_removes_the_persons_with_the_cancellation_as_reason(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    draft = commit(cancel(clerk, family.change_id))
    for atena in family.atena_numbers:
        row = current(atena)
        assert (row.status, row.removal_reason, row.removal_date, row.history_no) == (
            ResidentStatus.REMOVED,
            "異動の取消し(減)",
            today(),
            2,
        )
    assert Change.objects.get(pk=draft.change_id).reason == ChangeReason.CANCELLATION_REMOVAL


def test_an_alert_must_be_acknowledged_and_the_acknowledgment_is_audited(
    clerk: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    changes, entries = Change.objects.count(), AuditEntry.objects.count()
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        cancel(clerk, family.change_id, atena_numbers=[head])
    assert raised.value.code == "registry.alerts_not_acknowledged"
    assert [a.code for a in raised.value.alerts] == ["registry.head_change_request"]
    assert "registry.head_change_request" in raised.value.reason
    assert (Change.objects.count(), AuditEntry.objects.count()) == (changes, entries)
    draft = cancel(
        clerk, family.change_id, atena_numbers=[head], acknowledged_alerts=["registry.head_change_request"]
    )
    assert [a.code for a in draft.alerts] == ["registry.head_change_request"]
    entry = AuditEntry.objects.get(action="resident:cancellation:record")
    assert entry.subject_id == str(draft.change_id)
    assert "acknowledged=registry.head_change_request" in entry.reason
    assert f"cancels={family.change_id}" in entry.reason


def test_cancelling_a_birth_removes_the_child(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    born = commit(
        record_birth(
            actor=clerk,
            purpose=PURPOSE,
            birth=Birth(
                child=person(
                    "青木", "一郎", "アオキ", "イチロウ", relationship="子", born=today(), sex=Sex.MALE
                ),
                household_number=family.household_number,
                notification_date=today(),
            ),
        )
    )
    commit(cancel(clerk, born.change_id))
    assert current(born.atena_numbers[0]).status == ResidentStatus.REMOVED
    assert current(family.atena_numbers[0]).history_no == 1


def test_cancelling_a_merge_forms_the_former_household_again(
    clerk: User, code_pool: list[str], family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    other = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(members=[person("佐藤", "一郎", "サトウ", "イチロウ")]),
        )
    )
    merged = commit(
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=HouseholdChange(
                kind=HouseholdChangeKind.MERGE,
                household_number=other.household_number,
                target_household_number=family.household_number,
                change_date=today(),
                notification_date=today(),
                relationships={other.atena_numbers[0]: "同居人"},
            ),
        )
    )
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        cancel(clerk, merged.change_id)
    assert [a.code for a in raised.value.alerts] == ["registry.cancel_household_formed_again"]
    commit(cancel(clerk, merged.change_id, acknowledged_alerts=["registry.cancel_household_formed_again"]))
    back = current(other.atena_numbers[0])
    assert (back.household.number, back.is_head, back.relationship) == (
        other.household_number,
        True,
        "世帯主",
    )


def test_a_move_in_under_a_later_change_is_refused_naming_that_change(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    rows = raw_rows()
    with pytest.raises(DomainError) as raised:
        cancel(clerk, family.change_id)
    # The 転居 could not exist without the 転入: it is named as the one to cancel first.
    assert raised.value.code == "registry.cancel_later_change_depends"
    assert f"異動番号 {moved.change_id}「転居」" in raised.value.reason
    assert f"先に異動番号 {moved.change_id} の異動を取り消して" in raised.value.remedy
    assert raw_rows() == rows


def test_cancellation_on_application_carries_the_application_date(
    clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    draft = cancel(clerk, moved.change_id, on_application=True, application_date=today())
    change = Change.objects.get(pk=draft.change_id)
    assert (change.notification_kind, change.notification_date) == ("申出", today())


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"reason": " "}, "registry.reason_required"),
        ({"reason": "あ" * 201}, "registry.reason_too_long"),
        ({"on_application": True}, "registry.application_date_required"),
        ({"on_application": True, "application_date": date(2099, 1, 1)}, "registry.future_application_date"),
        ({"application_date": date(2026, 1, 1)}, "registry.application_date_without_application"),
        ({"change_id": 999999}, "registry.cancel_target_not_found"),
        ({"atena_numbers": ["000000000000"]}, "registry.not_a_mover_of_change"),
    ],
)
def test_bad_cancellation_input_is_refused_and_writes_nothing(
    clerk: User, family: DraftRecorded, overrides: dict[str, Any], code: str
) -> None:
    changes, entries = Change.objects.count(), AuditEntry.objects.count()
    values = {"change_id": family.change_id, **overrides}
    with pytest.raises(DomainError) as raised:
        cancel(clerk, **values)
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert (Change.objects.count(), AuditEntry.objects.count()) == (changes, entries)


def test_a_draft_cannot_be_cancelled_and_a_pending_cancellation_blocks_another(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    draft = move_within(clerk, list(family.atena_numbers))
    with pytest.raises(DomainError) as of_draft:
        cancel(clerk, draft.change_id)
    assert of_draft.value.code == "registry.cancel_target_not_found"
    with pytest.raises(DomainError) as drafted:  # its people are held back while it is open (4.0.8-a)
        cancel(clerk, family.change_id, atena_numbers=[family.atena_numbers[2]])
    assert drafted.value.code == "registry.resident_drafted"
    discard_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id, reason="入力誤り")
    cancel(clerk, family.change_id, atena_numbers=[family.atena_numbers[2]])
    with pytest.raises(DomainError) as pending:
        cancel(clerk, family.change_id, atena_numbers=[family.atena_numbers[2]])
    assert pending.value.code == "registry.cancellation_pending"


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    make_clerk: Callable[..., User], family: DraftRecorded
) -> None:
    changes = Change.objects.count()
    with pytest.raises(AccessRefused):
        cancel(make_clerk("nobody"), family.change_id)
    assert Change.objects.count() == changes
    assert AuditEntry.objects.get(action="resident:cancellation:record").outcome == "refused"


def test_the_maker_cannot_commit_their_own_cancellation(
    clerk: User, family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    draft = cancel(clerk, family.change_id, atena_numbers=[family.atena_numbers[2]])
    maker_with_commit = make_clerk("maker2", Permission.RESIDENT_RECORD, Permission.RESIDENT_COMMIT)
    other = cancel(maker_with_commit, family.change_id, atena_numbers=[family.atena_numbers[1]])
    with pytest.raises(AccessRefused):
        commit_change(actor=maker_with_commit, purpose=PURPOSE, change_id=other.change_id)
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT


def _api_body(change_id: int, **extra: Any) -> str:
    return json.dumps({"purpose": PURPOSE, "change_id": change_id, "reason": "届出人の錯誤", **extra})


def test_api_permission_triple(
    make_staff: Callable[..., object], clerk: User, family: DraftRecorded, commit: Callable[..., Any]
) -> None:
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/corrections/cancellation",
        Permission.RESIDENT_RECORD,
        data=_api_body(moved.change_id),
        content_type="application/json",
        success_status=(201,),
    )


def test_history_api_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/corrections/history",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": PURPOSE, "atena_number": family.atena_numbers[0]}),
        content_type="application/json",
    )


def test_api_returns_unacknowledged_alerts_as_400_then_the_draft(clerk: User, family: DraftRecorded) -> None:
    client = logged_in(clerk)
    url = "/api/registry/corrections/cancellation"
    body = _api_body(family.change_id, atena_numbers=[family.atena_numbers[0]])
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "registry.alerts_not_acknowledged"
    body = _api_body(
        family.change_id,
        atena_numbers=[family.atena_numbers[0]],
        acknowledged_alerts=["registry.head_change_request"],
    )
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["alerts"][0]["code"] == "registry.head_change_request"


def _form(change_id: int, **overrides: str) -> dict[str, str]:
    data = {
        "purpose": PURPOSE,
        "atena_number": "",
        "change_id": str(change_id),
        "movers": "",
        "reason": "届出人の錯誤",
        "application_date": "",
        "record": "1",
    }
    data.update(overrides)
    return data


def test_screen_permission_triple(
    make_staff: Callable[..., object], clerk: User, family: DraftRecorded, commit: Callable[..., Any]
) -> None:
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:cancellation"),
        Permission.RESIDENT_RECORD,
        data=_form(moved.change_id),
    )


def test_screen_shows_the_history_then_enters_the_cancellation(
    clerk: User, family: DraftRecorded, commit: Callable[..., Any]
) -> None:
    moved = commit(move_within(clerk, list(family.atena_numbers)))
    client = logged_in(clerk)
    page = client.get(reverse("registry:cancellation"))
    assert page.status_code == 200
    assert family.atena_numbers[0] not in reverse("registry:cancellation")
    shown = client.post(
        reverse("registry:cancellation"),
        {"purpose": PURPOSE, "atena_number": family.atena_numbers[0], "show": "1"},
    )
    text = shown.content.decode()
    assert shown.status_code == 200
    assert "転居" in text
    assert f'value="{moved.change_id}"' in text
    done = client.post(reverse("registry:cancellation"), _form(moved.change_id))
    assert done.status_code == 200
    assert "仮登録しました" in done.content.decode()
    again = client.post(reverse("registry:cancellation"), _form(moved.change_id))
    assert "確認待ち" in again.content.decode()


def test_screen_asks_to_acknowledge_an_alert(clerk: User, family: DraftRecorded) -> None:
    client = logged_in(clerk)
    first = client.post(
        reverse("registry:cancellation"), _form(family.change_id, movers=family.atena_numbers[0])
    )
    text = first.content.decode()
    assert 'name="acknowledged_alerts"' in text
    assert "registry.head_change_request" in text
    data = _form(family.change_id, movers=family.atena_numbers[0])
    data["acknowledged_alerts"] = "registry.head_change_request"
    second = client.post(reverse("registry:cancellation"), data)
    assert "仮登録しました" in second.content.decode()

"""Outbox of domain events (issue 4 item 10): written in the commit's transaction, identifiers only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry.models import RegistryEvent
from jumin.registry.models_review import LockRelease, ResidentLock
from jumin.registry.outbox import event_type_of
from jumin.registry.services import DraftRecorded, commit_change, discard_change
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.move_out import record_move_out
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE
from tests.registry.test_move_out import family, move_out, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here


def test_a_commit_writes_one_event_per_person_with_a_sequence_per_person(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    first = list(RegistryEvent.objects.order_by("pk"))
    assert [(e.atena_number, e.subject_seq, e.history_no, e.event_type) for e in first] == [
        (number, 1, 1, "resident.moved_in") for number in family.atena_numbers
    ]
    assert {e.change_id for e in first} == {family.change_id}
    child = family.atena_numbers[2]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    assert RegistryEvent.objects.count() == 3  # a draft is invisible to consumers
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    latest = RegistryEvent.objects.get(change_id=draft.change_id)
    assert (latest.atena_number, latest.subject_seq, latest.history_no) == (child, 2, 2)
    assert (latest.event_type, latest.change_reason) == ("resident.moved_out", ChangeReason.DOMESTIC_MOVE_OUT)
    assert latest.published_at is None


def test_no_event_for_a_discarded_or_refused_change(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    discarded = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    discard_change(actor=reviewer, purpose=PURPOSE, change_id=discarded.change_id, reason="入力誤り")
    stale = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    # Released as stale by a reviewer (locks.release_stale_lock): the next draft may be entered.
    ResidentLock.objects.update(released_at=timezone.now(), release=LockRelease.SUPERVISOR)
    died = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=child, death_date=today(), notification_date=today()),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=died.change_id)
    with pytest.raises(DomainError):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=stale.change_id)
    changes = set(RegistryEvent.objects.values_list("change_id", flat=True))
    assert changes == {family.change_id, died.change_id}


def test_events_hold_identifiers_only() -> None:
    fields = {f.name for f in RegistryEvent._meta.get_fields()}
    assert fields == {
        "id",
        "event_id",
        "event_type",
        "change_reason",
        "atena_number",
        "subject_seq",
        "change",
        "history_no",
        "created_at",
        "published_at",
        "restriction_kind",  # 抑止・支援措置 events: which restriction, never why (restriction_feed)
        "restriction_id",
    }


def test_every_change_reason_has_an_event_type_and_unknown_reasons_fall_back() -> None:
    types = {reason: event_type_of(reason) for reason in ChangeReason}
    assert all(t.startswith("resident.") for t in types.values())
    assert types[ChangeReason.BIRTH] != types[ChangeReason.DEATH]
    assert event_type_of("転出確定") == "resident.move_out_confirmed"
    assert event_type_of("未知の事由") == "resident.changed"


def test_the_staff_list_shows_events_and_needs_the_monitor_permission(
    family: DraftRecorded, make_staff: Callable[..., object]
) -> None:
    url = reverse("registry:review_events")
    assert_permission_triple(make_staff, "post", url, Permission.NETWORK_MONITOR, data={"purpose": PURPOSE})
    client = make_staff([Permission.NETWORK_MONITOR])
    page = client.post(url, {"purpose": PURPOSE}).content.decode()  # type: ignore[attr-defined]
    assert "resident.moved_in" in page
    assert family.atena_numbers[0] in page
    answer = client.post(  # type: ignore[attr-defined]
        "/api/registry/review/events",
        {"purpose": PURPOSE, "change_id": family.change_id},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert sorted(e["atena_number"] for e in answer.json()) == sorted(family.atena_numbers)

"""Delivery of the registry's outbox into the 宛名 system (standard 7.1.2.3-a, 3.2-a; docs/atena.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.atena import services
from jumin.atena.models import (
    AtenaHistory,
    AtenaPerson,
    IntegratedLink,
    IntegratedNumber,
    SyncIssue,
    SyncState,
)
from jumin.atena.numbering import SERIAL_LENGTH
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import atena_check_digit
from jumin.domain.resident import ResidentStatus
from jumin.registry import atena_source
from jumin.registry.models import RegistryEvent, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.services_restrictions import lift_suppression
from jumin.registry.workflows.move_out import record_move_out
from tests.registry.conftest import PURPOSE, family_move_in
from tests.registry.test_move_in_individual_number import NUMBERS, number_clerk
from tests.registry.test_move_out import move_out
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["number_clerk", "officer"]  # fixtures, imported for use here


@pytest.fixture
def family(
    number_clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> list[str]:
    """A committed household of three, each with a 個人番号: 世帯主, 妻, 子."""
    draft = record_move_in(
        actor=number_clerk, purpose=PURPOSE, move_in=family_move_in(individual_numbers=NUMBERS)
    )
    return list(commit(draft).atena_numbers)


def sync() -> int:
    return services.sync_until_caught_up()


def person(atena: str) -> AtenaPerson:
    return AtenaPerson.objects.select_related("integrated").get(atena_number=atena)


def test_committed_changes_are_applied_with_a_number_per_person_and_audited_as_the_systems_read(
    family: list[str],
) -> None:
    assert sync() == 3
    head = person(family[0])
    assert (head.items["surname"], head.items["given_name"], head.items["relationship"]) == (
        "青木",
        "太郎",
        "世帯主",
    )
    assert head.items["address"] == "長崎県佐世保市相生町1番1号"
    assert person(family[1]).items["head_name"] == "青木　太郎"
    numbers = [person(a).integrated.number for a in family]  # type: ignore[union-attr]
    assert len(set(numbers)) == 3
    for number in numbers:
        assert len(number) == SERIAL_LENGTH + 1
        assert atena_check_digit(number[:-1]) == number[-1]
    read = AuditEntry.objects.get(action="atena:registry:read")
    applied = AuditEntry.objects.get(action="atena:record:apply")
    assert read.actor_id is None
    assert applied.actor_id is None
    assert (read.result_count, applied.result_count, applied.purpose) == (3, 3, "atena_feed")


def test_the_individual_number_is_held_as_its_blind_index_only_and_the_number_never_reaches_the_registry(
    family: list[str],
) -> None:
    sync()
    stored = [
        str(row)
        for model in (IntegratedLink, AtenaPerson, AtenaHistory)
        for row in model.objects.values_list()
    ]
    assert not any(number in text for number in NUMBERS for text in stored)
    index = ResidentSnapshot.objects.get(
        resident__atena_number=family[0], history_no=1
    ).individual_number_index
    link = IntegratedLink.objects.get(kind="individual_number_index", key=index)
    assert link.integrated == person(family[0]).integrated
    registry = [str(row) for row in ResidentSnapshot.objects.values_list()]
    registry += [str(row) for row in RegistryEvent.objects.values_list()]
    assert not any(n.number in text for n in IntegratedNumber.objects.all() for text in registry)


def test_a_person_without_an_individual_number_gets_no_integrated_number_until_one_is_seen(
    clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    atena = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())).atena_numbers
    sync()
    assert all(person(a).integrated is None for a in atena)
    assert not IntegratedNumber.objects.exists()


def test_numbers_are_never_reused_and_a_key_leads_to_one_number(family: list[str]) -> None:
    sync()
    issued = set(IntegratedNumber.objects.values_list("number", flat=True))
    AtenaHistory.objects.all().delete()
    AtenaPerson.objects.all().delete()
    SyncState.objects.all().delete()
    sync()  # everything again: the links lead to the same numbers, none is issued twice
    assert set(IntegratedNumber.objects.values_list("number", flat=True)) == issued
    assert {person(a).integrated.number for a in family} == issued  # type: ignore[union-attr]


def test_keys_leading_to_two_numbers_hold_the_person_with_a_remedy(family: list[str]) -> None:
    other = IntegratedNumber.objects.create(number="000000000000990", assigned_at="2026-01-01T00:00Z")
    IntegratedLink.objects.create(
        integrated=other, kind="atena_number", key=family[0], linked_at="2026-01-01T00:00Z"
    )
    index = ResidentSnapshot.objects.get(
        resident__atena_number=family[0], history_no=1
    ).individual_number_index
    mine = IntegratedNumber.objects.create(number="000000000001007", assigned_at="2026-01-01T00:00Z")
    IntegratedLink.objects.create(
        integrated=mine, kind="individual_number_index", key=index, linked_at="2026-01-01T00:00Z"
    )
    assert sync() == 2
    assert not AtenaPerson.objects.filter(atena_number=family[0]).exists()
    issue = SyncIssue.objects.get(atena_number=family[0])
    assert (issue.code, issue.subject_seq, issue.resolved_at) == ("number_conflict", 1, None)


def test_drafts_are_never_seen(family: list[str], clerk: User, reviewer: User) -> None:
    sync()
    child = family[2]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    assert sync() == 0
    assert person(child).items["status"] == ResidentStatus.RESIDENT
    assert person(child).registry_history_no == 1
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert sync() == 1
    assert (person(child).items["status"], person(child).registry_history_no) == (ResidentStatus.REMOVED, 2)
    assert list(
        AtenaHistory.objects.filter(person__atena_number=child)
        .values_list("event_type", flat=True)
        .order_by("pk")
    ) == [
        "resident.moved_in",
        "resident.moved_out",
    ]


def test_delivery_is_idempotent(family: list[str]) -> None:
    assert sync() == 3
    assert sync() == 0
    SyncState.objects.update(cursor=0)  # the whole outbox read again: nothing is applied twice
    assert sync() == 0
    assert AtenaHistory.objects.count() == 3


def test_events_apply_in_order_per_person_and_a_late_commit_is_not_skipped(
    family: list[str], clerk: User, reviewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync()
    child = family[2]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    moved_out = RegistryEvent.objects.get(change_id=draft.change_id)
    later = RegistryEvent.objects.create(
        event_type="resident.restriction_set",
        atena_number=child,
        subject_seq=3,
        restriction_kind="suppression:certificate",
        restriction_id=99,
        created_at=moved_out.created_at,
    )
    real_after, real_subject = atena_source.events_after, atena_source.subject_events

    def without_moved_out(events: list[Any]) -> list[Any]:
        return [e for e in events if e.pk != moved_out.pk]

    # Round 1: the 転出 (seq 2) is not visible yet, as if its transaction committed after seq 3's.
    monkeypatch.setattr(
        atena_source, "events_after", lambda c, limit: without_moved_out(real_after(c, limit=limit))
    )
    monkeypatch.setattr(atena_source, "subject_events", lambda seqs: without_moved_out(real_subject(seqs)))
    assert sync() == 0
    issue = SyncIssue.objects.get(atena_number=child)
    assert (issue.code, issue.subject_seq, issue.event_id) == ("order_gap", 3, str(later.event_id))
    state = SyncState.objects.get()
    assert state.cursor == later.pk  # the cursor moved past the missing event, and remembers its id
    # (PostgreSQL's sequences go on across tests: the ids before this test's first event are unseen too.)
    assert [moved_out.pk, moved_out.pk] in [r[:2] for r in state.unseen]
    # Round 2: it has committed; its id is below the cursor, and it is applied before seq 3.
    monkeypatch.setattr(atena_source, "events_after", real_after)
    monkeypatch.setattr(atena_source, "subject_events", real_subject)
    assert sync() == 2
    applied = AtenaHistory.objects.filter(person__atena_number=child).order_by("pk")
    assert [h.subject_seq for h in applied] == [1, 2, 3]
    assert SyncIssue.objects.get(pk=issue.pk).resolved_at is not None
    assert not any(first <= moved_out.pk <= last for first, last, _ in SyncState.objects.get().unseen)
    assert person(child).restrictions == ["suppression:certificate:99"]


def test_restriction_set_and_lift_reach_the_person_in_order(family: list[str], officer: User) -> None:
    sync()
    head = family[0]
    suppression = suppress(officer, head)
    assert sync() == 1
    assert person(head).restrictions == [f"suppression:certificate:{suppression}"]
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression, reason="解除の申出")
    assert sync() == 1
    assert person(head).restrictions == []
    history = AtenaHistory.objects.filter(person__atena_number=head).order_by("pk")
    assert [(h.event_type, h.restrictions) for h in history] == [
        ("resident.moved_in", []),
        ("resident.restriction_set", [f"suppression:certificate:{suppression}"]),
        ("resident.restriction_lifted", []),
    ]
    assert all(h.items == history[0].items for h in history)  # a 抑止 changes no 宛名 value


def test_ids_passed_over_are_remembered_until_found_or_too_old() -> None:
    now = timezone.now()
    old = (now - services.LOOKBACK - timedelta(seconds=1)).isoformat()
    recent = (now - timedelta(minutes=1)).isoformat()
    unseen = [[3, 6, recent], [8, 8, old]]
    # 4 and 5 found since; 8 missed too long ago (rolled back); 10–11 and 13 are new holes before 12, 14.
    after = services.unseen_after_read(unseen, 9, [12, 14], {4, 5}, now)
    assert after == [[3, 3, recent], [6, 6, recent], [10, 11, now.isoformat()], [13, 13, now.isoformat()]]


def test_an_idle_round_writes_nothing_and_held_persons_are_looked_at_again_after_a_quiet_minute(
    family: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sync()
    SyncState.objects.update(unseen=[])  # no id passed over is still looked for (PostgreSQL has some)
    before = (SyncState.objects.get().last_run_at, AuditEntry.objects.count())
    assert sync() == 0
    assert (SyncState.objects.get().last_run_at, AuditEntry.objects.count()) == before
    later = timezone.now() + timedelta(seconds=services.QUIET_SECONDS)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert sync() == 0
    assert SyncState.objects.get().last_run_at == later
    assert AuditEntry.objects.count() == before[1]  # nothing read, nothing applied: nothing to audit

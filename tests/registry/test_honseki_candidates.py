"""本籍・筆頭者 candidates on 出生, 死亡 and 失踪 entry (standard 4.2.0.3-a, 4.0.6-a): the audited pick list,
its C-10 grant, the 本籍 a 死亡 or 失踪 records, the API and the screens. Address and old-name
candidates: test_honseki_input_aids.py."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.domain.resident import Sex
from jumin.registry.honseki_candidates import HEAD, MEMBER, HonsekiCandidates, honseki_candidates
from jumin.registry.models import ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.disappearance import record_disappearance
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in
from tests.registry.test_disappearance import disappearance
from tests.registry.test_restrictions_screens import new_measure, officer

pytestmark = pytest.mark.django_db
__all__ = ["officer"]  # the fixture, imported for use here

HEAD_HONSEKI = ("長崎県佐世保市八幡町1番地", "青木 太郎")
WIFE_HONSEKI = ("福岡県福岡市中央区天神1番", "中村 一郎")


def members_honseki(found: HonsekiCandidates) -> list[tuple[str, str, tuple[str, ...]]]:
    """The candidates taken from the members' 本籍 (not the addresses)."""
    return [(c.honseki, c.hittousha, c.relationships) for c in found.candidates if c.source in (HEAD, MEMBER)]


@pytest.fixture
def honseki_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "honseki_maker", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.FIELD_HONSEKI_VIEW
    )


@pytest.fixture
def household(clerk: User, reviewer: User, code_pool: list[str]) -> DraftRecorded:
    """世帯主 and 子 with one 本籍, 妻 with her own."""
    members = list(family_move_in().members)
    members[1] = dataclasses.replace(members[1], honseki=WIFE_HONSEKI[0], hittousha=WIFE_HONSEKI[1])
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=members))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def test_the_members_honseki_are_offered_once_each_and_the_read_is_audited(
    household: DraftRecorded, honseki_clerk: User
) -> None:
    found = honseki_candidates(
        actor=honseki_clerk, purpose=PURPOSE, household_number=household.household_number
    )
    assert found.visible
    assert members_honseki(found) == [(*HEAD_HONSEKI, ("世帯主", "子")), (*WIFE_HONSEKI, ("妻",))]
    assert [c.source for c in found.candidates[:2]] == [HEAD, MEMBER]
    entry = AuditEntry.objects.get(action="resident:record:list")
    listed = AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)
    assert sorted(listed) == sorted(household.atena_numbers)


def test_for_a_death_the_person_themself_is_not_a_candidate(
    household: DraftRecorded, honseki_clerk: User
) -> None:
    wife = household.atena_numbers[1]
    found = honseki_candidates(actor=honseki_clerk, purpose=PURPOSE, atena_number=wife)
    assert [(c.honseki, c.hittousha) for c in found.candidates if c.source in (HEAD, MEMBER)] == [
        HEAD_HONSEKI
    ]
    entry = AuditEntry.objects.get(action="resident:record:list")
    assert entry.query_summary == "atena_number"
    # her own 本籍 is no candidate; she is listed as read because her address is offered
    assert wife in AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)


def test_without_the_honseki_grant_nothing_is_offered_nor_read(household: DraftRecorded, clerk: User) -> None:
    found = honseki_candidates(actor=clerk, purpose=PURPOSE, household_number=household.household_number)
    assert (found.visible, found.candidates) == (False, ())
    assert not AuditEntry.objects.filter(action="resident:record:list").exists()


def test_an_unknown_household_is_refused(honseki_clerk: User, code_pool: list[str]) -> None:
    with pytest.raises(DomainError) as refused:
        honseki_candidates(actor=honseki_clerk, purpose=PURPOSE, household_number="999999")
    assert refused.value.code == "registry.household_not_found"


def today() -> date:
    return timezone.localdate()


def test_a_death_records_the_picked_honseki_on_the_removal_and_keeps_the_old_row(
    household: DraftRecorded, clerk: User, reviewer: User
) -> None:
    wife = household.atena_numbers[1]
    before = current(wife)
    death = Death(
        atena_number=wife,
        death_date=today(),
        notification_date=today(),
        honseki=HEAD_HONSEKI[0],
        hittousha=HEAD_HONSEKI[1],
    )
    draft = record_death(actor=clerk, purpose=PURPOSE, death=death)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (current(wife).honseki, current(wife).hittousha) == HEAD_HONSEKI
    assert ResidentSnapshot.objects.get(pk=before.pk).honseki == WIFE_HONSEKI[0]


def test_a_death_without_a_honseki_keeps_the_record_s_and_half_a_honseki_is_refused(
    household: DraftRecorded, clerk: User, reviewer: User
) -> None:
    wife = household.atena_numbers[1]
    with pytest.raises(DomainError) as refused:
        record_death(
            actor=clerk,
            purpose=PURPOSE,
            death=Death(atena_number=wife, death_date=today(), notification_date=today(), honseki="福岡県"),
        )
    assert (refused.value.field, refused.value.code) == ("hittousha", "registry.item_required")
    draft = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=wife, death_date=today(), notification_date=today()),
    )
    assert ResidentSnapshot.objects.get(change_id=draft.change_id).honseki == WIFE_HONSEKI[0]


def test_a_disappearance_records_the_given_honseki(household: DraftRecorded, clerk: User) -> None:
    child = household.atena_numbers[2]
    draft = record_disappearance(
        actor=clerk,
        purpose=PURPOSE,
        disappearance=disappearance(child, honseki=WIFE_HONSEKI[0], hittousha=WIFE_HONSEKI[1]),
    )
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert (row.honseki, row.hittousha) == WIFE_HONSEKI


def test_the_api_lists_the_candidates_and_takes_the_honseki_of_a_death(
    household: DraftRecorded, honseki_clerk: User
) -> None:
    client = logged_in(honseki_clerk)
    listed = client.post(
        "/api/registry/events/honseki-candidates",
        json.dumps({"purpose": PURPOSE, "household_number": household.household_number}),
        content_type="application/json",
    )
    assert listed.status_code == 200, listed.content
    assert listed.json()["visible"] is True
    assert [c["honseki"] for c in listed.json()["candidates"]][:2] == [HEAD_HONSEKI[0], WIFE_HONSEKI[0]]
    body = {
        "purpose": PURPOSE,
        "atena_number": household.atena_numbers[1],
        "death_date": "令和8年11月1日",
        "notification_date": today().isoformat(),
        "honseki": HEAD_HONSEKI[0],
        "hittousha": HEAD_HONSEKI[1],
    }
    died = client.post("/api/registry/events/death", json.dumps(body), content_type="application/json")
    assert died.status_code == 201, died.content
    assert ResidentSnapshot.objects.get(change_id=died.json()["change_id"]).honseki == HEAD_HONSEKI[0]


def test_the_birth_screen_offers_the_candidates_and_enters_the_picked_one(
    household: DraftRecorded, honseki_clerk: User
) -> None:
    client = logged_in(honseki_clerk)
    form = {
        "purpose": PURPOSE,
        "household_number": household.household_number,
        "notification_date": today().isoformat(),
        "kind": "J",
        "surname": "青木",
        "surname_kana": "アオキ",
        "given_name": "一",
        "given_name_kana": "ハジメ",
        "birth_date": "令和8年11月1日",
        "sex": Sex.MALE,
        "relationship": "子",
    }
    offered = client.post("/registry/birth/", {**form, "show_honseki_candidates": "1"})
    page = offered.content.decode()
    assert WIFE_HONSEKI[0] in page
    assert "3件" in page  # two 本籍 and the household's address
    entered = client.post("/registry/birth/", {**form, "honseki_choice": "\t".join(WIFE_HONSEKI)})
    assert entered.status_code == 200
    child = ResidentSnapshot.objects.filter(history_no__isnull=True, surname="青木", given_name="一").get()
    assert (child.honseki, child.hittousha) == WIFE_HONSEKI


def test_the_death_screen_tells_a_clerk_without_the_grant_that_no_candidates_are_shown(
    household: DraftRecorded, clerk: User
) -> None:
    page = logged_in(clerk).post(
        "/registry/death/",
        {"purpose": PURPOSE, "atena_number": household.atena_numbers[1], "show_honseki_candidates": "1"},
    )
    assert "本籍を表示する権限がないため" in page.content.decode()


def test_a_member_under_a_support_measure_is_not_offered(
    household: DraftRecorded, honseki_clerk: User, officer: User
) -> None:
    new_measure(officer, household.atena_numbers[1])  # the 妻, whose 本籍 is her own
    found = honseki_candidates(
        actor=honseki_clerk, purpose=PURPOSE, household_number=household.household_number
    )
    assert [(c.honseki, c.relationships) for c in found.candidates if c.source in (HEAD, MEMBER)] == [
        (HEAD_HONSEKI[0], ("世帯主", "子"))
    ]

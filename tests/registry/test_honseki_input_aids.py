"""本籍 input aids (standard 4.0.6-a, 1.3.3-a): the addresses and old 町字 names as candidates, no
merged municipality for a returning person, and one 本籍 correction for the whole household."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.domain.resident import Sex
from jumin.masters.models import AddressArea, Municipality, Prefecture
from jumin.masters.selectors import former_area_names, merged_municipality_addresses
from jumin.registry.honseki_candidates import (
    CURRENT_ADDRESS,
    FORMER_NAME,
    PREVIOUS_ADDRESS,
    CandidateQuery,
    honseki_candidates,
)
from jumin.registry.models import ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.ex_officio import record_ex_officio_correction
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_ex_officio import correction
from tests.registry.test_honseki_candidates import WIFE_HONSEKI, honseki_clerk, household

pytestmark = pytest.mark.django_db
__all__ = ["honseki_clerk", "household"]  # the fixtures, imported for use here

MERGED_HONSEKI = "長崎県北松浦郡小佐々町楠泊100番地"
OLD_NAME = "長崎県佐世保市旧浜町"


@pytest.fixture
def dictionary() -> None:
    """佐世保市 with a current and an old 町字, and 小佐々町 (merged into 佐世保市); synthetic codes."""
    prefecture, _ = Prefecture.objects.get_or_create(
        code="42", defaults={"name": "長崎県", "kana": "ナガサキケン"}
    )
    city, _ = Municipality.objects.get_or_create(
        code="422029",
        defaults={"body": "42202", "prefecture": prefecture, "name": "佐世保市", "kana": "サセボシ"},
    )
    Municipality.objects.get_or_create(
        code="423866",
        defaults={
            "body": "42386",
            "prefecture": prefecture,
            "county": "北松浦郡",
            "county_kana": "キタマツウラグン",
            "name": "小佐々町",
            "kana": "コザザチョウ",
            "is_current": False,
        },
    )
    for postal, name, kana, is_current in [
        ("8570044", "相生町", "アイオイチョウ", True),
        ("8570000", "旧浜町", "キュウハマチョウ", False),
    ]:
        AddressArea.objects.create(
            municipality=city,
            postal_code=postal,
            name=name,
            kana=kana,
            address_code="42202000000",
            is_current=is_current,
        )


@pytest.mark.usefixtures("dictionary")
def test_the_masters_give_old_town_names_and_tell_merged_municipalities() -> None:
    assert former_area_names("長崎県佐世保市") == [OLD_NAME]
    assert former_area_names("長崎県 佐世保市相生町1番") == [OLD_NAME]
    assert former_area_names("東京都架空市") == []
    assert merged_municipality_addresses([MERGED_HONSEKI, OLD_NAME, "東京都架空市1番"]) == {MERGED_HONSEKI}


@pytest.mark.usefixtures("dictionary")
def test_typed_addresses_and_old_names_are_offered_and_nothing_is_read(
    honseki_clerk: User, code_pool: list[str]
) -> None:
    query = CandidateQuery(
        address="長崎県佐世保市相生町1番1号", previous_address=MERGED_HONSEKI, typed_honseki="長崎県佐世保市"
    )
    found = honseki_candidates(actor=honseki_clerk, purpose=PURPOSE, query=query)
    assert [(c.honseki, c.hittousha, c.source) for c in found.candidates] == [
        ("長崎県佐世保市相生町1番1号", "", CURRENT_ADDRESS),
        (MERGED_HONSEKI, "", PREVIOUS_ADDRESS),
        (OLD_NAME, "", FORMER_NAME),
    ]
    assert not AuditEntry.objects.filter(action="resident:record:list", result_count__gt=0).exists()


@pytest.mark.usefixtures("dictionary")
def test_a_returning_person_gets_no_candidate_of_a_merged_municipality(
    honseki_clerk: User, code_pool: list[str]
) -> None:
    query = CandidateQuery(
        address="長崎県佐世保市相生町1番1号", previous_address=MERGED_HONSEKI, returning=True
    )
    found = honseki_candidates(actor=honseki_clerk, purpose=PURPOSE, query=query)
    assert MERGED_HONSEKI not in [c.honseki for c in found.candidates]
    assert OLD_NAME in [c.honseki for c in found.candidates]  # an old 町字 of a current city stays


def test_the_household_address_is_offered_with_the_members_honseki(
    household: DraftRecorded, honseki_clerk: User
) -> None:
    found = honseki_candidates(
        actor=honseki_clerk, purpose=PURPOSE, household_number=household.household_number
    )
    assert [c.source for c in found.candidates][-1] == CURRENT_ADDRESS
    assert found.candidates[-1].honseki == current(household.atena_numbers[0]).address


def test_one_honseki_correction_covers_the_members_holding_it_and_appends_history(
    household: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head, wife, child = household.atena_numbers
    old = current(head).honseki
    corrected = "長崎県佐世保市八幡町2番地"
    draft = record_ex_officio_correction(
        actor=clerk, purpose=PURPOSE, correction=correction([head, child], {"honseki": corrected})
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (current(head).honseki, current(child).honseki, current(wife).honseki) == (
        corrected,
        corrected,
        WIFE_HONSEKI[0],
    )
    kept = ResidentSnapshot.objects.filter(
        resident__atena_number=child, honseki=old, history_no__isnull=False
    )
    assert kept.exists()  # the old row stays in the history


def test_a_honseki_correction_of_members_with_different_honseki_is_refused(
    household: DraftRecorded, clerk: User
) -> None:
    head, wife, _ = household.atena_numbers
    with pytest.raises(DomainError) as refused:
        record_ex_officio_correction(
            actor=clerk, purpose=PURPOSE, correction=correction([head, wife], {"honseki": "長崎県佐世保市"})
        )
    assert refused.value.code == "registry.personal_items_for_one_person"
    with pytest.raises(DomainError) as mixed:
        record_ex_officio_correction(
            actor=clerk,
            purpose=PURPOSE,
            correction=correction(
                [head, household.atena_numbers[2]], {"honseki": "長崎県", "surname": "佐藤"}
            ),
        )
    assert mixed.value.code == "registry.personal_items_for_one_person"


@pytest.mark.usefixtures("dictionary")
def test_the_api_takes_the_typed_addresses_and_the_returning_flag(
    honseki_clerk: User, code_pool: list[str]
) -> None:
    body = {"purpose": PURPOSE, "previous_address": MERGED_HONSEKI, "typed_honseki": "長崎県佐世保市"}
    client = logged_in(honseki_clerk)
    url = "/api/registry/events/honseki-candidates"
    listed = client.post(url, json.dumps(body), content_type="application/json")
    assert listed.status_code == 200, listed.content
    assert [(c["honseki"], c["source"]) for c in listed.json()["candidates"]] == [
        (MERGED_HONSEKI, PREVIOUS_ADDRESS),
        (OLD_NAME, FORMER_NAME),
    ]
    returner = client.post(url, json.dumps({**body, "returning": True}), content_type="application/json")
    assert [c["honseki"] for c in returner.json()["candidates"]] == [OLD_NAME]


def test_the_correction_screen_puts_the_members_sharing_the_honseki_and_audits_the_read(
    household: DraftRecorded, honseki_clerk: User
) -> None:
    head, _, child = household.atena_numbers
    page = logged_in(honseki_clerk).post(
        reverse("registry:ex_officio_correction"),
        {"purpose": PURPOSE, "atena_numbers": child, "add_same_honseki": "1"},
    )
    text = page.content.decode()
    assert f"{head}\n{child}</textarea>" in text  # the 妻's own 本籍 differs: not added
    assert "同じ本籍の2人を対象にしました" in text
    entry = AuditEntry.objects.get(action="resident:record:list", reason="同じ本籍の世帯員（本籍の一括修正）")
    listed = AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)
    assert sorted(listed) == sorted([head, child])


def test_without_the_honseki_grant_the_sharing_members_are_not_looked_up(
    household: DraftRecorded, clerk: User
) -> None:
    page = logged_in(clerk).post(
        reverse("registry:ex_officio_correction"),
        {"purpose": PURPOSE, "atena_numbers": household.atena_numbers[0], "add_same_honseki": "1"},
    )
    assert "同じ本籍の世帯員を探せません" in page.content.decode()
    assert not AuditEntry.objects.filter(reason="同じ本籍の世帯員（本籍の一括修正）").exists()


def test_a_birth_takes_a_picked_address_as_honseki_beside_a_typed_hittousha(
    household: DraftRecorded, honseki_clerk: User
) -> None:
    client = logged_in(honseki_clerk)
    address = current(household.atena_numbers[0]).address
    form = {
        "purpose": PURPOSE,
        "household_number": household.household_number,
        "notification_date": timezone.localdate().isoformat(),
        "kind": "J",
        "surname": "青木",
        "surname_kana": "アオキ",
        "given_name": "二郎",
        "given_name_kana": "ジロウ",
        "birth_date": "令和8年11月1日",
        "sex": Sex.MALE,
        "relationship": "子",
    }
    offered = client.post(reverse("registry:birth"), {**form, "show_honseki_candidates": "1"})
    assert f"{address}（{CURRENT_ADDRESS}）" in offered.content.decode()
    client.post(
        reverse("registry:birth"), {**form, "honseki_choice": f"{address}\t", "hittousha": "青木 太郎"}
    )
    child = ResidentSnapshot.objects.filter(history_no__isnull=True, given_name="二郎").get()
    assert (child.honseki, child.hittousha) == (address, "青木 太郎")

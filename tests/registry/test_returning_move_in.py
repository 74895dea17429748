"""再転入 on an ordinary 転入 (standard 4.1.1.2-b, 1.1.7-b): the 除票 lookup and prefill, the chosen
除票 reused by the draft, and the 旧氏/通称 of a returner from abroad (service, API, screen)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date

import pytest
from django.utils import timezone

from jumin.accounts.authorization import MASK
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, PersonFacts, ResidentKind, Sex
from jumin.registry.models import ResidentSnapshot
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.returning import ReturningQuery, find_returning, returning_prefill
from jumin.registry.services import DraftRecorded, MoveIn, commit_change, record_move_in
from jumin.registry.services_restrictions import (
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    set_suppression,
)
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.registry.conftest import DEFAULT_BIRTH, PURPOSE, current, family_move_in, logged_in, person
from tests.registry.test_views import move_in_form

pytestmark = pytest.mark.django_db

BORN = date(1960, 4, 1)  # DEFAULT_BIRTH in 西暦
ABROAD = "アメリカ合衆国"


def today() -> date:
    return timezone.localdate()


@pytest.fixture
def honseki_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "honseki_maker", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.FIELD_HONSEKI_VIEW
    )


def leave(
    clerk: User,
    reviewer: User,
    numbers: tuple[str, ...],
    reason: ChangeReason = ChangeReason.DOMESTIC_MOVE_OUT,
) -> None:
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=list(numbers),
            planned_date=today(),
            destination=ABROAD if reason is ChangeReason.MOVE_OUT_ABROAD else "福岡県福岡市",
            notification_date=today(),
            reason=reason,
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


def back(members: list[object], chosen: list[str], **overrides: object) -> MoveIn:
    values: dict[str, object] = {
        "members": members,
        "returning_atena_numbers": chosen,
        "move_in_date": today(),
        "notification_date": today(),
    }
    values.update(overrides)
    return family_move_in(**values)


@pytest.fixture
def removed(family: DraftRecorded, clerk: User, reviewer: User) -> str:
    """The whole family moved out; the 世帯主's 宛名番号 (a 除票)."""
    leave(clerk, reviewer, family.atena_numbers)
    return family.atena_numbers[0]


def test_the_lookup_lists_removed_people_by_4_information_and_audits_each_listed(
    removed: str, clerk: User
) -> None:
    query = ReturningQuery(name="青木 太郎", birth_date=BORN, sex=Sex.MALE, address="長崎県佐世保市")
    found = find_returning(actor=clerk, purpose=PURPOSE, query=query)
    assert [c.atena_number for c in found] == [removed]
    assert found[0].removal_reason == ChangeReason.DOMESTIC_MOVE_OUT
    assert found[0].juminhyo_code == MASK  # C-10: the clerk has no 住民票コード grant
    entry = AuditEntry.objects.get(action="resident:record:list")
    assert entry.query_summary == "name+birth_date+sex+address"
    assert list(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)) == [
        removed
    ]
    by_kana = find_returning(
        actor=clerk, purpose=PURPOSE, query=ReturningQuery(name_kana="アオキ タロウ", birth_date=BORN)
    )
    assert [c.atena_number for c in by_kana] == [removed]
    by_code = find_returning(
        actor=clerk, purpose=PURPOSE, query=ReturningQuery(juminhyo_code=current(removed).juminhyo_code)
    )
    assert [c.atena_number for c in by_code] == [removed]


def test_current_residents_are_never_listed_and_a_broad_query_is_refused(
    family: DraftRecorded, clerk: User
) -> None:
    query = ReturningQuery(name="青木 太郎", birth_date=BORN)
    assert find_returning(actor=clerk, purpose=PURPOSE, query=query) == []
    with pytest.raises(DomainError) as refused:
        find_returning(actor=clerk, purpose=PURPOSE, query=ReturningQuery(name="青木 太郎"))
    assert refused.value.code == "registry.returning.too_broad"
    with pytest.raises(DomainError) as opened:
        returning_prefill(actor=clerk, purpose=PURPOSE, atena_number=family.atena_numbers[0])
    assert opened.value.code == "registry.move_in_of_current_resident"


def test_the_prefill_is_audited_as_viewed_and_shows_honseki_only_with_its_grant(
    removed: str, clerk: User, honseki_clerk: User
) -> None:
    hidden = returning_prefill(actor=clerk, purpose=PURPOSE, atena_number=removed)
    assert (hidden.facts.surname, hidden.facts.given_name, hidden.facts.sex) == ("青木", "太郎", Sex.MALE)
    assert (hidden.facts.honseki, hidden.facts.hittousha, hidden.honseki_hidden) == ("", "", True)
    assert hidden.birth_date_text == "昭和35年4月1日"
    shown = returning_prefill(actor=honseki_clerk, purpose=PURPOSE, atena_number=removed)
    assert (shown.facts.honseki, shown.honseki_hidden) == ("長崎県佐世保市八幡町1番地", False)
    views = AuditEntry.objects.filter(action="resident:record:view", subject_id=removed)
    assert views.count() == 2
    assert {entry.reason for entry in views} == {"転入（再転入）の入力補助"}


def test_the_chosen_record_is_reused_keeping_its_code_and_the_removed_record_is_unchanged(
    removed: str, clerk: User, reviewer: User, honseki_clerk: User
) -> None:
    before = current(removed)
    start = returning_prefill(actor=honseki_clerk, purpose=PURPOSE, atena_number=removed)
    facts = dataclasses.replace(start.facts, relationship=person().relationship)
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=back([facts], [removed]))
    assert draft.atena_numbers == (removed,)
    assert "registry.possible_return" not in {a.code for a in draft.alerts}
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert (row.juminhyo_code, row.move_in_notice_due) == (before.juminhyo_code, False)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    kept = ResidentSnapshot.objects.get(pk=before.pk)
    assert (kept.status, kept.history_no, kept.address) == (before.status, before.history_no, before.address)
    assert current(removed).history_no == before.history_no + 1


def test_a_chosen_record_that_is_not_a_removed_one_or_another_person_is_refused(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    leave(clerk, reviewer, family.atena_numbers[1:])  # 妻 and 子 removed, 世帯主 current
    wife = current(family.atena_numbers[1])
    with pytest.raises(DomainError) as current_one:
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=back([person()], [family.atena_numbers[0]]))
    assert (current_one.value.code, current_one.value.field) == (
        "registry.move_in_of_current_resident",
        "members[0].returning_atena_number",
    )
    child_code = current(family.atena_numbers[2]).juminhyo_code
    other = dataclasses.replace(person(), juminhyo_code=child_code)
    with pytest.raises(DomainError) as mismatch:
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=back([other], [wife.resident.atena_number], former_municipality_unknown=True),
        )
    assert mismatch.value.code == "registry.returning_mismatch"
    with pytest.raises(DomainError) as count:
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=back([person()], ["", ""]))
    assert count.value.code == "registry.returning_count"


def from_abroad(members: list[object], chosen: list[str]) -> MoveIn:
    return back(members, chosen, reason=ChangeReason.MOVE_IN_FROM_ABROAD, previous_address=ABROAD)


def registered_then_left(
    clerk: User, reviewer: User, facts: PersonFacts, left: ChangeReason, **move_in: object
) -> str:
    """One person moved in, committed, then moved out by ``left``: their 宛名番号 (a 除票)."""
    first = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[facts], **move_in))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id)
    leave(clerk, reviewer, first.atena_numbers, left)
    return first.atena_numbers[0]


WITH_FORMER_SURNAME = {"former_surname": "山田", "former_surname_kana": "ヤマダ"}


def test_a_returner_from_abroad_keeps_the_former_surname_held_at_departure(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    atena = registered_then_left(clerk, reviewer, person(**WITH_FORMER_SURNAME), ChangeReason.MOVE_OUT_ABROAD)
    start = returning_prefill(actor=clerk, purpose=PURPOSE, atena_number=atena)
    assert (start.facts.former_surname, start.left_for_abroad, start.previous_address) == (
        "山田",
        True,
        ABROAD,
    )
    # The clerk clears the 旧氏 on the form: the service still keeps the one held at departure.
    entered = dataclasses.replace(person(), former_surname="", former_surname_kana="")
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=from_abroad([entered], [atena]))
    assert "registry.returning.departure_names_kept" in {a.code for a in draft.alerts}
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(atena)
    assert (now.former_surname, now.former_surname_kana) == ("山田", "ヤマダ")


def test_a_domestic_return_takes_the_former_surname_as_entered(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    atena = registered_then_left(
        clerk, reviewer, person(**WITH_FORMER_SURNAME), ChangeReason.DOMESTIC_MOVE_OUT
    )
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=back([person()], [atena]))
    assert ResidentSnapshot.objects.get(change_id=draft.change_id).former_surname == ""


def test_a_foreign_returner_from_abroad_keeps_the_alias_and_its_history(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    foreigner = person(
        "グエン",
        "バン",
        "グエン",
        "バン",
        kind=ResidentKind.FOREIGN,
        alias="中村 一郎",
        alias_kana="ナカムラ イチロウ",
    )
    atena = registered_then_left(
        clerk, reviewer, foreigner, ChangeReason.MOVE_OUT_ABROAD, reason=ChangeReason.MOVE_IN_FROM_ABROAD
    )
    history = [{"alias": "中村 一郎", "recorded_on": "2020-01-01"}]
    row = current(atena)
    held = (row.alias, row.alias_kana)
    row.foreign = {**row.foreign, "alias_history": history}
    row.save(update_fields=["foreign"])  # as a 通称の記載 here would have left it
    entered = dataclasses.replace(foreigner, alias="", alias_kana="")
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=from_abroad([entered], [atena]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(atena)
    assert (now.alias, now.alias_kana) == held
    assert held[0] == "中村 一郎"
    assert now.foreign["alias_history"] == history


def test_the_api_searches_prefills_and_enters_the_return(removed: str, honseki_clerk: User) -> None:
    client = logged_in(honseki_clerk)
    found = client.post(
        "/api/registry/returning/search",
        json.dumps({"purpose": PURPOSE, "name": "青木太郎", "birth_date": BORN.isoformat()}),
        content_type="application/json",
    )
    assert found.status_code == 200, found.content
    assert [c["atena_number"] for c in found.json()] == [removed]
    start = client.post(
        "/api/registry/returning/prefill",
        json.dumps({"purpose": PURPOSE, "atena_number": removed}),
        content_type="application/json",
    )
    assert start.status_code == 200, start.content
    member = start.json()
    assert (member["returning_atena_number"], member["honseki"]) == (removed, "長崎県佐世保市八幡町1番地")
    member["relationship"] = "世帯主"
    body = {
        "purpose": PURPOSE,
        "members": [
            {
                k: v
                for k, v in member.items()
                if k not in {"previous_address", "honseki_hidden", "left_for_abroad"}
            }
        ],
        "address": {"address": "長崎県佐世保市相生町2番1号"},
        "move_in_date": today().isoformat(),
        "notification_date": today().isoformat(),
        "previous_address": "福岡県福岡市",
    }
    entered = client.post("/api/registry/move-ins", json.dumps(body), content_type="application/json")
    assert entered.status_code == 201, entered.content
    assert entered.json()["atena_numbers"] == [removed]
    bad = client.post(
        "/api/registry/returning/search",
        json.dumps({"purpose": PURPOSE, "juminhyo_code": "12"}),
        content_type="application/json",
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "juminhyo_code")


def test_the_screen_finds_the_removed_record_and_fills_the_form(removed: str, clerk: User) -> None:
    client = logged_in(clerk)
    lookup = {
        "returning-purpose": PURPOSE,
        "returning-name": "青木 太郎",
        "returning-birth_date": BORN.isoformat(),
    }
    listed = client.post("/registry/move-in/", {**lookup, "find_returning": "1"})
    assert listed.status_code == 200
    assert "この除票から入力" in listed.content.decode()
    filled = client.post("/registry/move-in/", {**lookup, "prefill_returning": removed})
    page = filled.content.decode()
    assert 'value="青木"' in page
    assert f'value="{removed}"' in page
    assert "本籍・筆頭者は表示の権限がないため入力されていません" in page
    assert DEFAULT_BIRTH.display() in page
    one_member = {
        **move_in_form(**{"form-TOTAL_FORMS": "1"}),
        "form-0-returning_atena_number": removed,
        "form-0-relationship": "世帯主",
    }
    entered = client.post("/registry/move-in/", one_member)
    assert "仮登録しました" in entered.content.decode()
    draft = ResidentSnapshot.objects.get(history_no__isnull=True)
    assert draft.resident.atena_number == removed


def test_a_suppressed_removed_person_is_marked_in_the_list_and_the_prefill_is_refused(
    removed: str, clerk: User, make_clerk: Callable[..., User]
) -> None:
    set_suppression(
        actor=make_clerk("officer", Permission.SUPPRESSION_MANAGE),
        purpose=PURPOSE,
        request=SuppressionRequest(
            scope=SuppressionScope.PERSON,
            target_number=removed,
            process=RestrictedProcess.INQUIRY,
            level=RestrictionLevel.ERROR,
            start_date=today(),
            reason=SuppressionReason.OTHER,
            reason_text="調査中",
        ),
    )
    found = find_returning(
        actor=clerk, purpose=PURPOSE, query=ReturningQuery(name="青木 太郎", birth_date=BORN)
    )
    assert [(c.atena_number, c.suppressed) for c in found] == [(removed, True)]
    with pytest.raises(DomainError) as refused:
        returning_prefill(actor=clerk, purpose=PURPOSE, atena_number=removed)
    assert refused.value.code == "registry.restricted"
    assert not AuditEntry.objects.filter(action="resident:record:view", outcome="done").exists()

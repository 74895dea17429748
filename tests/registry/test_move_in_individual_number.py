"""個人番号 on 転入 (from the 転出証明書) and 再転入 detected by it (standard 4.1.1.2; move-in.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.checkdigits import mynumber_check_digit
from jumin.domain.errors import DomainError
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.services import commit_change, record_move_in
from jumin.registry.workflows.move_out import record_move_out
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_api import MOVE_IN
from tests.registry.test_move_in import family_move_in
from tests.registry.test_move_out import current, move_out

pytestmark = pytest.mark.django_db


def valid_number(base: str) -> str:
    return base + mynumber_check_digit(base)


HEAD_NUMBER = valid_number("12345678901")
WIFE_NUMBER = valid_number("23456789012")
CHILD_NUMBER = valid_number("34567890123")
NUMBERS = (HEAD_NUMBER, WIFE_NUMBER, CHILD_NUMBER)


@pytest.fixture
def number_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "maker_no", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.INDIVIDUAL_NUMBER_ACCESS
    )


def moved_in(actor: User, reviewer: User, numbers: tuple[str, ...] = NUMBERS, **overrides: Any) -> list[str]:
    draft = record_move_in(
        actor=actor, purpose=PURPOSE, move_in=family_move_in(individual_numbers=numbers, **overrides)
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return list(draft.atena_numbers)


def test_numbers_are_stored_encrypted_and_the_entry_is_audited_as_a_number_use(
    number_clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    atena = moved_in(number_clerk, reviewer)
    stored = current(atena[0])
    assert stored.get_individual_number() == HEAD_NUMBER
    raw = ResidentSnapshot.objects.filter(pk=stored.pk).values_list("individual_number", flat=True).get()
    assert HEAD_NUMBER not in str(raw)
    entry = AuditEntry.objects.get(action="resident:move_in:record", outcome="done")
    assert entry.individual_number_used
    assert not any(n in str(row) for n in NUMBERS for row in AuditEntry.objects.values_list())


def test_entering_a_number_needs_the_specific_personal_information_right(
    clerk: User, code_pool: list[str]
) -> None:
    with pytest.raises(AccessRefused):
        record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(individual_numbers=NUMBERS))
    assert not Change.objects.exists()
    assert AuditEntry.objects.get(action="resident:move_in:record").outcome == "refused"


@pytest.mark.parametrize(
    ("numbers", "field", "code"),
    [
        (
            (HEAD_NUMBER[:11] + str((int(HEAD_NUMBER[11]) + 1) % 10), "", ""),
            "members[0].individual_number",
            "mynumber.check_digit",
        ),
        (("", "12345", ""), "members[1].individual_number", "mynumber.format"),
        ((HEAD_NUMBER, HEAD_NUMBER, ""), "individual_number", "registry.individual_number_duplicate"),
        ((HEAD_NUMBER,), "members", "registry.individual_number_count"),
    ],
)
def test_a_bad_number_is_refused_without_echoing_it_and_nothing_is_written(
    number_clerk: User, code_pool: list[str], numbers: tuple[str, ...], field: str, code: str
) -> None:
    with pytest.raises(DomainError) as raised:
        record_move_in(
            actor=number_clerk, purpose=PURPOSE, move_in=family_move_in(individual_numbers=numbers)
        )
    assert (raised.value.field, raised.value.code) == (field, code)
    assert not any(n and n in f"{raised.value.reason}{raised.value.remedy}" for n in numbers)
    assert not Change.objects.exists()


def _moved_out(clerk: User, reviewer: User, atena: list[str]) -> None:
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out(atena))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)


def test_a_returning_resident_is_found_by_number_and_keeps_the_old_atena_number(
    number_clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    first = moved_in(number_clerk, reviewer)
    _moved_out(number_clerk, reviewer, first)
    removed = current(first[0])
    again = record_move_in(
        actor=number_clerk,
        purpose=PURPOSE,
        move_in=family_move_in(individual_numbers=(HEAD_NUMBER, "", "")),
    )
    assert again.atena_numbers[0] == first[0]  # forced match: the old 宛名番号 is reused
    assert again.atena_numbers[1] not in first  # no number, no code: a new person (plus an alert)
    assert {a.code for a in again.alerts} >= {"registry.possible_return"}
    draft_row = ResidentSnapshot.objects.get(change_id=again.change_id, resident__atena_number=first[0])
    assert draft_row.based_on_history_no == removed.history_no


def test_a_number_of_a_current_resident_is_refused(
    number_clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    moved_in(number_clerk, reviewer)
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_move_in(
            actor=number_clerk,
            purpose=PURPOSE,
            move_in=family_move_in(individual_numbers=(WIFE_NUMBER, "", "")),
        )
    assert (raised.value.field, raised.value.code) == (
        "members[0].individual_number",
        "registry.move_in_of_current_resident",
    )
    assert Change.objects.count() == changes


def test_returning_by_code_without_a_number_keeps_the_number_of_the_removed_record(
    number_clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    first = moved_in(number_clerk, reviewer)
    _moved_out(number_clerk, reviewer, first)
    code = current(first[0]).juminhyo_code
    move_in = family_move_in()
    members = [replace(move_in.members[0], juminhyo_code=code)]
    # A 国内転入 of someone with a 住民票コード names the 転出地 (where the 転入通知 goes): 千代田区.
    back = replace(move_in, members=members, former_municipality_code="131016")
    draft = record_move_in(actor=number_clerk, purpose=PURPOSE, move_in=back)
    row = ResidentSnapshot.objects.get(change_id=draft.change_id)
    assert draft.atena_numbers == (first[0],)
    assert row.get_individual_number() == HEAD_NUMBER


def test_a_code_and_a_number_of_two_different_people_are_refused(
    number_clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    first = moved_in(number_clerk, reviewer)
    _moved_out(number_clerk, reviewer, first)
    code = current(first[0]).juminhyo_code
    move_in = family_move_in()
    members = [replace(move_in.members[0], juminhyo_code=code)]
    with pytest.raises(DomainError) as raised:
        record_move_in(
            actor=number_clerk,
            purpose=PURPOSE,
            move_in=replace(move_in, members=members, individual_numbers=(WIFE_NUMBER,)),
        )
    assert raised.value.code == "registry.returning_mismatch"


def test_api_carries_the_number_and_refuses_it_without_the_right(
    clerk: User, number_clerk: User, code_pool: list[str]
) -> None:
    body = json.loads(json.dumps(MOVE_IN))
    body["members"][0]["individual_number"] = HEAD_NUMBER
    refused = logged_in(clerk).post(
        "/api/registry/move-ins", data=json.dumps(body), content_type="application/json"
    )
    assert refused.status_code == 403
    assert not Change.objects.exists()
    made = logged_in(number_clerk).post(
        "/api/registry/move-ins", data=json.dumps(body), content_type="application/json"
    )
    assert made.status_code == 201
    assert HEAD_NUMBER not in made.content.decode()
    row = ResidentSnapshot.objects.get(resident__atena_number=made.json()["atena_numbers"][0])
    assert row.get_individual_number() == HEAD_NUMBER


def _screen_post(number: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "address": "長崎県佐世保市相生町1番1号",
        "previous_address": "東京都日野市神明1丁目1番1号",
        "move_in_date": "令和8年11月1日",
        "notification_date": "2026-11-05",
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "10",
        "form-0-kind": "J",
        "form-0-surname": "青木",
        "form-0-given_name": "太郎",
        "form-0-surname_kana": "アオキ",
        "form-0-given_name_kana": "タロウ",
        "form-0-birth_date": "S35.4.1",
        "form-0-sex": "male",
        "form-0-relationship": "世帯主",
        "form-0-honseki": "長崎県佐世保市八幡町1番地",
        "form-0-hittousha": "青木 太郎",
        "form-0-individual_number": number,
    }


def test_screen_has_a_masked_number_field_that_is_never_echoed(
    clerk: User, number_clerk: User, code_pool: list[str]
) -> None:
    page = logged_in(clerk).get(reverse("registry:move_in")).content.decode()
    assert 'type="password" name="form-0-individual_number"' in page
    refused = logged_in(clerk).post(reverse("registry:move_in"), _screen_post(HEAD_NUMBER))
    assert refused.status_code == 403
    wrong = HEAD_NUMBER[:11] + str((int(HEAD_NUMBER[11]) + 1) % 10)
    answer = logged_in(number_clerk).post(reverse("registry:move_in"), _screen_post(wrong)).content.decode()
    alert = answer.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "検査数字が一致しません" in alert
    assert "個人番号" in alert  # the field is named
    assert wrong not in answer
    assert not Change.objects.exists()
    done = logged_in(number_clerk).post(reverse("registry:move_in"), _screen_post(HEAD_NUMBER))
    assert done.status_code == 200
    assert HEAD_NUMBER not in done.content.decode()
    assert ResidentSnapshot.objects.get().get_individual_number() == HEAD_NUMBER

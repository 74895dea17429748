"""一括入力 on the 転入 screen (standard 4.0.10-a; docs/workflows/move-in.md, 「一括入力」)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.registry.models import Change, ResidentSnapshot
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_api import MOVE_IN, post
from tests.registry.test_special_move_screens import shown_fields
from tests.registry.test_views import move_in_form

pytestmark = pytest.mark.django_db

ROWS = "registry:move_in_rows"


def third_member(**overrides: str) -> dict[str, str]:
    """A child entered with only the per-person items; the shared ones are left to the copy."""
    values = {
        "form-TOTAL_FORMS": "3",
        "form-2-kind": "J",
        "form-2-given_name": "三奈",
        "form-2-given_name_kana": "ミナ",
        "form-2-birth_date": "H4.9.9",
        "form-2-sex": "female",
        "form-2-relationship": "子",
    }
    return move_in_form(**{**values, **overrides})


def test_no_two_elements_of_the_move_in_screen_share_an_id(clerk: User) -> None:
    # The QR form and the main form both ask for the 利用目的: a shared id breaks its label and tests.
    body = logged_in(clerk).get(reverse("registry:move_in")).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', body)
    assert "id_purpose" in ids
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


def test_adding_a_row_keeps_what_was_entered_and_shows_one_more_empty_row(clerk: User) -> None:
    response = logged_in(clerk).post(reverse(ROWS), move_in_form(rows_add="1"))
    body = response.content.decode()
    fields = shown_fields(body)
    assert fields["form-TOTAL_FORMS"] == "3"
    assert fields["form-INITIAL_FORMS"] == "0"  # posted back, every row counts as a new one
    assert fields["form-1-given_name"] == "花子"
    assert 'name="form-2-surname"' in body
    assert "form-2-surname" not in fields  # shown empty
    assert not Change.objects.exists()


def test_removing_a_row_renumbers_the_rows_after_it(clerk: User) -> None:
    response = logged_in(clerk).post(reverse(ROWS), move_in_form(rows_remove="0"))
    fields = shown_fields(response.content.decode())
    assert fields["form-TOTAL_FORMS"] == "1"
    assert fields["form-0-given_name"] == "花子"


def test_the_copy_fills_the_blank_shared_items_and_says_which(clerk: User) -> None:
    response = logged_in(clerk).post(reverse(ROWS), third_member(rows_copy="1", surname_source="head"))
    body = response.content.decode()
    fields = shown_fields(body)
    head = MOVE_IN["members"][0]
    assert (fields["form-2-surname"], fields["form-2-surname_kana"]) == ("青木", head["surname_kana"])
    assert fields["form-2-honseki"] == "長崎県佐世保市八幡町1番地"
    assert fields["form-2-hittousha"] == "青木 太郎"
    assert "3人目の氏" in body
    assert not Change.objects.exists()


def test_without_script_the_whole_screen_comes_back_with_the_main_items_kept(clerk: User) -> None:
    response = logged_in(clerk).post(reverse("registry:move_in"), third_member(rows_copy="1"))
    fields = shown_fields(response.content.decode())
    assert fields["address"] == "長崎県佐世保市相生町1番1号"
    assert fields["move_in_date"] == "R8.11.1"
    assert fields["form-2-surname"] == "青木"
    assert not Change.objects.exists()


def test_a_typed_individual_number_is_not_sent_back_after_a_row_action(clerk: User) -> None:
    number = "123456789018"
    response = logged_in(clerk).post(
        reverse(ROWS), move_in_form(**{"rows_add": "1", "form-0-individual_number": number})
    )
    body = response.content.decode()
    assert number not in body
    assert "個人番号は画面に表示しないため消去しました" in body


def test_the_copied_household_is_entered_as_one_draft_with_the_shared_items(
    clerk: User, code_pool: list[str]
) -> None:
    client = logged_in(clerk)
    copied = shown_fields(
        client.post(reverse("registry:move_in"), third_member(rows_copy="1")).content.decode()
    )
    entered = {**third_member(), **{k: v for k, v in copied.items() if k.startswith("form-2-")}}
    response = client.post(reverse("registry:move_in"), entered)
    assert "仮登録しました" in response.content.decode()
    change = Change.objects.get()
    snapshots = ResidentSnapshot.objects.filter(change=change)
    assert snapshots.count() == 3
    assert {s.address for s in snapshots} == {"長崎県佐世保市相生町1番1号"}
    assert {s.surname for s in snapshots} == {"青木"}


def test_an_error_in_one_row_names_that_row_and_saves_nobody(clerk: User, code_pool: list[str]) -> None:
    bad = third_member(**{"form-2-surname": "青木", "form-2-surname_kana": "青木"})
    body = logged_in(clerk).post(reverse("registry:move_in"), bad).content.decode()
    assert "異動する方（3人目）の氏フリガナ" in body
    assert not Change.objects.exists()
    assert not ResidentSnapshot.objects.exists()


def test_the_api_names_the_member_of_a_bad_item(clerk: User) -> None:
    members = [MOVE_IN["members"][0], {**MOVE_IN["members"][1], "surname_kana": "青木"}]
    response = post(logged_in(clerk), "/move-ins", {**MOVE_IN, "purpose": PURPOSE, "members": members})
    assert response.status_code == 400
    assert response.json()["field"] == "members[1].surname_kana"
    assert not Change.objects.exists()


def test_the_honseki_can_be_copied_from_the_new_address(clerk: User) -> None:
    posted = third_member(rows_copy="1", honseki_source="address")
    fields = shown_fields(logged_in(clerk).post(reverse(ROWS), posted).content.decode())
    assert fields["form-2-honseki"] == "長崎県佐世保市相生町1番1号"
    assert "form-2-hittousha" not in fields  # left blank

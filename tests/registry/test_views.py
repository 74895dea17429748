import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.registry.models import Change, ChangeState
from jumin.registry.services import commit_change, record_move_in
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_api import MOVE_IN
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db


def move_in_form(**overrides: str) -> dict[str, str]:
    """The 転入届 screen's POST data for a two-person household."""
    data = {
        "purpose": PURPOSE,
        "address": "長崎県佐世保市相生町1番1号",
        "katagaki": "",
        "postal_code": "8570044",
        "previous_address": "東京都日野市神明1丁目1番1号",
        "move_in_date": "R8.11.1",
        "notification_date": "2026-11-05",
        "household_number": "",
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "10",
    }
    for index, member in enumerate(MOVE_IN["members"]):
        for key in (
            "surname",
            "given_name",
            "surname_kana",
            "given_name_kana",
            "birth_date",
            "relationship",
            "honseki",
            "hittousha",
        ):
            data[f"form-{index}-{key}"] = member[key]
        data[f"form-{index}-kind"] = "J"
        data[f"form-{index}-sex"] = member["sex"]
    data.update(overrides)
    return data


def test_the_move_in_screen_records_a_draft(clerk: User, code_pool: list[str]) -> None:
    response = logged_in(clerk).post(reverse("registry:move_in"), move_in_form())
    body = response.content.decode()
    assert response.status_code == 200
    assert "仮登録しました" in body
    assert Change.objects.get().state == ChangeState.DRAFT


def test_the_move_in_screen_shows_the_field_reason_and_remedy_on_bad_input(clerk: User) -> None:
    response = logged_in(clerk).post(
        reverse("registry:move_in"), move_in_form(**{"form-1-relationship": "孫"})
    )
    body = response.content.decode()
    assert "「孫」" in body
    assert "子の子" in body
    assert "form-1-relationship" in body
    assert not Change.objects.exists()


def test_lookup_by_post_shows_the_record_with_masked_fields(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    response = logged_in(clerk).post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": draft.atena_numbers[0]}
    )
    body = response.content.decode()
    assert "青木 太郎" in body
    assert "昭和35年4月1日" in body
    assert "＊＊＊＊" in body  # 本籍 and 住民票コード without field permission
    assert "長崎県佐世保市八幡町1番地" not in body


def test_the_reviewer_commits_a_draft_on_screen(clerk: User, reviewer: User, code_pool: list[str]) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    client = logged_in(reviewer)
    listing = client.get(reverse("registry:drafts")).content.decode()
    assert f">{draft.change_id}</a>" in listing
    assert "青木" not in listing
    shown = client.post(reverse("registry:draft", args=[draft.change_id]), {"purpose": PURPOSE, "show": "1"})
    assert "青木 太郎" in shown.content.decode()
    done = client.post(reverse("registry:draft", args=[draft.change_id]), {"purpose": PURPOSE, "commit": "1"})
    assert "本登録しました" in done.content.decode()
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.COMMITTED


def test_the_lookup_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:lookup"),
        Permission.RESIDENT_VIEW,
        data={"purpose": PURPOSE, "atena_number": draft.atena_numbers[0]},
    )


def test_the_move_in_api_follows_the_permission_triple(
    make_staff: Callable[..., Any], code_pool: list[str]
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/move-ins",
        Permission.RESIDENT_RECORD,
        data=json.dumps(MOVE_IN),
        content_type="application/json",
        success_status=(201,),
    )

"""フリガナ確認 per kana item (standard 1.1.18-a): 氏名, 旧氏 and 通称 each carry their own confirmation,
entered with the item, kept in every history row, shown on the 照会 screen; migration 0034 spreads the
former one flag per person onto all three items."""

import importlib
from collections.abc import Callable

import pytest
from django.apps import apps
from django.urls import reverse

from jumin.accounts.models import User
from jumin.registry.inquiry import resident_timeline
from jumin.registry.models import ResidentSnapshot
from jumin.registry.services import DraftRecorded, record_move_in
from jumin.registry.workflows.names import (
    AliasOperation,
    FormerSurnameOperation,
    record_alias_application,
    record_former_surname_request,
)
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in, person
from tests.registry.test_names import alias, foreigner, former, wife
from tests.registry.test_naturalisation import foreign_move_in, foreign_person
from tests.registry.test_views import move_in_form

pytestmark = pytest.mark.django_db
__all__ = ["foreigner", "wife"]  # the fixtures, imported for use here

ITEMS = ("kana_confirmed", "former_surname_kana_confirmed", "alias_kana_confirmed")


def flags(atena: str) -> tuple[bool, bool, bool]:
    row = current(atena)
    return (row.kana_confirmed, row.former_surname_kana_confirmed, row.alias_kana_confirmed)


def test_each_kana_item_is_confirmed_on_its_own_at_move_in(
    clerk: User, reviewer: User, code_pool: list[str], commit: Callable[..., DraftRecorded]
) -> None:
    head = person(former_surname="佐藤", former_surname_kana="サトウ", former_surname_kana_confirmed=True)
    japanese = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[head])))
    assert flags(japanese.atena_numbers[0]) == (False, True, False)
    named = foreign_person(alias="山田花子", alias_kana="ヤマダハナコ", kana_confirmed=True)
    foreign = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in(named)))
    assert flags(foreign.atena_numbers[0]) == (True, False, False)
    page = logged_in(reviewer).post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": japanese.atena_numbers[0]}
    )
    text = page.content.decode()
    # 氏名 not confirmed, 旧氏 confirmed: each row says so.
    assert "アオキ タロウ）" in text
    assert (
        text.index("［フリガナ未確認］") < text.index("佐藤（サトウ）") < text.index("［フリガナ確認済み］")
    )


def test_a_former_surname_and_an_alias_are_confirmed_with_their_request_and_kept_in_history(
    clerk: User, reviewer: User, wife: str, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    recorded = former(
        wife, FormerSurnameOperation.RECORD, "佐藤", "サトウ", former_surname_kana_confirmed=True
    )
    commit(record_former_surname_request(actor=clerk, purpose=PURPOSE, request=recorded))
    assert flags(wife) == (False, True, False)  # the 氏名's flag is untouched
    commit(
        record_former_surname_request(
            actor=clerk, purpose=PURPOSE, request=former(wife, FormerSurnameOperation.DELETE)
        )
    )
    assert flags(wife) == (False, False, False)  # no 旧氏, nothing confirmed
    history = resident_timeline(actor=reviewer, purpose=PURPOSE, atena_number=wife)
    changed = [
        (item.before, item.after)
        for entry in history.entries
        for item in entry.changes
        if item.label == "旧氏フリガナ確認"
    ]
    assert changed == [("", "未確認"), ("未確認", "確認済み"), ("確認済み", "未確認")]
    application = alias(
        foreigner, AliasOperation.RECORD, "山田花子", "ヤマダハナコ", alias_kana_confirmed=True
    )
    commit(record_alias_application(actor=clerk, purpose=PURPOSE, application=application))
    assert flags(foreigner)[2] is True


def test_the_move_in_screen_takes_one_confirmation_per_item(clerk: User, code_pool: list[str]) -> None:
    data = move_in_form(
        **{
            "form-0-kana_confirmed": "on",
            "form-0-former_surname": "佐藤",
            "form-0-former_surname_kana": "サトウ",
        }
    )
    response = logged_in(clerk).post(reverse("registry:move_in"), data)
    assert response.status_code == 200
    rows = ResidentSnapshot.objects.order_by("member_order")
    assert [(r.kana_confirmed, r.former_surname_kana_confirmed) for r in rows] == [
        (True, False),
        (False, False),
    ]


@pytest.mark.parametrize("confirmed", [True, False])
def test_migration_0034_spreads_the_one_flag_to_all_three_items(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded], confirmed: bool
) -> None:
    moved = commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in()))
    ResidentSnapshot.objects.update(
        kana_confirmed=confirmed, former_surname_kana_confirmed=False, alias_kana_confirmed=not confirmed
    )  # the state a database had before 0034: one flag, the new columns at their default
    migration = importlib.import_module(
        "jumin.registry.migrations.0034_per_item_kana_confirmation_relationship_proof"
    )
    migration._spread_kana_confirmation(apps, None)
    for atena in moved.atena_numbers:
        assert flags(atena) == (confirmed, confirmed, confirmed)

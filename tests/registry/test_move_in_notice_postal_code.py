"""The 転入先's postal code looked up from the address dictionary at the 転入通知 import (std 4.1.3.1.2-a)."""

from __future__ import annotations

import pytest

from jumin.accounts.models import User
from jumin.masters.models import AddressArea, Municipality, Prefecture
from jumin.masters.selectors import postal_code_of_address
from jumin.registry.selectors_review import confirmation
from jumin.registry.services import commit_change
from jumin.registry.workflows.special_moves import POSTAL_CODE_UNKNOWN, import_move_in_notices
from tests.registry.conftest import PURPOSE
from tests.registry.test_move_in_notice_import_errors import NEW_ADDRESS, moved, received
from tests.registry.test_move_out import current

pytestmark = pytest.mark.django_db

__all__ = ["moved"]  # the fixture, imported for this module's tests


@pytest.fixture
def dictionary() -> None:
    """A few 長崎市 entries of the dictionary (synthetic codes): 江戸町, and 大浦町 split in two."""
    prefecture, _ = Prefecture.objects.get_or_create(
        code="42", defaults={"name": "長崎県", "kana": "ナガサキケン"}
    )
    city, _ = Municipality.objects.get_or_create(
        code="422011",
        defaults={"body": "42201", "prefecture": prefecture, "name": "長崎市", "kana": "ナガサキシ"},
    )
    for postal, name in [
        ("8500861", "江戸町"),
        ("8500860", "江"),
        ("8500911", "大浦町"),
        ("8500912", "大浦町"),
    ]:
        AddressArea.objects.create(
            municipality=city, postal_code=postal, name=name, kana="ダミー", address_code="42201000000"
        )


@pytest.mark.usefixtures("dictionary")
def test_the_longest_area_name_gives_the_postal_code() -> None:
    assert postal_code_of_address(NEW_ADDRESS) == "8500861"  # 江戸町, not 江
    assert postal_code_of_address("長崎県　長崎市　江戸町2番13号") == "8500861"
    assert postal_code_of_address("長崎県長崎市大浦町1番") == ""  # two codes: not guessed
    assert postal_code_of_address("長崎県長崎市架空町1番") == ""  # no such 町字
    assert postal_code_of_address("長崎県架空市江戸町1番") == ""
    assert postal_code_of_address("") == ""


@pytest.mark.usefixtures("dictionary")
def test_an_imported_notice_stores_the_postal_code_of_the_destination(
    moved: str, clerk: User, reviewer: User
) -> None:
    received(moved)
    [draft] = import_move_in_notices(actor=clerk, purpose=PURPOSE).drafts
    assert POSTAL_CODE_UNKNOWN not in draft.alerts
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    row = current(moved)
    assert (row.confirmed_destination_postal_code, row.confirmed_destination_postal_unknown) == (
        "8500861",
        False,
    )
    assert row.confirmed_destination_address_code == "42201000000"  # the 町字's 住所コード (1.1.1-d)


@pytest.mark.usefixtures("dictionary")
def test_an_unknown_postal_code_is_left_blank_and_flagged(moved: str, clerk: User, reviewer: User) -> None:
    received(moved, new_address="長崎県長崎市大浦町1番")
    [draft] = import_move_in_notices(actor=clerk, purpose=PURPOSE).drafts
    assert POSTAL_CODE_UNKNOWN in draft.alerts
    [preview] = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[draft.change_id])
    shown = {change.label: change.after for person in preview.people for change in person.changes}
    assert "住所辞書で特定できません" in shown["転出先（確定）郵便番号"]
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    row = current(moved)
    assert (row.confirmed_destination_postal_code, row.confirmed_destination_postal_unknown) == ("", True)

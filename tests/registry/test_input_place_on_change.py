"""Every committed change records its input place (入力場所, standard 1.2.1-a), shown in the history."""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pytest
from django.apps import apps as django_apps

from jumin.accounts import input_places
from jumin.accounts.context import reset_context, set_context
from jumin.accounts.models import InputPlace
from jumin.accounts.permissions import Permission
from jumin.registry.inquiry import resident_timeline
from jumin.registry.models import Change
from jumin.registry.services import commit_change, record_move_in
from tests.helpers.accounts import grant_permissions, make_terminal, make_user
from tests.registry.conftest import PURPOSE, family_move_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def branch_terminal() -> str:
    admin = make_user(username="place-admin")
    grant_permissions(admin, [Permission.TERMINAL_MANAGE])
    make_terminal("T-KITA")
    input_places.register_input_place(
        actor=admin, purpose="端末管理", code="B01", name="北支所", kind="branch", valid_from=date(2020, 4, 1)
    )
    input_places.assign_terminal_place(
        actor=admin, purpose="端末管理", terminal_id="T-KITA", place_code="B01"
    )
    return "T-KITA"


def test_the_draft_records_its_terminal_and_the_commit_its_place(
    clerk: Any, reviewer: Any, code_pool: list[str], branch_terminal: str
) -> None:
    tokens = set_context(terminal_id=branch_terminal, request_id="r1")
    try:
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    finally:
        reset_context(tokens)
    change = Change.objects.get(pk=draft.change_id)
    assert change.terminal_id == "T-KITA"
    assert change.input_place is None  # a draft has no place yet
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)  # committed elsewhere
    change.refresh_from_db()
    assert change.input_place is not None
    assert change.input_place.name == "北支所"
    timeline = resident_timeline(actor=reviewer, purpose=PURPOSE, atena_number=draft.atena_numbers[0])
    assert timeline.entries[-1].input_place == "北支所"


def test_a_change_without_a_placed_terminal_records_unknown(
    clerk: Any, reviewer: Any, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    change = Change.objects.select_related("input_place").get(pk=draft.change_id)
    assert change.input_place is not None
    assert change.input_place.kind == InputPlace.Kind.UNKNOWN
    timeline = resident_timeline(actor=reviewer, purpose=PURPOSE, atena_number=draft.atena_numbers[0])
    assert timeline.entries[-1].input_place.startswith("不明")


def test_the_migration_points_earlier_changes_at_unknown(family: Any) -> None:
    migration = importlib.import_module("jumin.registry.migrations.0031_change_input_place")
    Change.objects.update(input_place=None)  # as before the migration
    InputPlace.objects.all().delete()
    migration.fill_unknown_place(django_apps, None)
    places = {change.input_place for change in Change.objects.select_related("input_place")}
    assert len(places) == 1
    (unknown,) = places
    assert unknown is not None
    assert (unknown.code, unknown.kind) == (input_places.UNKNOWN_PLACE_CODE, InputPlace.Kind.UNKNOWN)

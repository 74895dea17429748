"""Input places (入力場所, standard 1.3.1-a): append-only rows, audited, and the place of a terminal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts import input_places
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import InputPlace, Terminal
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, make_terminal, make_user

pytestmark = pytest.mark.django_db

PURPOSE = "端末管理"


@pytest.fixture
def admin() -> Any:
    user = make_user(username="terminal-admin")
    grant_permissions(user, [Permission.TERMINAL_MANAGE])
    return user


def _register(admin: Any, code: str, name: str, valid_from: date, kind: str = "branch") -> InputPlace:
    return input_places.register_input_place(
        actor=admin, purpose=PURPOSE, code=code, name=name, kind=kind, valid_from=valid_from
    )


def test_a_renamed_place_gets_a_new_row_and_the_old_row_ends(admin: Any) -> None:
    old = _register(admin, "B01", "北支所", date(2020, 4, 1))
    new = _register(admin, "B01", "北部支所", date(2026, 4, 1))
    old.refresh_from_db()
    assert (old.name, old.valid_to) == ("北支所", date(2026, 3, 31))
    assert (new.name, new.valid_to) == ("北部支所", None)
    created = AuditEntry.objects.filter(action=AuditAction.INPUT_PLACE_REGISTRATION_CREATE, outcome="done")
    assert [e.subject_id for e in created] == ["B01", "B01"]
    assert created.order_by("seq").last().outcome_reason == f"ended={old.pk}"


def test_an_overlap_or_a_bad_code_is_refused_audited_and_nothing_changes(admin: Any) -> None:
    _register(admin, "B01", "北支所", date(2026, 4, 1))
    for code, valid_from in (
        ("B01", date(2026, 4, 1)),
        ("B01", date(2025, 1, 1)),
        ("支所", date(2026, 5, 1)),
    ):
        with pytest.raises(RuleRefused):
            _register(admin, code, "北部支所", valid_from)
    assert list(InputPlace.objects.filter(code="B01").values_list("name", "valid_to")) == [("北支所", None)]
    refusals = AuditEntry.objects.filter(
        action=AuditAction.INPUT_PLACE_REGISTRATION_CREATE, outcome="refused"
    )
    assert refusals.count() == 3


def test_a_terminal_takes_the_row_in_force_and_falls_back_to_unknown(admin: Any) -> None:
    make_terminal("T-B01")
    today = timezone.localdate()
    assert input_places.place_for_terminal("T-B01", today).kind == InputPlace.Kind.UNKNOWN
    _register(admin, "B01", "北支所", today - timedelta(days=30))
    input_places.assign_terminal_place(actor=admin, purpose=PURPOSE, terminal_id="T-B01", place_code="B01")
    assert Terminal.objects.get(terminal_id="T-B01").input_place_code == "B01"
    assert input_places.place_for_terminal("T-B01", today).name == "北支所"
    renamed = _register(admin, "B01", "北部支所", today + timedelta(days=1))
    assert input_places.place_for_terminal("T-B01", today).name == "北支所"
    assert input_places.place_for_terminal("T-B01", today + timedelta(days=1)) == renamed
    assigned = AuditEntry.objects.get(action=AuditAction.TERMINAL_REGISTRATION_CHANGE, subject_id="T-B01")
    assert assigned.outcome_reason == "input_place=-->B01"


def test_a_terminal_cannot_take_an_unknown_place(admin: Any) -> None:
    make_terminal("T-B02")
    with pytest.raises(RuleRefused):
        input_places.assign_terminal_place(actor=admin, purpose=PURPOSE, terminal_id="T-B02", place_code="ZZ")
    assert Terminal.objects.get(terminal_id="T-B02").input_place_code == ""


def test_ending_a_place(admin: Any) -> None:
    place = _register(admin, "S01", "南出張所", date(2020, 4, 1), kind="sub_branch")
    input_places.end_input_place(actor=admin, purpose=PURPOSE, place_id=place.pk, valid_to=date(2026, 3, 31))
    place.refresh_from_db()
    assert place.valid_to == date(2026, 3, 31)
    with pytest.raises(RuleRefused):  # an ended row is never changed again
        input_places.end_input_place(
            actor=admin, purpose=PURPOSE, place_id=place.pk, valid_to=date(2027, 1, 1)
        )
    place.refresh_from_db()
    assert place.valid_to == date(2026, 3, 31)

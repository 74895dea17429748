"""Program flags (国保, 後期高齢, 介護, 国民年金, 児童手当, 選挙人名簿) set by the owning departments.

records.md §6.10; docs/workflows/programs.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry.models import ProgramRecord
from jumin.registry.programs import (
    Program,
    ProgramUpdate,
    normalise_basic_pension_number,
    program_status,
    record_program,
)
from jumin.registry.services import DraftRecorded, record_move_in
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_in import family_move_in
from tests.registry.test_move_out import family, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

PENSION_NUMBER = "1234-567890"


@pytest.fixture
def pension_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("pension", Permission.PROGRAM_NATIONAL_PENSION_EDIT, Permission.RESIDENT_VIEW)


def pension(atena: str, **overrides: Any) -> ProgramUpdate:
    values: dict[str, Any] = {
        "atena_number": atena,
        "program": Program.NATIONAL_PENSION,
        "enrolled": True,
        "acquired_on": today() - timedelta(days=30),
        "basic_pension_number": PENSION_NUMBER,
        "pension_kind": "第1号被保険者",
    }
    values.update(overrides)
    return ProgramUpdate(**values)


@pytest.mark.parametrize("typed", ["1234-567890", "1234567890", "１２３４－５６７８９０"])
def test_a_basic_pension_number_is_kept_as_its_ten_digits(typed: str) -> None:
    assert normalise_basic_pension_number(typed) == "1234567890"


@pytest.mark.parametrize("typed", ["123-4567890", "12345678901", "1234-56789", "abcd-567890", ""])
def test_a_malformed_basic_pension_number_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(DomainError) as raised:
        normalise_basic_pension_number(typed)
    assert raised.value.field == "basic_pension_number"
    assert "10桁" in raised.value.reason


def test_setting_then_clearing_a_flag_appends_history_and_the_latest_row_is_current(
    family: DraftRecorded, pension_clerk: User
) -> None:
    head = family.atena_numbers[0]
    record_program(actor=pension_clerk, purpose=PURPOSE, update=pension(head))
    first = ProgramRecord.objects.get()
    assert first.details == {"basic_pension_number": "1234567890", "pension_kind": "第1号被保険者"}
    record_program(
        actor=pension_clerk,
        purpose=PURPOSE,
        update=pension(head, enrolled=False, lost_on=today(), basic_pension_number="", pension_kind=""),
    )
    status = program_status(actor=pension_clerk, purpose=PURPOSE, atena_number=head)
    assert [(e.program, e.enrolled) for e in status.current] == [("national_pension", False)]
    assert [e.enrolled for e in status.history] == [False, True]  # newest first, nothing lost
    assert ProgramRecord.objects.get(pk=first.pk).enrolled  # the first row is unchanged
    assert AuditEntry.objects.filter(action="resident:program:record", outcome="done").count() == 2
    assert AuditEntry.objects.filter(action="resident:program:view", subject_id=head).count() == 1


def test_only_the_department_owning_the_program_may_set_it(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    nhi_clerk = make_clerk("nhi", Permission.PROGRAM_NATIONAL_HEALTH_INSURANCE_EDIT)
    with pytest.raises(AccessRefused):
        record_program(actor=nhi_clerk, purpose=PURPOSE, update=pension(family.atena_numbers[0]))
    record_program(
        actor=nhi_clerk,
        purpose=PURPOSE,
        update=ProgramUpdate(
            atena_number=family.atena_numbers[0],
            program=Program.NATIONAL_HEALTH_INSURANCE,
            enrolled=True,
            acquired_on=today(),
        ),
    )
    assert list(ProgramRecord.objects.values_list("program", flat=True)) == ["national_health_insurance"]
    refused = AuditEntry.objects.get(action="resident:program:record", outcome="refused")
    assert refused.outcome_reason == "permission_missing"


# Dates are computed when the test runs, not at collection: a run may cross midnight (JST).
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (lambda: {"basic_pension_number": "12-34"}, "basic_pension_number"),
        (lambda: {"pension_kind": ""}, "pension_kind"),
        (lambda: {"acquired_on": None}, "acquired_on"),
        (lambda: {"acquired_on": today() + timedelta(days=1)}, "acquired_on"),
        (lambda: {"lost_on": today() - timedelta(days=60)}, "lost_on"),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_written(
    family: DraftRecorded, pension_clerk: User, overrides: Callable[[], dict[str, Any]], field: str
) -> None:
    with pytest.raises(DomainError) as raised:
        record_program(
            actor=pension_clerk, purpose=PURPOSE, update=pension(family.atena_numbers[0], **overrides())
        )
    assert raised.value.field == field
    assert raised.value.remedy
    assert not ProgramRecord.objects.exists()


def test_the_same_state_twice_is_refused_so_history_holds_only_changes(
    family: DraftRecorded, pension_clerk: User
) -> None:
    record_program(actor=pension_clerk, purpose=PURPOSE, update=pension(family.atena_numbers[0]))
    with pytest.raises(DomainError) as raised:
        record_program(actor=pension_clerk, purpose=PURPOSE, update=pension(family.atena_numbers[0]))
    assert raised.value.code == "registry.program.unchanged"
    assert ProgramRecord.objects.count() == 1


def test_child_allowance_months_and_the_voter_list_flag(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    child = family.atena_numbers[2]
    allowance = make_clerk("kodomo", Permission.PROGRAM_CHILD_ALLOWANCE_EDIT)
    update = ProgramUpdate(
        atena_number=child,
        program=Program.CHILD_ALLOWANCE,
        enrolled=True,
        first_month="2026-04",
        last_month="2026-03",
    )
    with pytest.raises(DomainError) as raised:
        record_program(actor=allowance, purpose=PURPOSE, update=update)
    assert raised.value.field == "last_month"
    record_program(
        actor=allowance,
        purpose=PURPOSE,
        update=ProgramUpdate(
            atena_number=child, program=Program.CHILD_ALLOWANCE, enrolled=True, first_month="2026-04"
        ),
    )
    voters = make_clerk("senkyo", Permission.PROGRAM_ELECTORAL_ROLL_EDIT)
    record_program(
        actor=voters,
        purpose=PURPOSE,
        update=ProgramUpdate(atena_number=child, program=Program.ELECTORAL_ROLL, enrolled=True),
    )
    rows = {row.program: row for row in ProgramRecord.objects.all()}
    assert rows["child_allowance"].details == {"first_month": "2026-04", "last_month": ""}
    assert rows["electoral_roll"].acquired_on is None


def test_a_draft_person_cannot_be_given_a_program(
    clerk: User, pension_clerk: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    with pytest.raises(DomainError) as raised:
        record_program(actor=pension_clerk, purpose=PURPOSE, update=pension(draft.atena_numbers[0]))
    assert raised.value.field == "atena_number"


def _api(path: str) -> str:
    return f"/api/registry/programs{path}"


def test_api_permission_matrix_and_round_trip(
    family: DraftRecorded, make_staff: Callable[..., Any], pension_clerk: User
) -> None:
    head = family.atena_numbers[0]
    body = {
        "purpose": PURPOSE,
        "atena_number": head,
        "program": "national_pension",
        "enrolled": True,
        "acquired_on": (today() - timedelta(days=3)).isoformat(),
        "basic_pension_number": PENSION_NUMBER,
        "pension_kind": "第3号被保険者",
    }
    assert_permission_triple(
        make_staff,
        "post",
        _api(""),
        Permission.PROGRAM_NATIONAL_PENSION_EDIT,
        data=json.dumps(body),
        content_type="application/json",
        success_status=(201,),
    )
    lookup = json.dumps({"purpose": PURPOSE, "atena_number": head})
    assert_permission_triple(
        make_staff,
        "post",
        _api("/status"),
        Permission.RESIDENT_VIEW,
        data=lookup,
        content_type="application/json",
    )
    answer = logged_in(pension_clerk).post(_api("/status"), data=lookup, content_type="application/json")
    current = answer.json()["current"]
    assert [(c["program"], c["basic_pension_number"], c["pension_kind"]) for c in current] == [
        ("national_pension", "1234567890", "第3号被保険者")
    ]
    bad = logged_in(pension_clerk).post(
        _api(""), data=json.dumps({**body, "basic_pension_number": "1"}), content_type="application/json"
    )
    assert bad.status_code == 400
    assert bad.json()["field"] == "basic_pension_number"


def test_screens_permission_matrix_and_the_status_page(
    family: DraftRecorded, make_staff: Callable[..., Any], make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:program_record"),
        Permission.PROGRAM_ELECTORAL_ROLL_EDIT,
        data={"purpose": PURPOSE, "atena_number": head, "program": "electoral_roll", "enrolled": "1"},
    )
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:programs"),
        Permission.RESIDENT_VIEW,
        data={"purpose": PURPOSE, "atena_number": head},
    )
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    page = logged_in(viewer).post(reverse("registry:programs"), {"purpose": PURPOSE, "atena_number": head})
    assert "選挙人名簿" in page.content.decode()
    pension_clerk = make_clerk("pension2", Permission.PROGRAM_NATIONAL_PENSION_EDIT)
    error = logged_in(pension_clerk).post(
        reverse("registry:program_record"),
        {
            "purpose": PURPOSE,
            "atena_number": head,
            "program": "national_pension",
            "enrolled": "1",
            "acquired_on": today().isoformat(),
            "basic_pension_number": "12345",
            "pension_kind": "第1号被保険者",
        },
    )
    assert "基礎年金番号の形式が正しくありません" in error.content.decode()
    assert ProgramRecord.objects.filter(program="national_pension").count() == 0

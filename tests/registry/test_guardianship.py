"""The 成年被後見人 flag (std 1.1.1-c): non-statutory, held like a program flag with its dates.

Set and cleared only by the duty that owns it, history appended and audited; shown (audited) only to a
holder of its view permission, on the record screen and in the program inquiry; never on a certificate
(tests/certificates/test_guardianship_not_printed.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.registry.models import ProgramRecord
from jumin.registry.programs import Program, ProgramUpdate, program_status, record_program
from jumin.registry.services import DraftRecorded
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import family, today

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here


@pytest.fixture
def guardianship_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "guardianship",
        Permission.RESIDENT_VIEW,
        Permission.PROGRAM_ADULT_GUARDIANSHIP_EDIT,
        Permission.PROGRAM_ADULT_GUARDIANSHIP_VIEW,
    )


def guardianship(atena: str, *, enrolled: bool = True) -> ProgramUpdate:
    started = today() - timedelta(days=60)
    return ProgramUpdate(
        atena_number=atena,
        program=Program.ADULT_GUARDIANSHIP,
        enrolled=enrolled,
        acquired_on=started,
        lost_on=None if enrolled else today() - timedelta(days=1),
        reason="後見開始の審判" if enrolled else "後見終了",
    )


def test_set_then_cleared_by_its_duty_with_history_and_audit(
    family: DraftRecorded, guardianship_clerk: User
) -> None:
    head = family.atena_numbers[0]
    record_program(actor=guardianship_clerk, purpose=PURPOSE, update=guardianship(head))
    record_program(actor=guardianship_clerk, purpose=PURPOSE, update=guardianship(head, enrolled=False))
    status = program_status(actor=guardianship_clerk, purpose=PURPOSE, atena_number=head)
    assert [(e.program, e.enrolled, e.lost_on != "") for e in status.current] == [
        ("adult_guardianship", False, True)
    ]
    assert [e.enrolled for e in status.history] == [False, True]  # history appended, newest first
    records = AuditEntry.objects.filter(action="resident:program:record", outcome="done")
    assert records.count() == 2


def test_another_department_may_neither_set_nor_see_it(
    family: DraftRecorded, guardianship_clerk: User, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    nhi = make_clerk("nhi", Permission.RESIDENT_VIEW, Permission.PROGRAM_NATIONAL_HEALTH_INSURANCE_EDIT)
    with pytest.raises(AccessRefused):
        record_program(actor=nhi, purpose=PURPOSE, update=guardianship(head))
    assert not ProgramRecord.objects.exists()
    record_program(actor=guardianship_clerk, purpose=PURPOSE, update=guardianship(head))
    assert program_status(actor=nhi, purpose=PURPOSE, atena_number=head).history == []
    seen = program_status(actor=guardianship_clerk, purpose=PURPOSE, atena_number=head)
    assert [e.program for e in seen.current] == ["adult_guardianship"]


def test_the_record_screen_shows_it_only_with_the_view_permission(
    family: DraftRecorded, guardianship_clerk: User, clerk: User, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    record_program(actor=guardianship_clerk, purpose=PURPOSE, update=guardianship(head))
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW, Permission.PROGRAM_ADULT_GUARDIANSHIP_VIEW)
    form = {"purpose": PURPOSE, "atena_number": head}
    plain = logged_in(clerk).post(reverse("registry:lookup"), form).content.decode()
    assert "成年被後見人" not in plain
    before = AuditEntry.objects.filter(action="resident:program:view", subject_id=head).count()
    shown = logged_in(viewer).post(reverse("registry:lookup"), form).content.decode()
    assert "成年被後見人" in shown
    assert (today() - timedelta(days=60)).isoformat() in shown
    after = AuditEntry.objects.filter(action="resident:program:view", subject_id=head).count()
    assert after == before + 1  # the read of the flag is audited with the person
    record_program(actor=guardianship_clerk, purpose=PURPOSE, update=guardianship(head, enrolled=False))
    cleared = logged_in(viewer).post(reverse("registry:lookup"), form).content.decode()
    assert "成年被後見人" not in cleared

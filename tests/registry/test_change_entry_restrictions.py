"""異動入力 抑止 at draft entry (standard 3.1-b), in every workflow that enters a draft about existing
people: an error refuses the draft (audited, nothing written), an alert goes with the draft, a
household 抑止 holds its members, a 一時解除 lets the draft through."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.wareki import WarekiDate
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services import Address, DraftRecorded
from jumin.registry.services_restrictions import ReleaseTarget, SuppressionScope, release_temporarily
from jumin.registry.workflows.birth import record_birth
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.disappearance import record_disappearance
from jumin.registry.workflows.ex_officio import (
    ExOfficioRecording,
    record_ex_officio_correction,
    record_ex_officio_recording,
    record_ex_officio_removal,
)
from jumin.registry.workflows.household_change import HouseholdChangeKind, record_household_change
from jumin.registry.workflows.move_in_notice import record_move_in_notice
from jumin.registry.workflows.move_out import record_move_out
from jumin.registry.workflows.move_within import record_move_within
from jumin.registry.workflows.names import FormerSurnameOperation, record_former_surname_request
from jumin.registry.workflows.naturalisation import record_loss_of_nationality
from jumin.registry.workflows.number_changes import record_resident_code_change
from jumin.registry.workflows.reorganisation import record_reorganisation
from jumin.registry.workflows.restoration import record_restoration
from tests.registry.conftest import PURPOSE, person
from tests.registry.test_birth import birth
from tests.registry.test_cancellation import cancel
from tests.registry.test_disappearance import disappearance
from tests.registry.test_ex_officio import book, correction, removal
from tests.registry.test_household_change import change
from tests.registry.test_move_in_notice import moved_out, notice
from tests.registry.test_move_out import move_out
from tests.registry.test_move_within import move
from tests.registry.test_names import former
from tests.registry.test_naturalisation import loss
from tests.registry.test_number_changes import request
from tests.registry.test_reorganisation import reorganise
from tests.registry.test_restoration import restore
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["officer"]  # the fixture, imported for use here

CHANGE = RestrictedProcess.CHANGE_ENTRY
# A draft about the family's child (宛名番号 f[2]), entered by ``clerk``.
Entry = Callable[[User, DraftRecorded], DraftRecorded]


def _death(clerk: User, f: DraftRecorded) -> DraftRecorded:
    today = clock.today()
    return record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=f.atena_numbers[2], death_date=today, notification_date=today),
    )


ENTRIES: dict[str, tuple[Entry, str]] = {
    "cancellation": (lambda c, f: cancel(c, f.change_id), "resident:cancellation:record"),
    "death": (_death, "resident:death:record"),
    "loss_of_nationality": (
        lambda c, f: record_loss_of_nationality(actor=c, purpose=PURPOSE, loss=loss(f.atena_numbers[2])),
        "resident:nationality:record",
    ),
    "move_out": (
        lambda c, f: record_move_out(actor=c, purpose=PURPOSE, move_out=move_out([f.atena_numbers[2]])),
        "resident:move_out:record",
    ),
    "move_within": (
        lambda c, f: record_move_within(actor=c, purpose=PURPOSE, move=move(list(f.atena_numbers))),
        "resident:move_within:record",
    ),
    "household_split": (
        lambda c, f: record_household_change(
            actor=c,
            purpose=PURPOSE,
            change=change(
                HouseholdChangeKind.SPLIT,
                f.household_number,
                members=[f.atena_numbers[2]],
                relationships={f.atena_numbers[2]: "世帯主"},
            ),
        ),
        "resident:household_change:record",
    ),
    "former_surname": (
        lambda c, f: record_former_surname_request(
            actor=c,
            purpose=PURPOSE,
            request=former(f.atena_numbers[2], FormerSurnameOperation.RECORD, "佐藤", "サトウ"),
        ),
        "resident:former_surname:record",
    ),
    "ex_officio_removal": (
        lambda c, f: record_ex_officio_removal(
            actor=c, purpose=PURPOSE, removal=removal([f.atena_numbers[2]])
        ),
        "resident:ex_officio:record",
    ),
    "ex_officio_correction": (
        lambda c, f: record_ex_officio_correction(
            actor=c, purpose=PURPOSE, correction=correction([f.atena_numbers[2]], {"surname": "佐藤"})
        ),
        "resident:ex_officio:record",
    ),
    "reorganisation": (
        lambda c, f: record_reorganisation(
            actor=c, purpose=PURPOSE, reorganisation=reorganise([f.atena_numbers[2]])
        ),
        "resident:reorganisation:record",
    ),
    "restoration": (
        lambda c, f: record_restoration(actor=c, purpose=PURPOSE, restoration=restore([f.atena_numbers[2]])),
        "resident:restoration:record",
    ),
    "disappearance": (
        lambda c, f: record_disappearance(
            actor=c, purpose=PURPOSE, disappearance=disappearance(f.atena_numbers[2])
        ),
        "resident:disappearance:record",
    ),
    "resident_code_change": (
        lambda c, f: record_resident_code_change(
            actor=c, purpose=PURPOSE, request=request(f.atena_numbers[2])
        ),
        "resident:juminhyo_code:change",
    ),
}
WORKFLOWS = pytest.mark.parametrize("workflow", sorted(ENTRIES))


def _drafts() -> tuple[int, int]:
    return Change.objects.count(), ResidentSnapshot.objects.filter(history_no__isnull=True).count()


@WORKFLOWS
def test_an_error_on_the_person_refuses_the_draft_writes_nothing_and_is_audited(
    workflow: str, family: DraftRecorded, officer: User, clerk: User
) -> None:
    enter, action = ENTRIES[workflow]
    suppress(officer, family.atena_numbers[2], process=CHANGE)
    before = _drafts()
    with pytest.raises(DomainError) as error:
        enter(clerk, family)
    assert error.value.code == "registry.restricted"
    assert "抑止" in error.value.remedy
    assert _drafts() == before
    refused = AuditEntry.objects.filter(outcome="refused", outcome_reason="restricted")
    assert list(refused.values_list("action", flat=True)) == [action]


@WORKFLOWS
def test_an_alert_goes_with_the_draft(
    workflow: str, family: DraftRecorded, officer: User, clerk: User
) -> None:
    enter, _ = ENTRIES[workflow]
    suppress(officer, family.atena_numbers[2], process=CHANGE, level=RestrictionLevel.ALERT)
    draft = enter(clerk, family)
    assert "registry.suppressed" in [a.code for a in draft.alerts]


@WORKFLOWS
def test_a_household_error_holds_its_member(
    workflow: str, family: DraftRecorded, officer: User, clerk: User
) -> None:
    enter, _ = ENTRIES[workflow]
    suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD, process=CHANGE)
    with pytest.raises(DomainError) as error:
        enter(clerk, family)
    assert error.value.code == "registry.restricted"


@WORKFLOWS
def test_a_temporary_release_lets_the_draft_through(
    workflow: str, family: DraftRecorded, officer: User, clerk: User
) -> None:
    enter, _ = ENTRIES[workflow]
    child = family.atena_numbers[2]
    suppress(officer, child, process=CHANGE)
    release_temporarily(
        actor=officer,
        purpose=PURPOSE,
        atena_number=child,
        process=CHANGE,
        target=ReleaseTarget.SUPPRESSION,
        reason="審査済み",
    )
    draft = enter(clerk, family)
    assert Change.objects.filter(pk=draft.change_id).exists()
    assert "registry.suppressed" not in [a.code for a in draft.alerts]


def test_an_unrelated_suppression_does_not_hold_the_draft(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    # Another process (証明書発行) and another person (the head) do not stop the child's 死亡.
    suppress(officer, family.atena_numbers[2], process=RestrictedProcess.CERTIFICATE)
    suppress(officer, family.atena_numbers[0], process=CHANGE)
    assert _death(clerk, family).alerts == ()


def test_a_birth_into_a_suppressed_household_is_refused(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD, process=CHANGE)
    before = _drafts()
    with pytest.raises(DomainError) as error:
        record_birth(actor=clerk, purpose=PURPOSE, birth=birth(family.household_number))
    assert error.value.code == "registry.restricted"
    assert _drafts() == before
    assert AuditEntry.objects.filter(
        action="resident:birth:record", outcome="refused", outcome_reason="restricted"
    ).exists()


def test_a_move_within_into_a_suppressed_household_is_refused(
    family: DraftRecorded, officer: User, clerk: User, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    # The child leaves for a household of their own, which is then suppressed; the head joins it.
    head, _wife, child = family.atena_numbers
    split = commit(
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=change(
                HouseholdChangeKind.SPLIT,
                family.household_number,
                members=[child],
                relationships={child: "世帯主"},
            ),
        )
    )
    suppress(officer, split.household_number, scope=SuppressionScope.HOUSEHOLD, process=CHANGE)
    with pytest.raises(DomainError) as error:
        record_move_within(
            actor=clerk,
            purpose=PURPOSE,
            move=move([head], household_number=split.household_number, relationships={head: "父"}),
        )
    assert error.value.code == "registry.restricted"


def test_an_ex_officio_recording_into_a_suppressed_household_is_refused(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD, process=CHANGE)
    recording = ExOfficioRecording(
        members=[person("青木", "次郎", "アオキ", "ジロウ", relationship="子")],
        address=Address(address="長崎県佐世保市島瀬町1番1号"),
        address_set_date=WarekiDate("reiwa", 8, 10, 1),
        previous_address="不明",
        record=book(grounds="実態調査により居住の事実を確認"),
        household_number=family.household_number,
    )
    before = _drafts()
    with pytest.raises(DomainError) as error:
        record_ex_officio_recording(actor=clerk, purpose=PURPOSE, recording=recording)
    assert error.value.code == "registry.restricted"
    assert _drafts() == before


def test_a_move_in_notice_for_a_suppressed_person_is_refused(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    moved_out(clerk, reviewer, [child], clock.today())
    suppress(officer, child, process=CHANGE)
    before = _drafts()
    with pytest.raises(DomainError) as error:
        record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([child]))
    assert error.value.code == "registry.restricted"
    assert _drafts() == before

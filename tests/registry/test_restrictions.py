"""抑止 and 支援措置 (standard 3.1, 3.4): the read interface, the services and registry enforcement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import override_settings

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry import selectors
from jumin.registry.models import Resident, SupportMeasure, SupportMeasurePeriod, Suppression
from jumin.registry.restrictions import (
    RestrictedProcess,
    RestrictionLevel,
    check_restrictions,
    restriction_marks,
)
from jumin.registry.selectors_restrictions import person_notices
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.services_restrictions import (
    ReleaseTarget,
    SupportApplication,
    SupportEndReason,
    SuppressionReason,
    SuppressionRequest,
    SuppressionScope,
    create_support_measure,
    edit_support_end,
    end_support,
    extend_support,
    lift_suppression,
    release_temporarily,
    set_suppression,
    start_support,
)
from jumin.registry.workflows.death import Death, record_death
from tests.registry.conftest import PURPOSE, person
from tests.registry.test_move_in import family_move_in
from tests.registry.test_move_out import family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

CHANGE = RestrictedProcess.CHANGE_ENTRY
CERT = RestrictedProcess.CERTIFICATE
INQUIRY = RestrictedProcess.INQUIRY


@pytest.fixture
def officer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "officer",
        Permission.SUPPRESSION_MANAGE,
        Permission.SUPPRESSION_RELEASE,
        Permission.SUPPORT_MEASURE_MANAGE,
        Permission.SUPPORT_MEASURE_VIEW,
        Permission.RESIDENT_VIEW,
    )


def suppress(
    actor: User,
    target: str,
    *,
    process: RestrictedProcess = CERT,
    level: RestrictionLevel = RestrictionLevel.ERROR,
    scope: SuppressionScope = SuppressionScope.PERSON,
    **extra: Any,
) -> int:
    values: dict[str, Any] = {
        "scope": scope,
        "target_number": target,
        "process": process,
        "level": level,
        "start_date": clock.today(),
        "reason": SuppressionReason.OTHER,
        "reason_text": "調査中",
    }
    values.update(extra)
    return set_suppression(actor=actor, purpose=PURPOSE, request=SuppressionRequest(**values))


def application(applicant: str, **extra: Any) -> SupportApplication:
    values: dict[str, Any] = {
        "applicant": applicant,
        "covered_services": ["inspection", "copies"],
        "received_on": clock.today(),
        "perpetrator": "加害者の情報（合成データ）",
        "period_start": clock.today(),
    }
    values.update(extra)
    return SupportApplication(**values)


def audited(action: str, outcome: str = "done") -> int:
    return AuditEntry.objects.filter(action=action, outcome=outcome).count()


# --- suppressions ------------------------------------------------------------------------------


def test_a_person_suppression_blocks_only_its_process_and_only_that_person(
    family: DraftRecorded, officer: User
) -> None:
    head, wife, _child = family.atena_numbers
    suppress(officer, head, process=CERT)
    assert check_restrictions([head], process=CERT).blocked
    assert not check_restrictions([head], process=INQUIRY).blocked
    assert not check_restrictions([wife], process=CERT).blocked
    finding = check_restrictions([wife, head], process=CERT).findings[0]
    assert (finding.atena_number, finding.source, finding.code) == (
        head,
        "suppression",
        "registry.suppressed",
    )
    assert audited("resident:suppression:set") == 1


def test_a_household_suppression_holds_every_current_member(family: DraftRecorded, officer: User) -> None:
    suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD, process=INQUIRY)
    check = check_restrictions(family.atena_numbers, process=INQUIRY)
    assert sorted(f.atena_number for f in check.findings) == sorted(family.atena_numbers)
    assert check.blocked


def test_several_suppressions_apply_at_once_and_alerts_are_listed_apart(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=CHANGE, level=RestrictionLevel.ALERT)
    suppress(officer, head, process=CHANGE, level=RestrictionLevel.ALERT, reason=SuppressionReason.EDIT_LOCK)
    check = check_restrictions([head], process=CHANGE)
    assert len(check.findings) == 2
    assert len(check.alerts) == 2
    assert not check.blocked
    suppress(officer, head, process=CHANGE, level=RestrictionLevel.ERROR)
    assert check_restrictions([head], process=CHANGE).blocked


def test_an_end_date_that_has_passed_does_not_lift_a_suppression(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, start_date=date(2020, 1, 1), end_date=date(2020, 12, 31))
    assert check_restrictions([head], process=CERT, on=date(2030, 1, 1)).blocked
    # Not yet in force before its start.
    assert not check_restrictions([head], process=CERT, on=date(2019, 12, 31)).blocked


def test_lifting_keeps_the_row_with_who_when_and_why(family: DraftRecorded, officer: User) -> None:
    head = family.atena_numbers[0]
    suppression_id = suppress(officer, head)
    lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    assert not check_restrictions([head], process=CERT).blocked
    row = Suppression.objects.get(pk=suppression_id)
    assert (row.lifted_by, row.lift_reason) == (officer, "調査終了")
    assert row.lifted_at is not None
    with pytest.raises(DomainError) as error:
        lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="再度")
    assert error.value.code == "registry.no_such_suppression"
    assert audited("resident:suppression:lift") == 1


def test_bad_suppression_input_changes_nothing(family: DraftRecorded, officer: User) -> None:
    head = family.atena_numbers[0]
    with pytest.raises(DomainError) as error:
        suppress(officer, head, end_date=clock.today() - timedelta(days=1))
    assert error.value.field == "end_date"
    with pytest.raises(DomainError) as error:
        suppress(officer, head, reason_text="")
    assert error.value.field == "reason_text"
    with pytest.raises(DomainError) as error:
        suppress(officer, "999999999999")
    assert error.value.field == "target_number"
    assert not Suppression.objects.exists()


def test_setting_and_lifting_and_releasing_are_separate_permissions(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    head = family.atena_numbers[0]
    releaser = make_clerk("releaser", Permission.SUPPRESSION_RELEASE)
    manager = make_clerk("manager", Permission.SUPPRESSION_MANAGE)
    with pytest.raises(AccessRefused):
        suppress(releaser, head)
    suppression_id = suppress(manager, head)
    with pytest.raises(AccessRefused):
        release_temporarily(
            actor=manager,
            purpose=PURPOSE,
            atena_number=head,
            process=CERT,
            target=ReleaseTarget.SUPPRESSION,
            reason="本人確認済み",
        )
    with pytest.raises(AccessRefused):
        lift_suppression(actor=releaser, purpose=PURPOSE, suppression_id=suppression_id, reason="x")
    assert audited("resident:suppression:set", "refused") == 1
    assert audited("resident:restriction:release", "refused") == 1
    assert audited("resident:suppression:lift", "refused") == 1


@override_settings(JUMIN_TEMPORARY_RELEASE_MINUTES=10)
def test_a_temporary_release_covers_its_process_and_reverts_by_itself(
    family: DraftRecorded, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=CERT)
    suppress(officer, head, process=INQUIRY)
    granted = release_temporarily(
        actor=officer,
        purpose=PURPOSE,
        atena_number=head,
        process=CERT,
        target=ReleaseTarget.SUPPRESSION,
        reason="本人確認済み",
    )
    check = check_restrictions([head], process=CERT)
    assert not check.blocked
    assert [f.released for f in check.findings] == [True]
    assert check_restrictions([head], process=INQUIRY).blocked  # another process is not covered
    assert audited("resident:restriction:release") == 1
    later = granted.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert check_restrictions([head], process=CERT).blocked
    assert granted.expires_at - timedelta(minutes=10) <= later


def test_a_release_needs_something_to_release(family: DraftRecorded, officer: User) -> None:
    with pytest.raises(DomainError) as error:
        release_temporarily(
            actor=officer,
            purpose=PURPOSE,
            atena_number=family.atena_numbers[0],
            process=CERT,
            target=ReleaseTarget.SUPPRESSION,
            reason="念のため",
        )
    assert error.value.code == "registry.nothing_to_release"


def test_marks_cover_a_page_in_a_few_queries(
    family: DraftRecorded, officer: User, django_assert_max_num_queries: Any
) -> None:
    head, wife, child = family.atena_numbers
    suppress(officer, head, process=INQUIRY)
    create_support_measure(actor=officer, purpose=PURPOSE, application=application(wife))
    with django_assert_max_num_queries(3):
        marks = restriction_marks([head, wife, child, "000000000000"])
    assert (marks[head].suppressed, marks[head].support_measure) == (True, False)
    assert (marks[wife].suppressed, marks[wife].support_measure) == (False, True)
    assert (marks[child].suppressed, marks[child].support_measure) == (False, False)
    assert not marks["000000000000"].suppressed


# --- support measures --------------------------------------------------------------------------


def test_a_support_measure_blocks_certificates_for_applicant_and_co_applicants_only(
    family: DraftRecorded, officer: User
) -> None:
    head, wife, child = family.atena_numbers
    measure_id = create_support_measure(
        actor=officer, purpose=PURPOSE, application=application(wife, co_applicants=[child])
    )
    check = check_restrictions([head, wife], process=CERT)
    assert check.blocked
    assert check.support_measure
    assert [f.atena_number for f in check.findings] == [wife]
    assert check.findings[0].code == "registry.support_measure_target"
    assert check_restrictions([child], process=CERT).blocked
    assert not check_restrictions([head], process=CERT).blocked
    assert not check_restrictions([wife], process=INQUIRY).findings
    period = SupportMeasurePeriod.objects.get(measure_id=measure_id)
    start = clock.today()
    assert period.start == start
    # The perpetrator never reaches the audit log.
    entry = AuditEntry.objects.get(action="resident:support_measure:create")
    assert "加害者" not in entry.reason
    assert entry.support_measure


def test_a_provisional_measure_blocks_too_and_starting_it_records_the_period(
    family: DraftRecorded, officer: User
) -> None:
    wife = family.atena_numbers[1]
    measure_id = create_support_measure(
        actor=officer, purpose=PURPOSE, application=application(wife, provisional=True, period_start=None)
    )
    check = check_restrictions([wife], process=CERT)
    assert check.findings[0].source == "provisional_support_measure"
    assert check.blocked
    assert person_notices(wife).provisional
    period = start_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, start=date(2025, 4, 1))
    assert (period.start, period.end) == (date(2025, 4, 1), date(2026, 3, 31))
    assert check_restrictions([wife], process=CERT).findings[0].source == "support_measure"
    with pytest.raises(DomainError) as error:
        start_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, start=date(2025, 4, 1))
    assert error.value.code == "registry.support_already_started"


def test_the_support_block_is_released_only_with_the_support_permission(
    family: DraftRecorded, officer: User, make_clerk: Callable[..., User]
) -> None:
    wife = family.atena_numbers[1]
    create_support_measure(actor=officer, purpose=PURPOSE, application=application(wife))
    releaser = make_clerk("releaser", Permission.SUPPRESSION_RELEASE)
    with pytest.raises(AccessRefused):
        release_temporarily(
            actor=releaser,
            purpose=PURPOSE,
            atena_number=wife,
            process=CERT,
            target=ReleaseTarget.SUPPORT_MEASURE,
            reason="本人請求",
        )
    release_temporarily(
        actor=officer,
        purpose=PURPOSE,
        atena_number=wife,
        process=CERT,
        target=ReleaseTarget.SUPPORT_MEASURE,
        reason="本人請求",
    )
    check = check_restrictions([wife], process=CERT)
    assert not check.blocked
    assert check.support_measure  # the pop-up still shows


def test_extension_window_and_new_period(family: DraftRecorded, officer: User) -> None:
    wife = family.atena_numbers[1]
    measure_id = create_support_measure(
        actor=officer, purpose=PURPOSE, application=application(wife, period_start=date(2020, 4, 1))
    )
    with pytest.raises(DomainError) as error:
        extend_support(
            actor=officer, purpose=PURPOSE, measure_id=measure_id, processing_date=date(2021, 2, 27)
        )
    assert error.value.code == "support_period.extension_too_early"
    period = extend_support(
        actor=officer, purpose=PURPOSE, measure_id=measure_id, processing_date=date(2021, 3, 10)
    )
    assert (period.start, period.end) == (date(2021, 4, 1), date(2022, 3, 31))
    kinds = list(
        SupportMeasurePeriod.objects.filter(measure_id=measure_id).order_by("pk").values_list("kind", "end")
    )
    assert kinds == [("initial", date(2021, 3, 31)), ("extension", date(2022, 3, 31))]
    assert audited("resident:support_measure:extend") == 1


def test_an_edited_end_date_is_appended_and_moves_the_window(family: DraftRecorded, officer: User) -> None:
    wife = family.atena_numbers[1]
    measure_id = create_support_measure(
        actor=officer, purpose=PURPOSE, application=application(wife, period_start=date(2020, 4, 1))
    )
    edit_support_end(actor=officer, purpose=PURPOSE, measure_id=measure_id, end=date(2020, 9, 30))
    with pytest.raises(DomainError):
        edit_support_end(actor=officer, purpose=PURPOSE, measure_id=measure_id, end=date(2020, 3, 1))
    # Window now opens 2020-08-30, and the extension starts the day after the edited end.
    period = extend_support(
        actor=officer, purpose=PURPOSE, measure_id=measure_id, processing_date=date(2020, 8, 30)
    )
    assert (period.start, period.end) == (date(2020, 10, 1), date(2021, 9, 30))
    assert SupportMeasurePeriod.objects.filter(measure_id=measure_id).count() == 3


def test_the_block_lasts_until_staff_end_the_measure(family: DraftRecorded, officer: User) -> None:
    wife = family.atena_numbers[1]
    start = clock.today() - timedelta(days=800)
    measure_id = create_support_measure(
        actor=officer, purpose=PURPOSE, application=application(wife, period_start=start)
    )
    assert check_restrictions([wife], process=CERT).blocked  # period over, still in force
    notices = person_notices(wife)
    assert [a.code for a in notices.alerts] == ["support_period.ended_without_extension"]
    end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.EXPIRY)
    assert not check_restrictions([wife], process=CERT).findings
    measure = SupportMeasure.objects.get(pk=measure_id)
    assert (measure.end_reason, measure.ended_by) == ("expiry", officer)
    with pytest.raises(DomainError):
        end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.REQUEST)


def test_ending_for_expiry_is_refused_while_the_period_runs(family: DraftRecorded, officer: User) -> None:
    wife = family.atena_numbers[1]
    measure_id = create_support_measure(actor=officer, purpose=PURPOSE, application=application(wife))
    with pytest.raises(DomainError) as error:
        end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.EXPIRY)
    assert error.value.code == "registry.support_not_expired"
    end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.DECISION)
    assert SupportMeasure.objects.get(pk=measure_id).ended_at is not None


def test_alert_in_the_last_month_of_the_period(family: DraftRecorded, officer: User) -> None:
    wife = family.atena_numbers[1]
    create_support_measure(
        actor=officer,
        purpose=PURPOSE,
        application=application(wife, period_start=clock.today() - timedelta(days=350)),
    )
    assert [a.code for a in person_notices(wife).alerts] == ["support_period.ends_within_one_month"]
    assert person_notices(family.atena_numbers[0]).alerts == ()


def test_bad_support_input_changes_nothing(family: DraftRecorded, officer: User) -> None:
    wife = family.atena_numbers[1]
    for bad in (
        application(wife, covered_services=[]),
        application(wife, covered_services=["unknown"]),
        application(wife, co_applicants=["999999999999"]),
        application(wife, period_start=None),
        application(wife, period_end=clock.today() - timedelta(days=1)),
    ):
        with pytest.raises(DomainError):
            create_support_measure(actor=officer, purpose=PURPOSE, application=bad)
    assert not SupportMeasure.objects.exists()


# --- enforcement in the registry ---------------------------------------------------------------


def test_an_inquiry_error_refuses_the_record_and_is_audited(family: DraftRecorded, officer: User) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=INQUIRY)
    with pytest.raises(DomainError) as error:
        selectors.resident_record(actor=officer, purpose=PURPOSE, atena_number=head)
    assert error.value.code == "registry.restricted"
    with pytest.raises(DomainError):
        selectors.resident_history(actor=officer, purpose=PURPOSE, atena_number=head)
    refused = AuditEntry.objects.filter(outcome="refused", outcome_reason="restricted")
    assert sorted(refused.values_list("action", flat=True)) == [
        "resident:history:view",
        "resident:record:view",
    ]
    assert audited("resident:record:view") == 0


def test_an_inquiry_alert_needs_an_audited_acknowledgment(family: DraftRecorded, officer: User) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=INQUIRY, level=RestrictionLevel.ALERT)
    with pytest.raises(DomainError) as error:
        selectors.resident_record(actor=officer, purpose=PURPOSE, atena_number=head)
    assert error.value.code == "registry.alerts_not_acknowledged"
    assert "registry.suppressed" in error.value.reason  # the alert is named by its code
    view = selectors.resident_record(
        actor=officer, purpose=PURPOSE, atena_number=head, acknowledged_alerts=["registry.suppressed"]
    )
    assert view.atena_number == head
    assert audited("resident:restriction:acknowledge") == 1
    assert audited("resident:record:view") == 1


def test_a_change_entry_error_refuses_commit_of_any_workflow(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    draft = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=child, death_date=clock.today(), notification_date=clock.today()),
    )
    suppress(officer, child, process=CHANGE)
    with pytest.raises(DomainError) as error:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert error.value.code == "registry.restricted"
    assert AuditEntry.objects.filter(
        action="resident:change:commit", outcome="refused", outcome_reason="restricted"
    ).exists()
    assert Resident.objects.get(atena_number=child).current.history_no == 1  # type: ignore[union-attr]


def test_a_change_entry_alert_travels_with_the_draft_and_is_acknowledged_at_commit(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    suppress(
        officer,
        family.household_number,
        scope=SuppressionScope.HOUSEHOLD,
        process=CHANGE,
        level=RestrictionLevel.ALERT,
    )
    joining = family_move_in(
        members=[person("青木", "花子", "アオキ", "ハナコ", relationship="子")],
        household_number=family.household_number,
    )
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=joining,
    )
    assert "registry.suppressed" in [a.code for a in draft.alerts]
    with pytest.raises(DomainError) as error:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert error.value.code == "registry.alerts_not_acknowledged"
    commit_change(
        actor=reviewer,
        purpose=PURPOSE,
        change_id=draft.change_id,
        acknowledged_alerts=["registry.suppressed"],
    )
    assert audited("resident:restriction:acknowledge") == 1
    commit = AuditEntry.objects.get(
        action="resident:change:commit", outcome="done", subject_id=str(draft.change_id)
    )
    # The joining child is sent the household's 抑止 (3.2-a feed); a 異動入力 抑止 makes no CS mark.
    assert commit.reason == "acknowledged=registry.suppressed; feed events=1 cs_marks=0 no_code=0"


def test_a_change_entry_error_on_the_household_refuses_the_draft(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    suppress(officer, family.household_number, scope=SuppressionScope.HOUSEHOLD, process=CHANGE)
    joining = family_move_in(
        members=[person("青木", "花子", "アオキ", "ハナコ", relationship="子")],
        household_number=family.household_number,
    )
    with pytest.raises(DomainError) as error:
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=joining,
        )
    assert error.value.code == "registry.restricted"
    assert AuditEntry.objects.filter(
        action="resident:move_in:record", outcome="refused", outcome_reason="restricted"
    ).exists()

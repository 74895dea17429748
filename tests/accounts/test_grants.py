"""Duties, grants and their lifecycle (controls.md C-8 to C-18, C-89)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from jumin.accounts import clock, grants
from jumin.accounts.authorization import AccessRefused, has_permission, mask, visible_fields
from jumin.accounts.duties import BOOTSTRAP_ADMIN_PERMISSIONS, DUTIES, FIELD_PERMISSIONS
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import Grant, GrantApplication, GrantRegisterEntry, StaffPerson, User
from jumin.accounts.permissions import Permission
from jumin.accounts.selectors import reconciliation_report
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, log_in, make_person, make_user, terminal_client

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
PURPOSE = "権限管理"


@pytest.fixture
def section_head() -> User:
    user = make_user(username="head")
    grant_permissions(
        user, [Permission.STAFF_GRANT_REQUEST, Permission.HR_EVENT_RECORD, Permission.CONTRACT_MANAGE]
    )
    return user


@pytest.fixture
def it_head() -> User:
    user = make_user(username="ithead")
    grant_permissions(user, [Permission.STAFF_GRANT_APPROVE, Permission.STAFF_GRANT_REPORT])
    return user


def at(monkeypatch: pytest.MonkeyPatch, *args: int) -> None:
    moment = datetime(*args, tzinfo=TOKYO)  # type: ignore[misc]
    monkeypatch.setattr(clock, "now", lambda: moment)


def apply_and_approve(
    head: User, it: User, grantee: User, duty: str = "resident_counter", **kw: object
) -> Grant:
    today = clock.today()
    application = grants.apply_for_grant(
        actor=head,
        grantee_id=grantee.pk,
        duty=duty,
        starts_on=kw.pop("starts_on", today),  # type: ignore[arg-type]
        ends_on=kw.pop("ends_on", clock.fiscal_year_end(today)),  # type: ignore[arg-type]
        purpose=PURPOSE,
        **kw,  # type: ignore[arg-type]
    )
    grant = grants.decide_grant_application(
        actor=it, application_id=application.pk, approve=True, purpose=PURPOSE
    )
    assert grant is not None
    return grant


# --- C-8, C-9, C-10 ---------------------------------------------------------------------------------


def test_individual_number_access_comes_from_no_duty_but_its_own() -> None:
    holders = [d.code for d in DUTIES.values() if Permission.INDIVIDUAL_NUMBER_ACCESS in d.permissions]
    assert holders == ["individual_number"]
    assert DUTIES["individual_number"].permissions == {Permission.INDIVIDUAL_NUMBER_ACCESS}


def test_a_user_with_every_other_permission_lacks_individual_number_access() -> None:
    user = make_user()
    grant_permissions(user, [p for p in Permission if p is not Permission.INDIVIDUAL_NUMBER_ACCESS])
    assert not has_permission(user, Permission.INDIVIDUAL_NUMBER_ACCESS)
    assert has_permission(user, Permission.RESIDENT_VIEW)


def test_the_superuser_holds_administration_but_no_resident_data() -> None:
    admin = make_user(superuser=True)
    assert all(has_permission(admin, p) for p in BOOTSTRAP_ADMIN_PERMISSIONS)
    assert not has_permission(admin, Permission.RESIDENT_VIEW)
    assert not has_permission(admin, Permission.INDIVIDUAL_NUMBER_ACCESS)
    assert not visible_fields(admin)


def test_fields_are_hidden_by_default_and_shown_one_by_one() -> None:
    user = make_user()
    assert visible_fields(user) == frozenset()
    assert mask("123456789018", visible=False) == "＊＊＊＊"
    grant_permissions(user, [Permission.FIELD_HONSEKI_VIEW, Permission.RESIDENT_VIEW])
    assert visible_fields(user) == {Permission.FIELD_HONSEKI_VIEW}
    assert visible_fields(user) <= FIELD_PERMISSIONS
    assert (
        mask("長崎県佐世保市", visible=Permission.FIELD_HONSEKI_VIEW in visible_fields(user))
        == "長崎県佐世保市"
    )


# --- C-12 applications ----------------------------------------------------------------------------------


def test_an_approved_application_grants_the_duty_and_is_in_the_register(
    section_head: User, it_head: User
) -> None:
    clerk = make_user()
    assert not has_permission(clerk, Permission.RESIDENT_RECORD)
    grant = apply_and_approve(
        section_head, it_head, clerk, extra_permissions=[Permission.FIELD_HONSEKI_VIEW.value]
    )
    assert has_permission(clerk, Permission.RESIDENT_RECORD)
    assert Permission.FIELD_HONSEKI_VIEW in visible_fields(clerk)
    entry = GrantRegisterEntry.objects.get(grant=grant)
    assert (entry.kind, entry.applicant_id, entry.approver_id) == ("granted", section_head.pk, it_head.pk)


def test_the_applicant_cannot_approve_their_own_application(section_head: User) -> None:
    grant_permissions(section_head, [Permission.STAFF_GRANT_APPROVE])
    application = grants.apply_for_grant(
        actor=section_head,
        grantee_id=make_user().pk,
        duty="certificate",
        starts_on=clock.today(),
        ends_on=clock.fiscal_year_end(clock.today()),
        purpose=PURPOSE,
    )
    with pytest.raises(RuleRefused) as refused:
        grants.decide_grant_application(
            actor=section_head, application_id=application.pk, approve=True, purpose=PURPOSE
        )
    assert refused.value.reason_code == "self_approval"
    assert not Grant.objects.filter(application=application).exists()


def test_a_grant_whose_application_is_not_approved_is_ignored(section_head: User) -> None:
    clerk = make_user()
    grant = grant_permissions(clerk, [Permission.RESIDENT_VIEW], duty="resident_counter")
    GrantApplication.objects.filter(pk=grant.application_id).update(status=GrantApplication.Status.REQUESTED)
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)


def test_a_grant_on_an_application_for_someone_else_is_ignored(section_head: User) -> None:
    clerk = make_user()
    other = make_user()
    grant = grant_permissions(clerk, [Permission.RESIDENT_VIEW], duty="resident_counter")
    GrantApplication.objects.filter(pk=grant.application_id).update(grantee=other)
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)
    assert not has_permission(other, Permission.RESIDENT_VIEW)


def test_an_ended_grant_and_one_not_yet_started_are_ignored(section_head: User) -> None:
    clerk = make_user()
    grant = grant_permissions(clerk, [Permission.RESIDENT_VIEW], duty="resident_counter")
    assert has_permission(clerk, Permission.RESIDENT_VIEW)
    Grant.objects.filter(pk=grant.pk).update(starts_on=date(2999, 1, 1))
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)
    Grant.objects.filter(pk=grant.pk).update(starts_on=clock.today(), ended_at=clock.now())
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)


def test_only_field_permissions_can_be_added_individually(section_head: User) -> None:
    with pytest.raises(RuleRefused):
        grants.apply_for_grant(
            actor=section_head,
            grantee_id=make_user().pk,
            duty="certificate",
            extra_permissions=[Permission.INDIVIDUAL_NUMBER_ACCESS.value],
            starts_on=clock.today(),
            ends_on=clock.fiscal_year_end(clock.today()),
            purpose=PURPOSE,
        )


# --- C-13, C-16, C-17, C-18 --------------------------------------------------------------------------------


def test_a_grant_made_on_1_june_ending_after_31_march_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    at(monkeypatch, 2025, 6, 1, 10)
    section_head = make_user(superuser=True)
    clerk = make_user()
    with pytest.raises(RuleRefused) as refused:
        grants.apply_for_grant(
            actor=section_head,
            grantee_id=clerk.pk,
            duty="certificate",
            starts_on=date(2025, 6, 1),
            ends_on=date(2026, 4, 15),
            purpose=PURPOSE,
        )
    assert refused.value.reason_code == "period_invalid"
    assert "3月31日" in refused.value.message
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_GRANT_APPLY, outcome="refused").count() == 1


def test_a_temporary_staff_grant_cannot_outlast_the_employment(section_head: User, it_head: User) -> None:
    end = clock.today()
    temp = make_user(kind=StaffPerson.Kind.TEMPORARY, employment_end=end)
    with pytest.raises(RuleRefused) as refused:
        apply_and_approve(section_head, it_head, temp, ends_on=clock.fiscal_year_end(end))
    assert refused.value.reason_code in {"employment_end", "period_invalid"}
    apply_and_approve(section_head, it_head, temp, ends_on=end)


def test_no_grant_without_this_fiscal_years_security_training(section_head: User, it_head: User) -> None:
    untrained = make_user(trained=False)
    with pytest.raises(RuleRefused) as refused:
        apply_and_approve(section_head, it_head, untrained)
    assert refused.value.reason_code == "training_missing"


def test_training_from_the_previous_fiscal_year_is_not_enough(section_head: User, it_head: User) -> None:
    from tests.helpers.accounts import record_training

    person = make_person(trained=False)
    record_training(person, fiscal_year=clock.fiscal_year(clock.today()) - 1)
    with pytest.raises(RuleRefused):
        apply_and_approve(section_head, it_head, make_user(person=person))


def test_contractor_grants_are_bounded_by_the_contract_and_end_with_the_roster(
    section_head: User, it_head: User
) -> None:
    today = clock.today()
    worker = make_user(kind=StaffPerson.Kind.CONTRACTOR)
    grants.register_contract(
        actor=section_head,
        number="K-1",
        vendor="株式会社委託",
        starts_on=today,
        ends_on=today,
        worker_staff_numbers=[worker.person.staff_number],  # type: ignore[union-attr]
        purpose=PURPOSE,
    )
    with pytest.raises(RuleRefused) as refused:
        apply_and_approve(section_head, it_head, worker, ends_on=clock.fiscal_year_end(today))
    assert refused.value.reason_code in {"contract_end", "period_invalid"}
    apply_and_approve(section_head, it_head, worker, ends_on=today)
    client = log_in(terminal_client(), worker)
    assert client.get(reverse("web:home")).status_code == 200

    grants.remove_roster_worker(
        actor=section_head,
        contract_number="K-1",
        staff_number=worker.person.staff_number,  # type: ignore[union-attr]
        purpose=PURPOSE,
    )
    assert not has_permission(worker, Permission.RESIDENT_VIEW)
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("web:login"))


def test_a_contract_without_a_roster_is_refused(section_head: User) -> None:
    with pytest.raises(RuleRefused):
        grants.register_contract(
            actor=section_head,
            number="K-2",
            vendor="株式会社委託",
            starts_on=clock.today(),
            ends_on=clock.today(),
            worker_staff_numbers=[],
            purpose=PURPOSE,
        )


# --- C-14 yearly lapse and re-grant -----------------------------------------------------------------------


def test_at_the_fiscal_year_change_every_grant_lapses_until_a_new_approval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.helpers.accounts import record_training

    at(monkeypatch, 2026, 3, 31, 23)
    clerk = make_user()
    head = make_user()
    grant_permissions(clerk, [Permission.RESIDENT_VIEW], duty="certificate")
    grant_permissions(head, [Permission.STAFF_GRANT_REQUEST], duty="section_head")
    assert has_permission(clerk, Permission.RESIDENT_VIEW)

    at(monkeypatch, 2026, 4, 1, 0)
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)
    assert not has_permission(head, Permission.STAFF_GRANT_REQUEST)
    lapsed = grants.lapse_grants()
    assert lapsed == Grant.objects.count() == 2
    assert GrantRegisterEntry.objects.filter(kind="lapsed").count() == lapsed
    assert grants.lapse_grants() == 0  # safe to run again

    new_head = make_user(username="newhead", superuser=True)  # this year's applicant
    record_training(clerk.person)  # type: ignore[arg-type]
    ids = grants.reapply_lapsed_grants(
        actor=new_head, starts_on=date(2026, 4, 1), ends_on=date(2027, 3, 31), purpose=PURPOSE
    )
    assert ids
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)  # not before approval
    application = GrantApplication.objects.get(pk__in=ids, grantee=clerk)
    approver = make_user(username="approver2026", superuser=True)
    grants.decide_grant_application(
        actor=approver, application_id=application.pk, approve=True, purpose=PURPOSE
    )
    assert has_permission(clerk, Permission.RESIDENT_VIEW)


def test_the_lapse_command_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import call_command

    at(monkeypatch, 2026, 3, 1, 9)
    grant_permissions(make_user(), [Permission.RESIDENT_VIEW], duty="resident_counter")
    at(monkeypatch, 2026, 4, 1, 0)
    call_command("lapse_grants")
    assert GrantRegisterEntry.objects.filter(kind="lapsed").count() == 1


# --- C-15 personnel events ---------------------------------------------------------------------------------


def test_a_retirement_revokes_at_once_and_the_reconciliation_shows_no_departed_holder(
    section_head: User, it_head: User
) -> None:
    clerk = make_user()
    apply_and_approve(section_head, it_head, clerk)
    client = log_in(terminal_client(), clerk)
    assert client.get(reverse("web:home")).status_code == 200

    revoked = grants.record_hr_event(
        actor=section_head,
        staff_number=clerk.person.staff_number,  # type: ignore[union-attr]
        kind="retirement",
        effective_on=clock.today(),
        purpose="人事",
    )
    assert revoked == 1
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("web:login"))
    assert GrantRegisterEntry.objects.filter(kind="revoked", reason="retirement").count() == 1
    report = reconciliation_report(actor=it_head, purpose=PURPOSE)
    assert not any(row["problem"] for row in report)
    clerk.refresh_from_db()
    assert not clerk.is_active


def test_a_transfer_revokes_grants_but_keeps_the_account(section_head: User, it_head: User) -> None:
    clerk = make_user()
    apply_and_approve(section_head, it_head, clerk)
    grants.record_hr_event(
        actor=section_head,
        staff_number=clerk.person.staff_number,  # type: ignore[union-attr]
        kind="transfer",
        effective_on=clock.today(),
        new_department="税務課",
        purpose="人事",
    )
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)
    clerk.refresh_from_db()
    assert clerk.is_active
    assert clerk.person.department == "税務課"  # type: ignore[union-attr]


def test_the_reconciliation_flags_a_departed_person_who_still_holds_a_grant(it_head: User) -> None:
    clerk = make_user()
    grant_permissions(clerk, [Permission.RESIDENT_VIEW])
    StaffPerson.objects.filter(pk=clerk.person_id).update(
        status=StaffPerson.Status.ON_LEAVE
    )  # bypassing the service
    rows = reconciliation_report(actor=it_head, purpose=PURPOSE)
    assert [r["staff_number"] for r in rows if r["problem"]] == [clerk.person.staff_number]  # type: ignore[union-attr]


def test_the_register_is_append_only() -> None:
    grant = grant_permissions(make_user(), [Permission.RESIDENT_VIEW], duty="resident_counter")
    entry = GrantRegisterEntry.objects.get(grant=grant)
    entry.reason = "changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()


def test_a_clerk_cannot_apply_for_grants() -> None:
    with pytest.raises(AccessRefused):
        grants.apply_for_grant(
            actor=make_user(),
            grantee_id=1,
            duty="certificate",
            starts_on=clock.today(),
            ends_on=clock.today(),
            purpose=PURPOSE,
        )


def test_duties_of_lists_the_duties_in_force() -> None:
    from jumin.accounts.duties import duties_of

    clerk = make_user()
    grant_permissions(clerk, [Permission.RESIDENT_VIEW], duty="certificate")
    assert duties_of(clerk) == {"certificate"}

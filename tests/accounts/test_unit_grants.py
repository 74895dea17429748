"""Grants by organisation unit (部署; standard 10.3-b): scheduled, approved, audited, and combined with
personal grants wherever rights are checked."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jumin.accounts import clock, grants, selectors, units
from jumin.accounts.authorization import AccessRefused, granted_duties, has_permission
from jumin.accounts.errors import RuleRefused
from jumin.accounts.models import Grant, GrantApplication, GrantRegisterEntry, StaffPerson, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, make_person, make_user

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
PURPOSE = "権限管理"


@pytest.fixture
def counter(head: User) -> str:
    units.register_unit(actor=head, code="SHIMIN1", name="市民課窓口係", purpose=PURPOSE)
    return "SHIMIN1"


def member(head: User, unit: str, **kw: object) -> User:
    user = make_user(**kw)  # type: ignore[arg-type]
    assert user.person is not None
    units.add_member(
        actor=head,
        unit_code=unit,
        staff_number=user.person.staff_number,
        starts_on=clock.today(),
        purpose=PURPOSE,
    )
    return user


def unit_grant(head: User, it_head: User, unit: str, **kw: object) -> Grant:
    today = clock.today()
    application = units.apply_for_unit_grant(
        actor=head,
        unit_code=unit,
        duty=kw.pop("duty", "resident_counter"),  # type: ignore[arg-type]
        starts_on=kw.pop("starts_on", today),  # type: ignore[arg-type]
        ends_on=kw.pop("ends_on", clock.fiscal_year_end(today)),  # type: ignore[arg-type]
        purpose=PURPOSE,
    )
    grant = grants.decide_grant_application(
        actor=it_head, application_id=application.pk, approve=True, purpose=PURPOSE
    )
    assert grant is not None
    return grant


def test_a_unit_grant_gives_its_duty_to_current_members_only(head: User, it_head: User, counter: str) -> None:
    clerk = member(head, counter)
    outsider = make_user()
    grant = unit_grant(head, it_head, counter)
    assert grant.unit is not None
    assert grant.user is None
    assert has_permission(clerk, Permission.RESIDENT_VIEW)
    assert "resident_counter" in granted_duties(clerk)  # so it is a valid purpose (C-8, C-43)
    assert not has_permission(outsider, Permission.RESIDENT_VIEW)
    entry = GrantRegisterEntry.objects.get(grant=grant)
    assert (entry.unit_code, entry.staff_number, entry.kind) == (counter, "", "granted")


@pytest.fixture
def on_1_may(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The clock at 2026-05-01, set before the other fixtures give their grants."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 5, 1, 9, tzinfo=TOKYO))
    return monkeypatch


def test_a_unit_grant_and_a_membership_scheduled_in_advance_apply_from_their_start(
    on_1_may: pytest.MonkeyPatch, head: User, it_head: User, counter: str
) -> None:
    monkeypatch = on_1_may
    clerk = member(head, counter)
    newcomer = make_user()
    assert newcomer.person is not None
    units.add_member(
        actor=head,
        unit_code=counter,
        staff_number=newcomer.person.staff_number,
        starts_on=clock.today() + timedelta(days=10),
        purpose=PURPOSE,
    )
    unit_grant(head, it_head, counter, starts_on=clock.today() + timedelta(days=5))
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 5, 6, 9, tzinfo=TOKYO))
    assert has_permission(clerk, Permission.RESIDENT_VIEW)
    assert not has_permission(newcomer, Permission.RESIDENT_VIEW)
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 5, 11, 9, tzinfo=TOKYO))
    assert has_permission(newcomer, Permission.RESIDENT_VIEW)


def test_ending_the_membership_or_a_transfer_stops_the_unit_grant_at_once(
    head: User, it_head: User, counter: str
) -> None:
    leaver = member(head, counter)
    mover = member(head, counter)
    unit_grant(head, it_head, counter)
    assert leaver.person is not None
    assert mover.person is not None
    units.end_membership(
        actor=head, unit_code=counter, staff_number=leaver.person.staff_number, purpose=PURPOSE
    )
    grants.record_hr_event(
        actor=head,
        staff_number=mover.person.staff_number,
        kind="transfer",
        effective_on=clock.today(),
        purpose=PURPOSE,
        new_department="税務課",
    )
    assert not has_permission(leaver, Permission.RESIDENT_VIEW)
    assert not has_permission(mover, Permission.RESIDENT_VIEW)
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_UNIT_MEMBER_END, outcome="done").count() == 1


@pytest.mark.parametrize("case", ["temporary", "contractor", "untrained"])
def test_members_who_need_a_personal_grant_get_nothing_from_the_unit(
    head: User, it_head: User, counter: str, case: str
) -> None:
    if case == "untrained":
        clerk = member(head, counter, trained=False)
    else:
        kind = StaffPerson.Kind.TEMPORARY if case == "temporary" else StaffPerson.Kind.CONTRACTOR
        person = make_person(kind=kind, employment_end=clock.fiscal_year_end(clock.today()))
        clerk = make_user(person=person)
        units.add_member(
            actor=head,
            unit_code=counter,
            staff_number=person.staff_number,
            starts_on=clock.today(),
            purpose=PURPOSE,
        )
    unit_grant(head, it_head, counter)
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)


def test_roles_cannot_go_to_a_unit_and_a_member_cannot_approve_for_their_unit(
    head: User, it_head: User, counter: str
) -> None:
    for duty in ("it_head", "individual_number"):  # a role; 特定個人情報アクセス (C-9)
        with pytest.raises(RuleRefused) as refused:
            units.apply_for_unit_grant(
                actor=head,
                unit_code=counter,
                duty=duty,
                starts_on=clock.today(),
                ends_on=clock.fiscal_year_end(clock.today()),
                purpose=PURPOSE,
            )
        assert refused.value.reason_code == "unit_role"
    assert it_head.person is not None
    units.add_member(
        actor=head,
        unit_code=counter,
        staff_number=it_head.person.staff_number,
        starts_on=clock.today(),
        purpose=PURPOSE,
    )
    application = units.apply_for_unit_grant(
        actor=head,
        unit_code=counter,
        duty="resident_counter",
        starts_on=clock.today(),
        ends_on=clock.fiscal_year_end(clock.today()),
        purpose=PURPOSE,
    )
    with pytest.raises(RuleRefused) as refused:
        grants.decide_grant_application(
            actor=it_head, application_id=application.pk, approve=True, purpose=PURPOSE
        )
    assert refused.value.reason_code == "member_approval"
    assert not Grant.objects.filter(unit__isnull=False).exists()


def test_only_grant_requesters_apply_and_the_refusal_is_audited(counter: str, it_head: User) -> None:
    with pytest.raises(AccessRefused):
        units.apply_for_unit_grant(
            actor=it_head,
            unit_code=counter,
            duty="resident_counter",
            starts_on=clock.today(),
            ends_on=clock.fiscal_year_end(clock.today()),
            purpose=PURPOSE,
        )
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_GRANT_APPLY)
    assert (entry.outcome, entry.outcome_reason) == ("refused", "permission_missing")


def test_the_effective_rights_and_the_holders_report_show_where_each_right_comes_from(
    head: User, it_head: User, counter: str
) -> None:
    clerk = member(head, counter)
    grant_permissions(clerk, [Permission.FIELD_HONSEKI_VIEW], duty="resident_counter")
    unit_grant(head, it_head, counter)
    rows = {
        r["permission"]: r["sources"]
        for r in units.effective_rights(
            actor=it_head, staff_number=clerk.person.staff_number, purpose=PURPOSE
        )
    }
    assert rows["field:honseki:view"][0].startswith("個人付与")
    assert rows["resident:view"][0].startswith(f"部署付与 {counter} 市民課窓口係")
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_RIGHTS_VIEW, subject_id=str(clerk.pk)).exists()
    report = selectors.permission_holders_report(actor=it_head, purpose=PURPOSE)
    viewers = next(r for r in report["permissions"] if r["permission"] == "resident:view")["holders"]
    assert [h["source"] for h in viewers if h["user_id"] == clerk.pk] == [f"部署付与（{counter}）"]


@pytest.fixture
def on_1_march(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The clock at 2026-03-01, the last month of fiscal year 2025, before the other fixtures."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 3, 1, 9, tzinfo=TOKYO))
    return monkeypatch


def test_a_unit_grant_lapses_at_the_fiscal_year_end_and_is_applied_for_again(
    on_1_march: pytest.MonkeyPatch, head: User, it_head: User, counter: str
) -> None:
    clerk = member(head, counter)
    grant = unit_grant(head, it_head, counter)
    on_1_march.setattr(clock, "now", lambda: datetime(2026, 4, 2, 9, tzinfo=TOKYO))
    assert not has_permission(clerk, Permission.RESIDENT_VIEW)
    assert grants.lapse_grants() >= 1
    assert GrantRegisterEntry.objects.filter(grant=grant, kind="lapsed", unit_code=counter).exists()
    grant_permissions(head, [Permission.STAFF_GRANT_REQUEST])  # the new year's section head
    ids = grants.reapply_lapsed_grants(
        actor=head, purpose=PURPOSE, starts_on=clock.today(), ends_on=clock.fiscal_year_end(clock.today())
    )
    assert [a.unit.code for a in GrantApplication.objects.filter(pk__in=ids, unit__isnull=False)] == [counter]

"""Holders by permission and the periodic credential review (controls.md C-21).

The report matches the grant table (exactly the users ``has_permission`` says yes for, contractors
included); a missing or too old review is flagged overdue, also on the daily review screen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from jumin.accounts import clock, reviews, selectors
from jumin.accounts.authorization import AccessRefused, has_permission
from jumin.accounts.models import Contract, RosterEntry, StaffPerson, User
from jumin.accounts.permissions import Permission
from jumin.audit import reports, services
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, make_person, make_user
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db
PURPOSE = "it_head"
TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def it_head() -> User:
    user = make_user(username="it-head-report")
    grant_permissions(user, [Permission.STAFF_GRANT_REPORT], duty=PURPOSE)
    return user


def contractor() -> User:
    person = make_person(kind=StaffPerson.Kind.CONTRACTOR)
    today = clock.today()
    contract = Contract.objects.create(
        number="K-1", vendor="委託業者", starts_on=today, ends_on=clock.fiscal_year_end(today)
    )
    RosterEntry.objects.create(contract=contract, person=person, added_on=today)
    return make_user(person=person)


def test_the_holders_report_matches_the_grant_table(it_head: User) -> None:
    clerk = make_user()
    grant_permissions(clerk, [Permission.RESIDENT_VIEW, Permission.RESIDENT_SEARCH], duty="test")
    worker = contractor()
    grant_permissions(worker, [Permission.RESIDENT_VIEW], duty="test")
    ended = make_user()
    grant = grant_permissions(ended, [Permission.RESIDENT_VIEW], duty="resident_counter")
    grant.ended_at = clock.now()
    grant.save()
    future = make_user()
    grant_permissions(
        future, [Permission.RESIDENT_VIEW], starts_on=clock.today() + timedelta(days=1), duty="test"
    )
    admin = make_user(superuser=True)

    report = selectors.permission_holders_report(actor=it_head, purpose=PURPOSE)
    listed = {
        (row["permission"], holder["user_id"]) for row in report["permissions"] for holder in row["holders"]
    }
    expected = {
        (permission.value, user.pk)
        for user in User.objects.all()
        for permission in Permission
        if has_permission(user, permission)
    }
    assert listed == expected
    assert ("resident:view", worker.pk) in listed
    assert ("resident:view", ended.pk) not in listed
    assert ("resident:view", future.pk) not in listed
    assert ("staff:manage", admin.pk) in listed
    viewed = next(r for r in report["permissions"] if r["permission"] == "resident:view")["holders"]
    assert [h["contractor"] for h in viewed if h["user_id"] == worker.pk] == [True]
    credentials = {row["user_id"]: row for row in report["credentials"]}
    assert credentials[clerk.pk]["totp"] is True
    assert credentials[clerk.pk]["webauthn"] == 0
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_GRANT_HOLDERS)
    assert entry.outcome == "done"
    assert entry.actor_id == it_head.pk


def test_without_the_report_permission_the_holders_report_is_refused() -> None:
    with pytest.raises(AccessRefused):
        selectors.permission_holders_report(actor=make_user(), purpose=PURPOSE)
    assert AuditEntry.objects.get(action=AuditAction.STAFF_GRANT_HOLDERS).outcome == "refused"


def at_day(monkeypatch: pytest.MonkeyPatch, day: date) -> None:
    moment = datetime.combine(day, time(10), tzinfo=TOKYO)
    monkeypatch.setattr(services, "_now_us", lambda: reports.to_us(moment))


def test_a_missing_or_old_credential_review_is_overdue(
    it_head: User, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.JUMIN_CREDENTIAL_REVIEW_DAYS = 90
    today = date(2025, 9, 1)
    assert reports.credential_review_status(today).overdue
    at_day(monkeypatch, date(2025, 6, 1))
    digest = reviews.record_credential_review(actor=it_head, purpose=PURPOSE, note="IC・認証器とも異常なし")
    status = reports.credential_review_status(today)
    assert (status.last_reviewed, status.due, status.overdue) == (date(2025, 6, 1), date(2025, 8, 30), True)
    assert not reports.credential_review_status(date(2025, 8, 30)).overdue
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_CREDENTIAL_REVIEW)
    assert (entry.after_digest, entry.reason) == (digest, "IC・認証器とも異常なし")


def test_a_refused_review_does_not_count(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AccessRefused):
        reviews.record_credential_review(actor=make_user(), purpose=PURPOSE)
    assert reports.credential_review_status(date.today()).overdue


def test_the_daily_review_screen_flags_the_overdue_credential_review(make_staff: Callable[..., Any]) -> None:
    reviewer = make_staff(permissions=[Permission.AUDIT_REVIEW])
    body = reviewer.get(reverse("audit:review")).content.decode()
    assert "認証情報の定期点検" in body
    assert "期限切れ" in body


def test_permission_triples_of_the_holders_screen(make_staff: Callable[..., Any]) -> None:
    url = reverse("audit:holders")
    assert_permission_triple(make_staff, "get", url, Permission.STAFF_GRANT_REPORT)
    assert_permission_triple(make_staff, "post", url, Permission.STAFF_GRANT_REPORT, data={"note": "確認"})
    assert not reports.credential_review_status(clock.today()).overdue

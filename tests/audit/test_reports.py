"""Analysis reports and the daily review screen (standard 10.2-d; controls.md C-52, C-53)."""

from datetime import date, datetime, time
from time import time_ns
from zoneinfo import ZoneInfo

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from jumin.accounts.models import User
from jumin.audit import reports, services, views
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.models import AuditEntry
from jumin.audit.selectors import verify_chain
from jumin.audit.services import record_event, record_results, record_view

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
WEDNESDAY = date(2025, 6, 11)
SUNDAY = date(2025, 6, 15)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Record the next entries at a given local time."""

    def set_time(day: date, hour: int, minute: int = 0) -> None:
        moment = datetime.combine(day, time(hour, minute), tzinfo=TOKYO)
        monkeypatch.setattr(services, "_now_us", lambda: reports.to_us(moment))

    return set_time


@pytest.fixture
def clerk() -> User:
    return User.objects.create_user(
        username="clerk01", password="x-long-password-1", display_name="窓口 一郎"
    )


def test_fixture_log_shows_the_2300_access_three_failures_and_the_number_search(at, clerk: User) -> None:  # type: ignore[no-untyped-def]
    at(WEDNESDAY, 10)
    record_view(clerk, "resident", "r1", "resident_counter")
    record_results(clerk, "resident", ["r2"], "resident_counter", "atena_number")
    for _ in range(3):
        record_event(
            actor=None, action=AuditAction.STAFF_LOGIN_FAIL, outcome=Outcome.REFUSED, terminal_id="T-07"
        )
    record_event(actor=clerk, action=AuditAction.STAFF_LOGIN_SUCCEED)
    at(WEDNESDAY, 23)
    late = record_view(clerk, "resident", "r3", "resident_counter")
    at(date(2025, 6, 12), 9)
    record_view(clerk, "resident", "r4", "resident_counter")  # the next day: not in the report

    findings = reports.daily_findings(WEDNESDAY)
    assert [row["seq"] for row in findings.after_hours] == [late.seq]
    assert findings.failed_logins == [{"terminal_id": "T-07", "failures": 3, "last_seq": 5}]
    assert [row["subject_id"] for row in findings.number_searches] == [""]
    assert len(findings.number_searches) == 1
    assert findings.logins_per_id == [{"actor_id": clerk.pk, "actor_name": "窓口 一郎", "logins": 1}]
    assert findings.holiday is None


def test_every_staff_access_on_a_sunday_or_holiday_is_listed(at, clerk: User) -> None:  # type: ignore[no-untyped-def]
    at(SUNDAY, 11)
    record_view(clerk, "resident", "r1", "resident_counter")
    at(date(2025, 5, 5), 11)  # こどもの日
    record_view(clerk, "resident", "r1", "resident_counter")
    assert len(reports.after_hours_access(SUNDAY)) == 1
    findings = reports.daily_findings(date(2025, 5, 5))
    assert findings.holiday == "こどもの日"
    assert len(findings.after_hours) == 1


def test_mass_searches_and_heavy_searchers_use_the_configured_thresholds(at, clerk: User, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUMIN_AUDIT_MASS_SEARCH_RESULTS = 3
    settings.JUMIN_AUDIT_MASS_SEARCH_PER_DAY = 2
    at(WEDNESDAY, 10)
    big = record_results(clerk, "resident", ["a", "b", "c"], "resident_counter", "kana_name")
    record_results(clerk, "resident", ["a"], "resident_counter", "kana_name")
    assert [row["seq"] for row in reports.mass_searches(WEDNESDAY)] == [big.seq]
    assert reports.heavy_searchers(WEDNESDAY) == [
        {"actor_id": clerk.pk, "actor_name": "窓口 一郎", "searches": 2}
    ]


def test_support_measure_access_is_listed(at, clerk: User) -> None:  # type: ignore[no-untyped-def]
    at(WEDNESDAY, 10)
    one = record_view(clerk, "resident", "r1", "support_measure", support_measure=True)
    two = record_view(clerk, "support_measure", "s1", "support_measure")
    record_view(clerk, "resident", "r2", "resident_counter")
    assert [row["seq"] for row in reports.support_measure_access(WEDNESDAY)] == [one.seq, two.seq]


def _call(request_factory: RequestFactory, user: User, method: str, data: dict[str, str]) -> HttpResponse:
    """Call the view without the terminal and session middleware (tested in accounts)."""
    request = getattr(request_factory, method)("/audit/review/", data)
    request.user = user
    return views.daily_review(request)


def test_review_screen_refuses_a_user_without_the_permission_and_audits_it(
    rf: RequestFactory, clerk: User
) -> None:
    response = _call(rf, clerk, "get", {})
    assert response.status_code == 403
    assert "ログ点検の権限がありません" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.AUDIT_REVIEW_VIEW)
    assert entry.outcome == "refused"


def test_review_screen_shows_findings_and_records_the_acknowledgment(
    rf: RequestFactory,
    clerk: User,
    at,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "authorize", lambda **kwargs: None)
    at(WEDNESDAY, 23)
    record_view(clerk, "resident", "r3", "resident_counter")
    monkeypatch.setattr(services, "_now_us", lambda: time_ns() // 1000)
    response = _call(rf, clerk, "get", {"day": "2025-06-11"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "時間外・休日のアクセス（1件）" in body
    assert "未点検の日があります" in body
    response = _call(rf, clerk, "post", {"day": "2025-06-11", "note": "問題なし"})
    assert response.status_code == 302
    ack = AuditEntry.objects.get(action=AuditAction.AUDIT_REVIEW_ACKNOWLEDGE)
    assert ack.subject_id == "2025-06-11"
    assert ack.reason == "問題なし"
    assert len(ack.after_digest) == 64
    assert reports.acknowledgments(WEDNESDAY)[0]["seq"] == ack.seq
    assert WEDNESDAY not in reports.unreviewed_days(date(2025, 6, 13))
    assert AuditEntry.objects.filter(action=AuditAction.AUDIT_REVIEW_VIEW, outcome="done").count() == 1
    assert verify_chain().intact


def test_the_days_committed_changes_are_part_of_the_review_queue(at, clerk: User) -> None:  # type: ignore[no-untyped-def]
    at(WEDNESDAY, 10)
    done = record_event(
        actor=clerk,
        action=AuditAction.RESIDENT_CHANGE_COMMIT,
        subject_type="resident_change",
        subject_id="c1",
    )
    record_event(
        actor=clerk,
        action=AuditAction.RESIDENT_CHANGE_COMMIT,
        subject_type="resident_change",
        subject_id="c2",
        outcome=Outcome.REFUSED,
    )
    findings = reports.daily_findings(WEDNESDAY)
    assert [row["seq"] for row in findings.committed_changes] == [done.seq]
    assert findings.summary()["committed_changes"] == [done.seq]

"""Online search and CSV extraction of the audit log (standard 10.2-c; controls.md C-42, C-52).

Each key narrows the result; pages hold 100 rows; the search and the export are audit entries; the
free-text reason is never shown; without ``audit:review`` the screen, CSV and API refuse (audited).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit import reports, search, services
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.models import AuditEntry
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from tests.helpers.accounts import StaffClient, grant_permissions, make_user
from tests.helpers.permission_matrix import assert_permission_triple

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")
DAY = date(2025, 6, 11)
SECRET_REASON = "職権記載の理由 山田花子"


@pytest.fixture
def auditor() -> User:
    user = make_user(username="auditor")
    grant_permissions(user, [Permission.AUDIT_REVIEW], duty=search.SEARCH_PURPOSE)
    return user


def _at(monkeypatch: pytest.MonkeyPatch, day: date, hour: int) -> None:
    moment = datetime.combine(day, time(hour), tzinfo=TOKYO)
    monkeypatch.setattr(services, "_now_us", lambda: reports.to_us(moment))


def _seed(monkeypatch: pytest.MonkeyPatch) -> tuple[User, User]:
    alice = make_user(username="alice", display_name="有田 一郎")
    bob = make_user(username="bob", display_name="馬場 二郎")
    _at(monkeypatch, DAY, 10)
    record_event(
        actor=alice,
        action=AuditAction.RESIDENT_RECORD_VIEW,
        subject_type="resident",
        subject_id="101",
        purpose="resident_counter",
        terminal_id="T-1",
        reason=SECRET_REASON,
    )
    record_event(actor=bob, action=AuditAction.STAFF_LOGIN_FAIL, terminal_id="T-2", outcome=Outcome.REFUSED)
    _at(monkeypatch, date(2025, 6, 12), 10)
    record_event(actor=alice, action=AuditAction.STAFF_LOGIN_SUCCEED, terminal_id="T-2")
    monkeypatch.undo()
    return alice, bob


def _actions(auditor: User, **keys: object) -> list[str]:
    query = search.checked_search(date_from=DAY, date_to=date(2025, 6, 12), keys=keys)
    return [str(row["action"]) for row in search.search_entries(actor=auditor, search=query).rows]


def test_each_key_narrows_the_result(monkeypatch: pytest.MonkeyPatch, auditor: User) -> None:
    alice, _ = _seed(monkeypatch)
    assert _actions(auditor) == ["staff:login:succeed", "staff:login:fail", "resident:record:view"]
    assert _actions(auditor, actor="有田") == ["staff:login:succeed", "resident:record:view"]
    assert _actions(auditor, actor=str(alice.pk)) == ["staff:login:succeed", "resident:record:view"]
    assert _actions(auditor, action="staff:login") == ["staff:login:succeed", "staff:login:fail"]
    assert _actions(auditor, action="staff:login:fail") == ["staff:login:fail"]
    assert _actions(auditor, subject_type="resident") == ["resident:record:view"]
    assert _actions(auditor, terminal_id="T-2") == ["staff:login:succeed", "staff:login:fail"]
    assert _actions(auditor, purpose="resident_counter") == ["resident:record:view"]
    assert _actions(auditor, outcome="refused") == ["staff:login:fail"]
    one_day = search.checked_search(date_from=DAY, date_to=DAY)
    assert search.search_entries(actor=auditor, search=one_day).total == 2


def test_a_search_is_audited_with_key_kinds_only(monkeypatch: pytest.MonkeyPatch, auditor: User) -> None:
    _seed(monkeypatch)
    _actions(auditor, actor="有田", terminal_id="T-2")
    entry = AuditEntry.objects.filter(action=AuditAction.AUDIT_LOG_SEARCH).get()
    assert (entry.actor_id, entry.query_summary, entry.result_count) == (
        auditor.pk,
        "period+actor+terminal_id",
        1,
    )
    assert "有田" not in entry.query_summary


def test_pages_hold_a_hundred_rows_newest_first(auditor: User) -> None:
    for _ in range(search.PAGE_SIZE + 5):
        record_event(actor=None, action=AuditAction.NODE_LINK_UP)
    keys = search.checked_search(date_from=None, date_to=None, keys={"action": "node:link:up"})
    first = search.search_entries(actor=auditor, search=keys, page=1)
    second = search.search_entries(actor=auditor, search=keys, page=2)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (105, 2, 100, 5)
    assert first.rows[0]["seq"] > first.rows[-1]["seq"] > second.rows[0]["seq"]


def test_a_reversed_or_overlong_period_is_refused() -> None:
    with pytest.raises(DomainError) as reversed_period:
        search.checked_search(date_from=date(2025, 6, 12), date_to=DAY)
    assert reversed_period.value.field == "date_from"
    with pytest.raises(DomainError) as too_long:
        search.checked_search(date_from=date(2024, 1, 1), date_to=DAY)
    assert too_long.value.code == "audit_search.period_too_long"


def test_the_csv_holds_the_whole_result_and_is_audited(
    monkeypatch: pytest.MonkeyPatch, auditor: User
) -> None:
    _seed(monkeypatch)
    keys = search.checked_search(date_from=DAY, date_to=date(2025, 6, 12), keys={"actor": "有田"})
    text = search.export_csv(actor=auditor, search=keys)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["連番", "日時", "職員ID"]
    assert [row[7] for row in rows[1:]] == ["staff:login:succeed", "resident:record:view"]
    assert rows[2][1] == "2025-06-11 10:00:00"
    assert SECRET_REASON not in text
    export = AuditEntry.objects.filter(action=AuditAction.AUDIT_LOG_EXPORT).get()
    assert (export.query_summary, export.result_count) == ("period+actor", 2)


def test_an_export_above_the_cap_is_refused_and_nothing_is_recorded(settings, auditor: User) -> None:  # type: ignore[no-untyped-def]
    settings.JUMIN_AUDIT_EXPORT_MAX_ROWS = 2
    for _ in range(3):
        record_event(actor=None, action=AuditAction.NODE_LINK_UP)
    with pytest.raises(DomainError):
        search.export_csv(actor=auditor, search=search.checked_search(date_from=None, date_to=None))
    assert not AuditEntry.objects.filter(action=AuditAction.AUDIT_LOG_EXPORT).exists()


def test_the_screen_shows_the_review_columns_but_not_the_reason(
    monkeypatch: pytest.MonkeyPatch, make_staff: Callable[..., StaffClient]
) -> None:
    _seed(monkeypatch)
    client = make_staff([Permission.AUDIT_REVIEW])
    page = client.get(reverse("audit:search"), {"date_from": "2025-06-11", "date_to": "2025-06-12"})
    body = page.content.decode()
    assert page.status_code == 200
    for shown in ("resident:record:view", "T-1", "3件"):
        assert shown in body
    assert SECRET_REASON not in body
    exported = client.get(reverse("audit:export"), {"date_from": "2025-06-11", "date_to": "2025-06-12"})
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    bad = client.get(reverse("audit:search"), {"date_from": "2025-06-13", "date_to": "2025-06-12"})
    assert bad.status_code == 400
    assert "開始日" in bad.content.decode()
    not_a_date = client.get(reverse("audit:search"), {"date_from": "2025-13-40", "page": "x"})
    assert not_a_date.status_code == 400
    assert "YYYY-MM-DD" in not_a_date.content.decode()


def test_the_api_returns_a_page(
    monkeypatch: pytest.MonkeyPatch, make_staff: Callable[..., StaffClient]
) -> None:
    _seed(monkeypatch)
    client = make_staff([Permission.AUDIT_REVIEW])
    response = client.get(
        "/api/audit/entries", {"date_from": "2025-06-11", "date_to": "2025-06-12", "actor": "馬場"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["total"], body["entries"][0]["action"]) == (1, "staff:login:fail")
    csv_response = client.get("/api/audit/entries.csv", {"date_from": "2025-06-11", "date_to": "2025-06-12"})
    assert csv_response.status_code == 200


def test_the_home_menu_links_the_screens(make_staff: Callable[..., StaffClient]) -> None:
    auditor_home = make_staff([Permission.AUDIT_REVIEW]).get(reverse("web:home")).content.decode()
    assert f'href="{reverse("audit:search")}"' in auditor_home
    assert f'href="{reverse("audit:retention")}"' not in auditor_home
    manager_home = make_staff([Permission.AUDIT_RETENTION_MANAGE]).get(reverse("web:home")).content.decode()
    assert f'href="{reverse("audit:retention")}"' in manager_home


@pytest.mark.parametrize(
    "url",
    [reverse("audit:search"), reverse("audit:export"), "/api/audit/entries", "/api/audit/entries.csv"],
)
def test_search_and_export_need_audit_review(make_staff: Callable[..., StaffClient], url: str) -> None:
    assert_permission_triple(make_staff, "get", url, Permission.AUDIT_REVIEW)

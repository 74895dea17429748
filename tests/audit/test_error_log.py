"""The application error log as an audited record (standard 10.2-b; controls.md C-42).

An unexpected exception that becomes a 500 appends a ``system:error:record`` entry with time, user,
terminal, request id, view name and route pattern; the exception's class and a fingerprint, never its
message, the path's values, the query string or the body. The entry shows on the audit search.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit import errors, search
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.audit.selectors import verify_chain
from tests.audit.error_urls import LEAKED_VALUE
from tests.helpers.accounts import TERMINAL_ID, StaffClient, grant_permissions, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _failing_urls(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ROOT_URLCONF = "tests.audit.error_urls"


def _fail(client: StaffClient) -> None:
    client.raise_request_exception = False
    response = client.post("/test-errors/4711/fail/?name=山田花子", {"kana": "ヤマダ"})
    assert response.status_code == 500


def test_a_server_error_is_recorded_without_personal_data(make_staff: Callable[..., StaffClient]) -> None:
    client = make_staff()
    _fail(client)
    entry = AuditEntry.objects.get(action=AuditAction.SYSTEM_ERROR_RECORD)
    assert client.user is not None
    assert (entry.actor_id, entry.terminal_id, entry.outcome) == (client.user.pk, TERMINAL_ID, "refused")
    assert entry.request_id
    assert (entry.subject_type, entry.subject_id) == ("error", "test_error_fail")
    assert entry.reason == "POST test-errors/<int:pk>/fail/"
    class_name, digest = entry.outcome_reason.split(" ")
    assert class_name == "ValueError"
    assert len(digest) == 64
    stored = " ".join(str(value) for value in AuditEntry.objects.filter(pk=entry.pk).values().get().values())
    for leaked in (LEAKED_VALUE, "4711", "山田花子", "ヤマダ", "個人番号"):
        assert leaked not in stored
    assert verify_chain().intact


def test_the_same_failure_has_the_same_fingerprint(make_staff: Callable[..., StaffClient]) -> None:
    client = make_staff()
    _fail(client)
    _fail(client)
    first, second = AuditEntry.objects.filter(action=AuditAction.SYSTEM_ERROR_RECORD).order_by("seq")
    assert first.outcome_reason == second.outcome_reason
    other = _caught(KeyError("other"))
    assert errors.fingerprint(other) not in first.outcome_reason


def _caught(error: Exception) -> Exception:
    try:
        raise error
    except Exception as caught:
        return caught


def test_an_api_error_is_recorded_too(make_staff: Callable[..., StaffClient]) -> None:
    client = make_staff()
    client.raise_request_exception = False
    assert client.get("/test-error-api/explode/4711?q=山田").status_code == 500
    entry = AuditEntry.objects.get(action=AuditAction.SYSTEM_ERROR_RECORD)
    assert entry.outcome_reason.startswith("RuntimeError ")
    assert entry.reason == "GET test-error-api/explode/<pk>"
    assert "4711" not in entry.reason


def test_a_not_found_is_no_server_error(make_staff: Callable[..., StaffClient]) -> None:
    client = make_staff()
    assert client.get("/test-errors/missing/").status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.SYSTEM_ERROR_RECORD).exists()


def test_the_error_shows_on_the_audit_search(make_staff: Callable[..., StaffClient]) -> None:
    _fail(make_staff())
    auditor: User = make_user(username="auditor")
    grant_permissions(auditor, [Permission.AUDIT_REVIEW], duty=search.SEARCH_PURPOSE)
    keys = search.checked_search(date_from=None, date_to=None, keys={"action": "system:error"})
    rows = search.search_entries(actor=auditor, search=keys).rows
    assert len(rows) == 1
    assert str(rows[0]["error"]).startswith("ValueError ")
    assert rows[0]["subject_id"] == "test_error_fail"


def test_a_failed_error_entry_logs_class_names_only(
    make_staff: Callable[..., StaffClient], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError(f"database refused {LEAKED_VALUE}")

    monkeypatch.setattr(errors, "record_event", broken)
    with caplog.at_level("ERROR", logger=errors.logger.name):
        _fail(make_staff(permissions=[Permission.RESIDENT_VIEW]))
    written = [r for r in caplog.records if r.name == errors.logger.name]
    assert written
    assert all(r.exc_info is None and LEAKED_VALUE not in r.getMessage() for r in written)

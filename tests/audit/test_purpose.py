"""Purpose capture: no purpose, no personal data; the refusal is audited (controls.md C-43)."""

import json

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from jumin.accounts.models import User
from jumin.audit import purpose
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.audit.purpose import purpose_required

pytestmark = pytest.mark.django_db


@purpose_required(
    action=AuditAction.RESIDENT_RECORD_VIEW, subject_type="resident", subject_kwarg="resident_id"
)
def resident_view(request: HttpRequest, resident_id: str) -> HttpResponse:
    return HttpResponse(f"purpose={request.jumin_purpose}")  # type: ignore[attr-defined]


@pytest.fixture
def clerk() -> User:
    return User.objects.create_user(
        username="clerk01", password="x-long-password-1", display_name="窓口 一郎"
    )


def _get(rf: RequestFactory, user: User, **kwargs: object) -> HttpResponse:
    request = rf.get("/residents/r1/", **kwargs)  # type: ignore[arg-type]
    request.user = user
    return resident_view(request, resident_id="r1")


def test_a_request_without_purpose_is_refused_in_japanese_and_audited(
    rf: RequestFactory, clerk: User
) -> None:
    response = _get(rf, clerk)
    assert response.status_code == 400
    assert "利用目的（事務）を選択してから操作してください" in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome, entry.outcome_reason) == (
        "resident:record:view",
        "refused",
        "purpose_missing",
    )
    assert (entry.subject_type, entry.subject_id, entry.actor_id) == ("resident", "r1", clerk.pk)


def test_without_grants_no_purpose_is_accepted(rf: RequestFactory, clerk: User) -> None:
    assert purpose.allowed_purposes(clerk) == set()
    assert _get(rf, clerk, data={"purpose": "resident_counter"}).status_code == 403


def test_a_free_text_purpose_is_refused_and_not_copied_into_the_log(rf: RequestFactory, clerk: User) -> None:
    response = _get(rf, clerk, data={"purpose": "山田太郎の調査"})
    assert response.status_code == 400
    assert AuditEntry.objects.get().purpose == ""


def test_the_purpose_header_is_accepted_for_api_calls(
    rf: RequestFactory, clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jumin.accounts.duties.duties_of", lambda user: frozenset({"resident_counter"}))
    response = _get(rf, clerk, headers={"X-Jumin-Purpose": "resident_counter"})
    assert response.status_code == 200
    assert response.content == b"purpose=resident_counter"
    assert not AuditEntry.objects.exists()


def test_an_api_call_without_purpose_gets_json(rf: RequestFactory, clerk: User) -> None:
    response = _get(rf, clerk, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "purpose_missing"


def test_a_purpose_outside_the_users_duties_is_refused(
    rf: RequestFactory, clerk: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jumin.accounts.duties.duties_of", lambda user: frozenset({"certificate"}))
    response = _get(rf, clerk, data={"purpose": "support_measure"})
    assert response.status_code == 403
    assert "割り当てられた事務ではありません" in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.outcome_reason, entry.purpose) == ("purpose_not_a_duty", "support_measure")
    assert _get(rf, clerk, data={"purpose": "certificate"}).status_code == 200

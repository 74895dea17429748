"""One alert-acknowledgment style (standard 11.1-b/c): by alert code, on drafts, commits and reads."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import Alert
from jumin.registry.models import Change, ChangeState
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError, require_acknowledged
from jumin.registry.workflows.death import Death, record_death
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import family, today
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["family", "officer"]  # the fixtures, imported for use here

LATE = Alert(field="notification_date", message="届出が遅れています。", code="test.late")
TWIN = Alert(field="surname", message="同じ方がいます。", code="test.twin")


def test_every_alert_must_be_acknowledged_by_its_own_code() -> None:
    with pytest.raises(UnacknowledgedAlertsError) as partly:
        require_acknowledged([LATE, TWIN], ["test.late", "test.other"])
    assert partly.value.alerts == (TWIN,)  # only what is still pending
    assert partly.value.code == "registry.alerts_not_acknowledged"
    assert "test.twin" in partly.value.reason
    assert "test.late" not in partly.value.reason
    assert (
        require_acknowledged([TWIN, LATE], ["test.twin", "test.late"]) == "acknowledged=test.late,test.twin"
    )
    assert require_acknowledged([], []) == ""


def test_the_lookup_screen_shows_one_checkbox_per_alert_and_audits_the_acknowledgment(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=RestrictedProcess.INQUIRY, level=RestrictionLevel.ALERT)
    client = logged_in(clerk)
    first = client.post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": head}
    ).content.decode()
    assert 'name="acknowledged_alerts" value="registry.suppressed"' in first
    assert "acknowledge_alerts" not in first  # the old single checkbox is gone
    wrong = client.post(
        reverse("registry:lookup"),
        {"purpose": PURPOSE, "atena_number": head, "acknowledged_alerts": "registry.other"},
    ).content.decode()
    assert 'value="registry.suppressed"' in wrong
    shown = client.post(
        reverse("registry:lookup"),
        {"purpose": PURPOSE, "atena_number": head, "acknowledged_alerts": "registry.suppressed"},
    )
    assert shown.status_code == 200
    assert "acknowledged_alerts" not in shown.content.decode()
    entry = AuditEntry.objects.get(action="resident:restriction:acknowledge")
    assert (entry.subject_id, entry.reason) == (head, "registry.suppressed")
    refused = AuditEntry.objects.filter(
        action="resident:record:view", outcome_reason="alert_not_acknowledged"
    )
    assert refused.count() == 2


def test_the_api_names_the_pending_codes_then_accepts_them(
    family: DraftRecorded, officer: User, clerk: User
) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=RestrictedProcess.INQUIRY, level=RestrictionLevel.ALERT)
    client = logged_in(clerk)
    for url in ("/api/registry/residents/lookup", "/api/registry/inquiry/timeline"):
        body = {"purpose": PURPOSE, "atena_number": head}
        refused = client.post(url, body, content_type="application/json")
        assert refused.status_code == 400
        assert (refused.json()["code"], refused.json()["field"]) == (
            "registry.alerts_not_acknowledged",
            "acknowledged_alerts",
        )
        assert "registry.suppressed" in refused.json()["reason"]
        body["acknowledged_alerts"] = ["registry.suppressed"]  # type: ignore[assignment]
        assert client.post(url, body, content_type="application/json").status_code == 200


def test_the_draft_screen_commits_once_the_alert_is_ticked(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    suppress(officer, child, process=RestrictedProcess.CHANGE_ENTRY, level=RestrictionLevel.ALERT)
    draft = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=child, death_date=today(), notification_date=today()),
    )
    url = reverse("registry:draft", args=[draft.change_id])
    client = logged_in(reviewer)
    first = client.post(url, {"purpose": PURPOSE, "commit": "1"}).content.decode()
    assert 'name="acknowledged_alerts" value="registry.suppressed"' in first
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    client.post(url, {"purpose": PURPOSE, "commit": "1", "acknowledged_alerts": "registry.suppressed"})
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.COMMITTED
    commit = AuditEntry.objects.get(
        action="resident:change:commit", outcome="done", subject_id=str(draft.change_id)
    )
    assert commit.reason == "acknowledged=registry.suppressed"

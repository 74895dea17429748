"""A purpose is one of the user's own duties (controls.md C-8, C-43; issue 3 item 6).

``authorize`` refuses, audits and explains a duty the actor does not hold; the purpose selector of
every screen offers only the signed-in user's duties in force.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused, authorize
from jumin.accounts.models import Grant, User
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import grant_permissions, log_in, make_user, terminal_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter_clerk() -> User:
    """Holds the search permissions under 住民記録窓口事務 only."""
    user = make_user(username="counter-clerk")
    grant_permissions(user, [Permission.RESIDENT_SEARCH, Permission.RESIDENT_VIEW], duty="resident_counter")
    return user


def _refusals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(outcome=Outcome.REFUSED).order_by("seq"))


def _authorize(actor: User, purpose: str, permission: Permission = Permission.RESIDENT_SEARCH) -> None:
    authorize(actor=actor, permission=permission, action=AuditAction.RESIDENT_RECORD_VIEW, purpose=purpose)


def test_the_users_own_duty_is_accepted(counter_clerk: User) -> None:
    _authorize(counter_clerk, "resident_counter")
    assert _refusals() == []


def test_a_missing_permission_is_named_before_the_purpose(counter_clerk: User) -> None:
    with pytest.raises(AccessRefused) as refused:
        _authorize(counter_clerk, "certificate", Permission.CERTIFICATE_ISSUE)
    assert refused.value.reason_code == "permission_missing"


@pytest.mark.parametrize("purpose", ["certificate", "support_measure", "窓口業務", "test"])
def test_a_duty_not_held_or_a_free_label_is_refused_for_personal_data(
    counter_clerk: User, purpose: str
) -> None:
    with pytest.raises(AccessRefused) as refused:
        _authorize(counter_clerk, purpose)
    assert refused.value.reason_code == "purpose_not_a_duty"
    assert "あなたの事務から選び直してください" in refused.value.message
    [entry] = _refusals()
    assert entry.outcome_reason == "purpose_not_a_duty"
    assert entry.actor_id == counter_clerk.pk


def test_an_administrative_permission_takes_a_fixed_label_but_never_a_duty_not_held() -> None:
    officer = make_user(username="staff-officer")
    grant_permissions(officer, [Permission.STAFF_MANAGE], duty="terminal_admin")
    _authorize(officer, "職員管理", Permission.STAFF_MANAGE)
    with pytest.raises(AccessRefused):
        _authorize(officer, "resident_counter", Permission.STAFF_MANAGE)
    assert [e.outcome_reason for e in _refusals()] == ["purpose_not_a_duty"]


def test_a_duty_lapses_as_a_purpose_with_its_grant(counter_clerk: User) -> None:
    grant_permissions(counter_clerk, [Permission.RESIDENT_SEARCH], duty="certificate")
    grant = Grant.objects.get(user=counter_clerk, duty="resident_counter")
    grant.ended_at = clock.now()
    grant.save()
    _authorize(counter_clerk, "certificate")  # the permission is still held under the other duty
    with pytest.raises(AccessRefused) as refused:
        _authorize(counter_clerk, "resident_counter")
    assert refused.value.reason_code == "purpose_not_a_duty"


def test_the_search_screen_offers_only_the_users_own_duties(counter_clerk: User) -> None:
    page = log_in(terminal_client(), counter_clerk).get(reverse("registry:search")).content.decode()
    selector = re.search(r'<select name="purpose".*?</select>', page, re.S)
    assert selector is not None
    offered = set(re.findall(r'<option value="([^"]+)"', selector.group(0)))
    assert offered == {"resident_counter"}


def test_an_api_call_naming_another_duty_is_refused_and_audited_once(counter_clerk: User) -> None:
    client = log_in(terminal_client(), counter_clerk)
    body = {"purpose": "certificate", "criteria": {"kana_name": "ヤマダ タロウ", "birth_date": "19600401"}}
    response = client.post("/api/registry/search", json.dumps(body), content_type="application/json")
    assert response.status_code == 403
    assert [e.outcome_reason for e in _refusals()] == ["purpose_not_a_duty"]

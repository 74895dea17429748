"""Single sign-on from a fronting reverse proxy (standard 10.3-a; docs/operations.md)."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import StaffPerson, User
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import StaffClient, make_person, make_user, terminal_client

pytestmark = pytest.mark.django_db

SSO = override_settings(JUMIN_SSO_HEADER="X-Remote-User", JUMIN_SSO_TRUSTED_PROXIES=["127.0.0.0/8"])


def _session_user_id(client: StaffClient) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.fixture
def clerk() -> User:
    return make_user(username="clerk01", display_name="窓口 一郎")


@SSO
def test_the_proxy_header_opens_a_session_that_still_needs_the_second_factor(clerk: User) -> None:
    client = terminal_client()
    response = client.get(reverse("web:home"), headers={"X-Remote-User": "clerk01"})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:verify")
    assert _session_user_id(client) == str(clerk.pk)
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_SSO_ACCEPT)
    assert (entry.actor_id, entry.outcome_reason, entry.terminal_id) == (clerk.pk, "sso", "T-TEST-01")
    assert not AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_SUCCEED).exists()


def test_sso_is_off_by_default(clerk: User) -> None:
    client = terminal_client()
    response = client.get(reverse("web:home"), headers={"X-Remote-User": "clerk01"})
    assert response["Location"].startswith(reverse("web:login"))
    assert _session_user_id(client) is None
    assert not AuditEntry.objects.filter(action=AuditAction.STAFF_SSO_ACCEPT).exists()


@override_settings(JUMIN_SSO_HEADER="X-Remote-User", JUMIN_SSO_TRUSTED_PROXIES=["192.0.2.10"])
def test_a_header_from_an_address_that_is_not_the_proxy_is_ignored_and_audited(clerk: User) -> None:
    client = terminal_client()
    response = client.get(reverse("web:home"), headers={"X-Remote-User": "clerk01"})
    assert response["Location"].startswith(reverse("web:login"))
    assert _session_user_id(client) is None
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_SESSION_REFUSE)
    assert entry.outcome_reason == "sso_untrusted_source"


@SSO
def test_an_unknown_name_is_refused_and_no_account_is_created() -> None:
    client = terminal_client()
    response = client.get(reverse("web:home"), headers={"X-Remote-User": "nobody99"})
    assert response.status_code == 403
    assert "シングルサインオン" in response.content.decode()
    assert not User.objects.filter(username="nobody99").exists()
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_LOGIN_FAIL)
    assert (entry.outcome, entry.outcome_reason) == ("refused", "sso_unknown_user")
    assert "nobody99" not in str(entry.__dict__)


@SSO
@pytest.mark.parametrize("state", ["locked", "inactive", "retired", "expired"])
def test_stopped_locked_or_expired_accounts_are_refused(state: str) -> None:
    person = make_person(
        kind=StaffPerson.Kind.TEMPORARY if state == "expired" else StaffPerson.Kind.STAFF,
        employment_end=clock.today() - timedelta(days=1) if state == "expired" else None,
    )
    user = make_user(username="clerk02", person=person)
    if state == "locked":
        user.locked_at = clock.now()
    if state == "inactive":
        user.is_active = False
    user.save()
    if state == "retired":
        StaffPerson.objects.filter(pk=person.pk).update(status=StaffPerson.Status.RETIRED)
    client = terminal_client()
    response = client.get(reverse("web:home"), headers={"X-Remote-User": "clerk02"})
    assert response.status_code == 403
    assert _session_user_id(client) is None
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_FAIL, outcome="refused").count() == 1


@SSO
def test_the_session_ends_when_the_proxy_stops_vouching_or_names_someone_else(clerk: User) -> None:
    other = make_user(username="clerk03")
    client = terminal_client()
    client.get(reverse("web:home"), headers={"X-Remote-User": "clerk01"})
    client.get(reverse("web:home"), headers={"X-Remote-User": "clerk03"})
    assert _session_user_id(client) == str(other.pk)
    client.get(reverse("web:home"))
    assert _session_user_id(client) is None
    reasons = set(
        AuditEntry.objects.filter(action=AuditAction.STAFF_SESSION_REFUSE).values_list(
            "outcome_reason", flat=True
        )
    )
    assert reasons == {"sso_user_changed", "sso_header_missing"}

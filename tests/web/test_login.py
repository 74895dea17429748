import pytest
from django.test import Client
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import PASSWORD, log_in, make_user, totp_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk() -> User:
    return make_user(username="clerk01", password=PASSWORD, display_name="窓口 一郎")


def test_login_page_is_japanese(client: Client) -> None:
    response = client.get(reverse("web:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "職員ID" in body
    assert "パスワード" in body


def test_home_requires_login(client: Client) -> None:
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_successful_login_is_audited_once(client: Client, clerk: User) -> None:
    response = client.post(reverse("web:login"), {"username": "clerk01", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:verify")
    response = client.post(reverse("web:verify"), {"code": totp_now(clerk)})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    entries = list(AuditEntry.objects.filter(action=AuditAction.STAFF_LOGIN_SUCCEED))
    assert len(entries) == 1
    assert entries[0].actor_id == clerk.pk
    assert entries[0].actor_name == "窓口 一郎"
    assert entries[0].terminal_id == "T-TEST-01"
    assert client.get(reverse("web:home")).status_code == 200


def test_failed_login_is_refused_audited_and_does_not_record_the_typed_name(
    client: Client, clerk: User
) -> None:
    response = client.post(reverse("web:login"), {"username": "clerk01", "password": "wrong-password-123"})
    assert response.status_code == 200
    assert "職員IDまたはパスワードが正しくありません" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_LOGIN_FAIL)
    assert entry.outcome == "refused"
    assert "clerk01" not in str(entry.__dict__)


def test_logout_is_audited(client: Client, clerk: User) -> None:
    log_in(client, clerk)  # type: ignore[arg-type]
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_LOGOUT_SUCCEED, actor_id=clerk.pk).count() == 1


def test_the_admin_login_form_is_not_reachable_and_redirects_to_the_two_step_login(client: Client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
    posted = client.post("/admin/login/", {"username": "admin", "password": "guess"})
    assert posted.status_code in (302, 405)
    assert not AuditEntry.objects.filter(outcome="done").exists()


def test_pages_and_api_answers_are_never_stored_by_the_browser(client: Client) -> None:
    for path in (reverse("web:login"), "/api/registry/drafts"):
        response = client.get(path)
        assert response["Cache-Control"] == "no-store", path

"""Login, lockout, second factor, terminals, idle lock and sessions (controls.md C-1 to C-7, C-33)."""

from __future__ import annotations

import itertools
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from jumin.accounts import clock, services
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.errors import RuleRefused
from jumin.accounts.middleware import ACTIVITY_AT, POLLING_HEADER, POLLING_STOP_STATUS
from jumin.accounts.models import StaffPerson, Terminal, User
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from tests.helpers.accounts import (
    PASSWORD,
    StaffClient,
    log_in,
    make_person,
    make_user,
    terminal_client,
    totp_now,
)

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str = PASSWORD) -> int:
    return client.post(reverse("web:login"), {"username": username, "password": password}).status_code


# --- C-5 lockout -------------------------------------------------------------------------------------


def test_after_5_wrong_passwords_the_correct_one_is_refused_until_an_administrator_unlocks(
    client: Client, admin_user: User
) -> None:
    user = make_user(username="clerk02")
    for _ in range(5):
        login(client, "clerk02", "wrong-password-xyz")
    user.refresh_from_db()
    assert user.is_locked
    assert (
        AuditEntry.objects.filter(action=AuditAction.STAFF_ACCOUNT_LOCK, subject_id=str(user.pk)).count() == 1
    )

    response = client.post(reverse("web:login"), {"username": "clerk02", "password": PASSWORD})
    assert response.status_code == 200
    assert "ロックしました" in response.content.decode()

    services.unlock_account(actor=admin_user, user_id=user.pk, purpose="職員管理")
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_ACCOUNT_UNLOCK, outcome="done").count() == 1
    assert login(client, "clerk02") == 302


def test_wrong_second_factor_codes_count_towards_the_lockout(client: Client) -> None:
    user = make_user(username="clerk03")
    login(client, "clerk03")
    for _ in range(5):
        client.post(reverse("web:verify"), {"code": "000000"})
    user.refresh_from_db()
    assert user.is_locked
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("web:login"))


def test_a_clerk_cannot_unlock_accounts_or_reset_passwords(make_staff: object) -> None:
    clerk = make_user()
    with pytest.raises(AccessRefused):
        services.reset_password(actor=clerk, user_id=clerk.pk, purpose="職員管理")
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_PASSWORD_RESET, outcome="refused").count() == 1


# --- C-1 one account per person ------------------------------------------------------------------------


def test_a_second_active_account_for_the_same_person_is_refused(admin_user: User) -> None:
    services.register_staff(
        actor=admin_user, staff_number="A100", name="甲", username="a100", purpose="職員管理"
    )
    with pytest.raises(RuleRefused) as refused:
        services.register_staff(
            actor=admin_user, staff_number="A100", name="甲", username="a100b", purpose="職員管理"
        )
    assert refused.value.reason_code == "second_account"
    assert User.objects.filter(username="a100b").count() == 0
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_ACCOUNT_CREATE, outcome="refused").count() == 1


def test_the_database_refuses_two_active_accounts_for_one_person() -> None:
    person = make_person()
    make_user(person=person)
    with pytest.raises(IntegrityError):
        make_user(person=person)


def test_an_account_without_a_person_cannot_log_in(client: Client) -> None:
    user = User.objects.create_user(username="generic", password=PASSWORD)
    assert user.person is None
    response = client.post(reverse("web:login"), {"username": "generic", "password": PASSWORD})
    assert response.status_code == 200
    assert "利用できません" in response.content.decode()


def test_temporary_staff_need_an_employment_notice(admin_user: User) -> None:
    with pytest.raises(RuleRefused):
        services.register_staff(
            actor=admin_user,
            staff_number="T1",
            name="乙",
            username="t1",
            kind=StaffPerson.Kind.TEMPORARY,
            purpose="職員管理",
        )


# --- C-6 passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["clerk09-long-enough", "qwertyuiop-zz", "xx1234yyzzwx", "passwordpassword", "aaab-bcd-Xyz9"],
    ids=["user-id", "keyboard-run", "digit-run", "dictionary-word", "repeated-characters"],
)
def test_patterned_passwords_are_refused(password: str) -> None:
    user = make_user(username="clerk09")
    with pytest.raises(RuleRefused):
        services.change_password(actor=user, old_password=PASSWORD, new_password=password)


def test_none_of_the_last_5_passwords_can_be_reused() -> None:
    user = make_user()
    history = [PASSWORD, "Tz8#mQ2!vL9p", "Rk3$wN7@xB5q", "Hy6%pJ4&cV1s", "Gf2*tM9^dK7w"]
    for old, new in itertools.pairwise(history):
        services.change_password(actor=user, old_password=old, new_password=new)
    for reused in history:
        with pytest.raises(RuleRefused) as refused:
            services.change_password(actor=user, old_password=history[-1], new_password=reused)
        assert refused.value.reason_code == "password_rules"
    services.change_password(actor=user, old_password=history[-1], new_password="Pe5)uW8(nC3z")
    # PASSWORD is now the sixth most recent: allowed again.
    services.change_password(actor=user, old_password="Pe5)uW8(nC3z", new_password=PASSWORD)


# --- C-3 terminals -------------------------------------------------------------------------------------


def test_a_request_from_an_unregistered_terminal_is_refused_and_audited() -> None:
    response = Client().get(reverse("web:login"))
    assert response.status_code == 403
    assert "この端末は登録されていません" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_SESSION_REFUSE)
    assert entry.outcome_reason == "terminal_unregistered"


def test_a_forged_terminal_cookie_is_refused() -> None:
    terminal_client()  # a real terminal exists
    client = Client()
    client.cookies[settings.JUMIN_TERMINAL_COOKIE] = "T-TEST-01:forged"
    assert client.get(reverse("web:login")).status_code == 403
    assert (
        AuditEntry.objects.get(action=AuditAction.STAFF_SESSION_REFUSE).outcome_reason
        == "terminal_cookie_invalid"
    )


def test_an_administrator_registers_a_terminal_and_the_code_enrols_it_once(admin_client: StaffClient) -> None:
    response = admin_client.post(
        reverse("web:terminal_register"), {"terminal_id": "T-NEW", "name": "窓口3番", "location": "1階"}
    )
    assert response.status_code == 302
    code = services.register_terminal(
        actor=admin_client.user, terminal_id="T-NEW", name="窓口3番", purpose="端末管理"
    )

    new_terminal = Client()
    assert new_terminal.get(reverse("web:terminal_enrol")).status_code == 200
    response = new_terminal.post(reverse("web:terminal_enrol"), {"terminal_id": "T-NEW", "code": code})
    assert response.status_code == 302
    assert new_terminal.get(reverse("web:login")).status_code == 200
    assert (
        AuditEntry.objects.filter(action=AuditAction.TERMINAL_ENROLMENT_COMPLETE, terminal_id="T-NEW").count()
        == 1
    )

    again = Client()
    response = again.post(reverse("web:terminal_enrol"), {"terminal_id": "T-NEW", "code": code})
    assert "登録コードが正しくないか" in response.content.decode()
    assert again.get(reverse("web:login")).status_code == 403


def test_a_deactivated_terminal_is_refused_at_once() -> None:
    client = terminal_client()
    Terminal.objects.filter(terminal_id="T-TEST-01").update(is_active=False)
    assert client.get(reverse("web:login")).status_code == 403


def test_a_session_moved_to_another_terminal_is_ended(make_staff: object) -> None:
    client = log_in(terminal_client("T-A"), make_user())
    client.cookies[settings.JUMIN_TERMINAL_COOKIE] = (
        terminal_client("T-B").cookies[settings.JUMIN_TERMINAL_COOKIE].value
    )
    response = client.get(reverse("web:home"))
    assert response["Location"].startswith(reverse("web:login"))
    assert AuditEntry.objects.filter(outcome_reason="terminal_changed").count() == 1


def test_audit_entries_carry_the_terminal_id_and_one_request_id_per_request(client: Client) -> None:
    make_user(username="clerk05")
    login(client, "clerk05", "wrong-password-xyz")
    entry = AuditEntry.objects.get(action=AuditAction.STAFF_LOGIN_FAIL)
    assert entry.terminal_id == "T-TEST-01"
    assert len(entry.request_id) == 32


# --- second factor, enrolment, sessions -----------------------------------------------------------------


def test_password_alone_reaches_nothing_but_the_second_factor(client: Client) -> None:
    make_user(username="clerk06")
    login(client, "clerk06")
    assert client.get(reverse("web:home"))["Location"] == reverse("web:verify")
    assert client.get(reverse("web:staff"))["Location"] == reverse("web:verify")
    assert client.post(reverse("web:api_hr_event"), {}, HTTP_ACCEPT="application/json").status_code == 401


def test_a_user_without_a_factor_is_sent_to_enrolment_and_can_enrol_totp(client: Client) -> None:
    import pyotp

    make_user(username="clerk07", totp=False)
    login(client, "clerk07")
    assert client.get(reverse("web:home"))["Location"] == reverse("web:enrol")
    page = client.get(reverse("web:enrol"))
    assert page.status_code == 200
    secret = page.context["secret"]
    response = client.post(reverse("web:enrol"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_FACTOR_ENROL, outcome="done").count() == 1


def test_a_totp_code_is_accepted_only_once(client: Client) -> None:
    user = make_user(username="clerk08")
    login(client, "clerk08")
    code = totp_now(user)
    assert client.post(reverse("web:verify"), {"code": code}).status_code == 302
    client.post(reverse("web:logout"))
    login(client, "clerk08")
    response = client.post(reverse("web:verify"), {"code": code})
    assert response.status_code == 200
    assert "既に使われています" in response.content.decode()


def test_after_the_idle_time_the_session_locks_and_the_second_factor_unlocks_it(client: Client) -> None:
    user = make_user()
    log_in(client, user)  # type: ignore[arg-type]
    session = client.session
    session[ACTIVITY_AT] = int(time.time()) - settings.JUMIN_IDLE_LOCK_SECONDS - 1
    session.save()
    response = client.get(reverse("web:home"))
    assert response["Location"] == reverse("web:verify")
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_SESSION_LOCK, actor_id=user.pk).count() == 1
    assert client.get(reverse("web:home"), HTTP_ACCEPT="application/json").status_code == 401
    assert "画面ロックの解除" in client.get(reverse("web:verify")).content.decode()
    client.post(reverse("web:verify"), {"code": totp_now(user)})
    assert AuditEntry.objects.filter(action=AuditAction.STAFF_SESSION_UNLOCK, actor_id=user.pk).count() == 1
    assert client.get(reverse("web:home")).status_code == 200


def test_a_forged_session_cookie_is_refused_and_audited(client: Client) -> None:
    client.cookies[settings.SESSION_COOKIE_NAME] = "forgedsessionkey0123456789abcdef"
    response = client.get(reverse("web:home"))
    assert response["Location"].startswith(reverse("web:login"))
    assert AuditEntry.objects.get(action=AuditAction.STAFF_SESSION_REFUSE).outcome_reason == "session_unknown"


def test_the_django_admin_login_is_replaced_by_the_two_step_login(client: Client) -> None:
    user = make_user(superuser=True)
    log_in(client, user, second_factor_verified=False)  # type: ignore[arg-type]
    assert client.get(reverse("admin:index"))["Location"] == reverse("web:verify")


def test_an_expired_enrolment_code_is_refused(admin_user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    code = services.register_terminal(
        actor=admin_user, terminal_id="T-OLD", name="旧端末", purpose="端末管理"
    )
    later = clock.now() + timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(RuleRefused):
        services.enrol_terminal(terminal_id="T-OLD", code=code)


def test_a_screen_refreshing_itself_does_not_keep_the_session_from_locking(client: Client) -> None:
    user = make_user()
    log_in(client, user)  # type: ignore[arg-type]
    session = client.session
    idle_since = int(time.time()) - settings.JUMIN_IDLE_LOCK_SECONDS + 5
    session[ACTIVITY_AT] = idle_since
    session.save()
    polled = client.get(reverse("web:home"), headers={POLLING_HEADER: "1"})
    assert polled.status_code == 200
    assert client.session[ACTIVITY_AT] == idle_since  # the refresh did not count as the person's activity

    session = client.session
    session[ACTIVITY_AT] = int(time.time()) - settings.JUMIN_IDLE_LOCK_SECONDS - 1
    session.save()
    stopped = client.get(reverse("web:home"), headers={POLLING_HEADER: "1"})
    assert stopped.status_code == POLLING_STOP_STATUS  # htmx stops polling instead of swapping in a page
    assert "自動更新を止めました" in stopped.content.decode()
    assert client.get(reverse("web:home"))["Location"] == reverse("web:verify")


def test_an_ordinary_request_counts_as_activity(client: Client) -> None:
    user = make_user()
    log_in(client, user)  # type: ignore[arg-type]
    session = client.session
    session[ACTIVITY_AT] = int(time.time()) - 60
    session.save()
    client.get(reverse("web:home"))
    assert client.session[ACTIVITY_AT] >= int(time.time()) - 1

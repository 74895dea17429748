"""特例転入 between two CS (F02): 転出証明書情報, card check, 転入通知, 継続利用, 送信依頼, erasure.

佐世保市 is the 転出地 and 長崎市 the 転入地; the prefecture and the national node are real nodes of the
in-process federation. The registry's part (the 転出 and 転入 commits) is in
tests/registry/test_special_moves.py; here the CS services are called as the registry calls them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import Terminal, User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import MOVE_OUT_CERTIFICATE
from jumin.jukinet.common.move_out_certificate import MoveOutCertificate
from jumin.jukinet.cs import cards, services, special_move_in, special_move_out
from jumin.jukinet.cs.models import CertificateRequest, HeldCertificate, ReceivedMoveInNotice, SentCertificate
from jumin.jukinet.national.models import CardEvent
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.services import enqueue
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import TERMINAL_ID, grant_permissions, make_terminal, make_user
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import then, update

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
CHIYODA = NodeRef("municipality", "131016")
PIN = "1234"
PURPOSE = "cs_operator"


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop01")
    grant_permissions(user, [Permission.CS_IDENTITY_CHECK, Permission.CS_CARD])
    return user


def card_holder_moving_out(federation: TestFederation, operator: User) -> tuple[Any, dict[str, Any]]:
    """A 佐世保市 resident with a card, then their 国内転出 at the CS; gives (request, card file)."""
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)
        federation.pump()
        card = cards.issue_card(actor=operator, purpose=PURPOSE, resident_code=request.resident_code, pin=PIN)
        services.accept_update(then(request, change_reason="国内転出", removed=True), actor=None)
    federation.pump()
    return request, card


def certificate_of(request: Any, **overrides: Any) -> MoveOutCertificate:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "control_number": "",
        "resident_code": request.resident_code,
        "individual_number": request.individual_number,
        "name": request.name,
        "name_kana": request.name_kana,
        "birth_date": request.birth_date,
        "sex": request.sex,
        "address": request.address,
        "municipality_code": SASEBO.code,
        "household_head": request.name,
        "relationship": "世帯主",
        "honseki": "長崎県佐世保市八幡町1番地",
        "hittousha": request.name,
        "destination": "長崎県長崎市江戸町2番13号",
        "destination_municipality_code": NAGASAKI.code,
        "planned_date": today.isoformat(),
        "notification_date": today.isoformat(),
        "operator_id": "clerk01",
        "terminal_id": "T-01",
    }
    values.update(overrides)
    return MoveOutCertificate(**values)


def send(federation: TestFederation, request: Any, **overrides: Any) -> SentCertificate:
    """The 転出地 CS sends the certificate as the registry's 転出 commit does, then delivers it."""
    with federation.acting_as(SASEBO), transaction.atomic():
        control = special_move_out.new_control_number()
        row = special_move_out.send_certificate(
            certificate_of(request, control_number=control, **overrides), actor=None
        )
    federation.pump()
    return row


def move_in_with_card(
    federation: TestFederation, operator: User, request: Any, card: dict[str, Any]
) -> tuple[special_move_in.HeldSummary, MoveOutCertificate]:
    """At 長崎市: the card check, the starting data and the 転入 commit's ``complete`` (not pumped)."""
    with federation.acting_as(NAGASAKI):
        summary = special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
        start = special_move_in.starting_data(
            actor=operator, purpose=PURPOSE, resident_code=request.resident_code
        )
        with transaction.atomic():
            special_move_in.complete(
                special_move_in.MoveInDone(
                    resident_code=request.resident_code,
                    move_in_date=timezone.localdate(),
                    notice_date=timezone.localdate(),
                    new_address="長崎県長崎市江戸町2番13号",
                ),
                actor=operator,
            )
    return summary, start


def test_the_whole_special_move_in_between_two_cs(federation: TestFederation, operator: User) -> None:
    request, card = card_holder_moving_out(federation, operator)
    sent = send(federation, request)
    held = HeldCertificate.objects.get()
    assert (held.state, held.sender_code, held.resident_code) == ("held", SASEBO.code, request.resident_code)
    assert held.erase_on == timezone.localdate() + timedelta(days=30)
    assert "individual_number" not in held.items
    assert held.individual_number is not None
    assert request.individual_number not in str(held.individual_number)

    summary, start = move_in_with_card(federation, operator, request, card)
    assert (summary.resident_code, summary.sender_code) == (request.resident_code, SASEBO.code)
    assert (start.name, start.individual_number) == (request.name, request.individual_number)
    federation.pump()

    held.refresh_from_db()
    assert (held.state, held.items, held.individual_number) == ("used", {}, None)
    assert held.notice_sent_at is not None
    assert held.continued_use_sent_at is not None
    notice = ReceivedMoveInNotice.objects.get()
    assert (notice.sender_code, notice.resident_code) == (NAGASAKI.code, request.resident_code)
    assert "individual_number" not in notice.items
    assert [n.resident_code for n in special_move_out.waiting_move_in_notices()] == [request.resident_code]
    sent.refresh_from_db()
    assert sent.confirmed_at is not None
    assert sent.items == {}
    assert sent.individual_number is None
    continued = CardEvent.objects.get(event="continue_use")
    assert (continued.outcome, continued.municipality_code, continued.status_after) == (
        "applied",
        NAGASAKI.code,
        "active",
    )
    assert AuditEntry.objects.filter(action="cs:move_out_certificate:receive", outcome="done").count() == 1
    assert AuditEntry.objects.filter(action="cs:move_in_notice:receive").count() == 1


def test_a_card_without_held_data_is_refused_and_a_resend_request_brings_it(
    federation: TestFederation, operator: User
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    with federation.acting_as(SASEBO), transaction.atomic():
        row = special_move_out.send_certificate(
            certificate_of(request, control_number=special_move_out.new_control_number()), actor=None
        )
    # The first send never arrived: an operator retired it after the 転入予定地 stayed unreachable.
    OutboxMessage.objects.filter(type=MOVE_OUT_CERTIFICATE).update(status=OutboxMessage.Status.RETIRED)
    with federation.acting_as(NAGASAKI), pytest.raises(DomainError) as missing:
        special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
    assert missing.value.code == "jukinet.cs.certificate_missing"
    assert "送信依頼" in missing.value.remedy

    with federation.acting_as(NAGASAKI):
        special_move_in.request_resend(
            actor=operator,
            purpose=PURPOSE,
            resident_code=request.resident_code,
            from_municipality=SASEBO.code,
        )
    federation.pump()
    assert CertificateRequest.objects.get().state == "received"
    assert HeldCertificate.objects.get().state == "held"
    row.refresh_from_db()
    assert row.send_count == 2
    with federation.acting_as(NAGASAKI):
        assert special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN).held_id


def test_a_resend_after_the_planned_date_passed_without_a_move_in_notice_sends_the_data(
    federation: TestFederation, operator: User
) -> None:
    request, _card = card_holder_moving_out(federation, operator)
    sent = send(federation, request)
    with federation.acting_as(NAGASAKI):
        special_move_in.erase_unused(today=timezone.localdate() + timedelta(days=31))
    with federation.acting_as(SASEBO):
        # The daily batch of 佐世保市 ends the 転出予定 on the planned date: CS 異動事由 転出確定.
        services.accept_update(then(request, change_reason="転出確定", removed=True), actor=None)
    with federation.acting_as(NAGASAKI):
        special_move_in.request_resend(
            actor=operator,
            purpose=PURPOSE,
            resident_code=request.resident_code,
            from_municipality=SASEBO.code,
        )
    federation.pump()
    assert CertificateRequest.objects.get().state == "received"
    assert HeldCertificate.objects.filter(state="held").count() == 1
    sent.refresh_from_db()
    assert sent.send_count == 2


def test_a_resend_request_for_a_person_not_moving_out_is_answered_with_the_reason(
    federation: TestFederation, operator: User
) -> None:
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)  # a resident of 佐世保市, no 転出
    with federation.acting_as(NAGASAKI):
        special_move_in.request_resend(
            actor=operator,
            purpose=PURPOSE,
            resident_code=request.resident_code,
            from_municipality=SASEBO.code,
        )
    federation.pump()
    answered = CertificateRequest.objects.get()
    assert (answered.state, answered.code) == ("refused", "jukinet.move_out_certificate.not_moving_out")
    assert "転出" in answered.reason
    assert answered.remedy
    assert not HeldCertificate.objects.exists()
    assert AuditEntry.objects.filter(action="cs:move_out_certificate:send", outcome="refused").count() == 1


def test_a_resend_request_with_a_wrong_check_digit_is_refused_before_anything_is_sent(
    federation: TestFederation, operator: User
) -> None:
    request = update()
    wrong = request.resident_code[:-1] + str((int(request.resident_code[-1]) + 1) % 10)
    with federation.acting_as(NAGASAKI), pytest.raises(DomainError) as refused:
        special_move_in.request_resend(
            actor=operator, purpose=PURPOSE, resident_code=wrong, from_municipality=SASEBO.code
        )
    assert refused.value.field == "resident_code"
    assert not CertificateRequest.objects.exists()


def test_a_certificate_with_a_wrong_check_digit_never_leaves_the_old_municipality(
    federation: TestFederation, operator: User
) -> None:
    request, _card = card_holder_moving_out(federation, operator)
    wrong = request.individual_number[:-1] + str((int(request.individual_number[-1]) + 1) % 10)
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused, transaction.atomic():
        special_move_out.send_certificate(
            certificate_of(request, control_number="x-1", individual_number=wrong), actor=None
        )
    assert refused.value.field == "individual_number"
    assert not SentCertificate.objects.exists()


def test_a_certificate_for_another_municipality_is_not_held(
    federation: TestFederation, operator: User
) -> None:
    request, _card = card_holder_moving_out(federation, operator)
    misrouted = certificate_of(request, control_number="x-2")  # names 長崎市, sent to 千代田区
    with federation.acting_as(SASEBO), transaction.atomic():
        enqueue(
            message_type=MOVE_OUT_CERTIFICATE,
            receiver=CHIYODA,
            subject="moc-x",
            payload=misrouted.as_payload(),
        )
    federation.pump()
    assert not HeldCertificate.objects.exists()
    assert InboxMessage.objects.filter(type=MOVE_OUT_CERTIFICATE, status="applied").count() == 1
    refused = AuditEntry.objects.get(action="cs:move_out_certificate:receive")
    assert (refused.outcome, refused.outcome_reason) == ("refused", "jukinet.move_out_certificate.misrouted")


def test_unused_data_is_erased_thirty_days_after_the_planned_date_and_can_be_requested_again(
    federation: TestFederation, operator: User
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    planned = timezone.localdate() - timedelta(days=5)
    send(federation, request, planned_date=planned.isoformat(), notification_date=planned.isoformat())
    erase_on = planned + timedelta(days=30)
    with federation.acting_as(NAGASAKI):
        assert special_move_in.erase_unused(today=erase_on) == 0
        out = StringIO()
        call_command(
            "cs_erase_certificates", "--date", (erase_on + timedelta(days=1)).isoformat(), stdout=out
        )
    assert "1件" in out.getvalue()
    held = HeldCertificate.objects.get()
    assert (held.state, held.items, held.individual_number) == ("erased", {}, None)
    assert held.erase_reason.startswith("期限経過")
    assert AuditEntry.objects.filter(action="cs:move_out_certificate:erase", result_count=1).count() == 1
    with federation.acting_as(NAGASAKI), pytest.raises(DomainError):
        special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
    with federation.acting_as(NAGASAKI):
        special_move_in.request_resend(
            actor=operator,
            purpose=PURPOSE,
            resident_code=request.resident_code,
            from_municipality=SASEBO.code,
        )
    federation.pump()
    again = HeldCertificate.objects.get(state="held")
    assert again.erase_on >= timezone.localdate()


# --- The 特例転入 screen (統合端末 menu 7) -----------------------------------------------------------


@pytest.fixture
def cs_terminal(db: None) -> None:
    """The test terminal is an integrated terminal: biometric login only (C-4)."""
    make_terminal()
    Terminal.objects.filter(terminal_id=TERMINAL_ID).update(biometric_only=True)


def test_the_screen_follows_the_permission_triple(cs_terminal: None, make_staff: Callable[..., Any]) -> None:
    assert_permission_triple(
        make_staff,
        "get",
        reverse("jukinet_cs:move_out_certificates"),
        Permission.CS_IDENTITY_CHECK,
        data={"purpose": PURPOSE},
    )


def test_the_screen_checks_the_card_lists_the_held_data_and_sends_a_request(
    federation: TestFederation, operator: User, cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    send(federation, request)
    client = make_staff([Permission.CS_IDENTITY_CHECK, Permission.FIELD_JUMINHYO_CODE_VIEW])
    url = reverse("jukinet_cs:move_out_certificates")
    with federation.acting_as(NAGASAKI):
        upload = SimpleUploadedFile("card.json", json.dumps(card).encode(), content_type="application/json")
        checked = client.post(url, {"action": "check", "purpose": PURPOSE, "card": upload, "pin": PIN})
        assert "カードによる本人確認ができました" in checked.content.decode()
        listed = client.get(url, {"purpose": PURPOSE}).content.decode()
        assert request.resident_code in listed
        assert "保管中" in listed
        assert request.individual_number not in listed
        again = client.post(
            url,
            {
                "action": "request",
                "purpose": PURPOSE,
                "resident_code": request.resident_code,
                "from_municipality": SASEBO.code,
            },
        ).content.decode()
        assert "受信済みで保管中です" in again  # nothing to ask for: refused with the reason
        masked = make_staff([Permission.CS_IDENTITY_CHECK]).get(url, {"purpose": PURPOSE}).content.decode()
        assert request.resident_code not in masked
    assert (
        AuditEntry.objects.filter(action="cs:move_out_certificate:list", outcome="done").count() == 2
    )  # the two GETs


def test_the_api_checks_the_card_lists_and_refuses_a_needless_request(
    federation: TestFederation, operator: User, cs_terminal: None, make_staff: Callable[..., Any]
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    send(federation, request)
    client = make_staff([Permission.CS_IDENTITY_CHECK])
    base = "/api/jukinet/cs/move-out-certificates"

    def post(path: str, body: dict[str, Any]) -> Any:
        return client.post(
            f"{base}/{path}", json.dumps({"purpose": PURPOSE, **body}), content_type="application/json"
        )

    with federation.acting_as(NAGASAKI):
        checked = post("card-check", {"card": card, "pin": PIN})
        assert checked.status_code == 200, checked.content
        assert checked.json()["sender_code"] == SASEBO.code
        listed = post("list", {})
        assert [row["state"] for row in listed.json()["held"]] == ["held"]
        assert request.individual_number not in listed.content.decode()
        refused = post("request", {"resident_code": request.resident_code, "from_municipality": SASEBO.code})
        assert refused.status_code == 400
        assert refused.json()["field"] == "resident_code"

"""特例転入 messages left without a peer, and the sender check of a 転入通知 (docs/jukinet.md Flow 7).

* A 転出証明書情報 whose 転入予定地 was no peer at the 転出 commit is sent later by
  ``jumin cs send-waiting-certificates``, the screen's button or the API, once.
* A 特例転入's 継続利用 card event committed while N4 was no peer is sent later by
  ``jumin cs send-waiting-continued-use``, the screen's button or the API, once; never for a 転入 that
  was not committed.
* A 特例転入's 転入通知 whose 転出地 was no peer waits on the same list as an ordinary 転入's and is
  re-sent the same way (``move_in_notices.resend``).
* A 転入通知 from another municipality than the 転入地 it names, or than the one the 転出証明書情報 was
  sent to, is refused at the 転出地, audited and answered (返却エラー at the sender).

"No peer" is simulated by patching ``peer_configured`` of the sending module: the test federation is a
full mesh.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import CARD_EVENT, MOVE_IN_NOTICE, MOVE_OUT_CERTIFICATE
from jumin.jukinet.common.move_out_certificate import MoveInNoticeItems
from jumin.jukinet.cs import move_in_notices, services, special_move_in, special_move_out, worklists
from jumin.jukinet.cs.models import (
    HeldCertificate,
    ReceivedMoveInNotice,
    SentCertificate,
    SentMoveInNotice,
    UpdateRejection,
)
from jumin.jukinet.cs.operators import OPERATOR_FALLBACK
from jumin.jukinet.national.models import CardEvent
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions
from tests.jukinet.cs.factories import update
from tests.jukinet.cs.test_special_move_in import (  # noqa: F401 (fixtures)
    CHIYODA,
    NAGASAKI,
    PIN,
    PURPOSE,
    SASEBO,
    card_holder_moving_out,
    certificate_of,
    cs_terminal,
    move_in_with_card,
    operator,
    send,
)

pytestmark = pytest.mark.django_db


def sent_without_peer(federation: TestFederation, request: Any) -> SentCertificate:
    """佐世保市's 転出 commit while 長崎市 was no peer: the certificate is stored, not queued."""
    with (
        federation.acting_as(SASEBO),
        mock.patch.object(special_move_out, "peer_configured", return_value=False),
        transaction.atomic(),
    ):
        return special_move_out.send_certificate(
            certificate_of(request, control_number=special_move_out.new_control_number()), actor=None
        )


def run_command(
    federation: TestFederation, name: str = "cs_send_waiting_certificates", *, node: NodeRef = SASEBO
) -> str:
    """Run a management command at ``node`` (default: the 転出地's send-waiting-certificates); its output."""
    out = StringIO()
    with federation.acting_as(node):
        call_command(name, stdout=out)
    return out.getvalue()


# --- 1. 転出証明書情報 left unsent ------------------------------------------------------------------


def test_the_command_sends_a_waiting_certificate_once_its_destination_is_a_peer(
    federation: TestFederation,
    operator: User,  # noqa: F811
) -> None:
    request, _card = card_holder_moving_out(federation, operator)
    row = sent_without_peer(federation, request)
    assert (row.sent_at, row.send_count) == (None, 0)
    assert not OutboxMessage.objects.filter(type=MOVE_OUT_CERTIFICATE).exists()

    with mock.patch.object(special_move_out, "peer_configured", return_value=False):
        still = run_command(federation)
    assert "0件を送信しました" in still
    assert "送信待ちのまま: 1件" in still
    assert not OutboxMessage.objects.filter(type=MOVE_OUT_CERTIFICATE).exists()

    first = run_command(federation)
    second = run_command(federation)  # idempotent: nothing is sent twice
    assert "1件を送信しました" in first
    assert "0件を送信しました" in second
    assert "送信待ちのまま: 0件" in second
    federation.pump()
    row.refresh_from_db()
    assert row.send_count == 1
    assert row.sent_at is not None
    assert OutboxMessage.objects.filter(type=MOVE_OUT_CERTIFICATE).count() == 1
    assert HeldCertificate.objects.get().state == "held"
    audit = AuditEntry.objects.get(action="cs:move_out_certificate:send", reason__contains="sent 1")
    assert (audit.actor_id, audit.individual_number_used) == (None, True)  # the system


def test_a_waiting_certificate_of_a_person_no_longer_moving_out_is_never_sent(
    federation: TestFederation,
    operator: User,  # noqa: F811
) -> None:
    request = update()
    with federation.acting_as(SASEBO):
        services.accept_update(request, actor=None)  # the CS file holds no 国内転出 (e.g. it was cancelled)
    row = sent_without_peer(federation, request)
    out = run_command(federation)
    assert "0件を送信しました" in out
    assert "送信しないもの: 1件" in out
    row.refresh_from_db()
    assert row.sent_at is None
    assert not OutboxMessage.objects.filter(type=MOVE_OUT_CERTIFICATE).exists()


def send_waiting_api(client: Any, action: str = "send-waiting") -> Any:
    return client.post(
        f"/api/jukinet/cs/move-out-certificates/{action}",
        json.dumps({"purpose": PURPOSE}),
        content_type="application/json",
    )


def test_the_screen_and_the_api_send_the_waiting_certificates(
    federation: TestFederation,
    operator: User,  # noqa: F811
    cs_terminal: None,  # noqa: F811
    make_staff: Callable[..., Any],
) -> None:
    request, _card = card_holder_moving_out(federation, operator)
    sent_without_peer(federation, request)
    newer = sent_without_peer(federation, request)  # the 転出 entered again: this one replaces it
    client = make_staff([Permission.CS_IDENTITY_CHECK])
    url = reverse("jukinet_cs:move_out_certificates")
    with federation.acting_as(SASEBO):
        page = client.post(url, {"action": "send_waiting", "purpose": PURPOSE}).content.decode()
        assert "送信待ちの転出証明書情報を1件送信しました" in page
        assert "送信しないもの 1件" in page
        api = send_waiting_api(client)
        assert api.status_code == 200, api.content
        assert api.json() == {"sent": 0, "waiting": 0, "not_due": 1, "held": 0}
        assert send_waiting_api(make_staff([])).status_code == 403
    assert OutboxMessage.objects.filter(type=MOVE_OUT_CERTIFICATE).count() == 1
    assert SentCertificate.objects.get(sent_at__isnull=False).pk == newer.pk
    assert AuditEntry.objects.filter(action="cs:move_out_certificate:send", purpose=PURPOSE).count() >= 2


# --- 2. A 特例転入's 転入通知 left without a peer ------------------------------------------------------


def test_a_special_move_in_notice_without_a_peer_waits_on_the_list_and_is_resent(
    federation: TestFederation,
    operator: User,  # noqa: F811
    cs_terminal: None,  # noqa: F811
    make_staff: Callable[..., Any],
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    sent = send(federation, request)
    with mock.patch.object(move_in_notices, "peer_configured", return_value=False):
        move_in_with_card(federation, operator, request, card)
    federation.pump()
    held = HeldCertificate.objects.get()
    assert (held.state, held.notice_sent_at) == ("used", None)
    waiting = SentMoveInNotice.objects.get()
    assert (waiting.sent_at, waiting.destination_code) == (None, SASEBO.code)
    assert (waiting.items["special"], waiting.items["control_number"]) == (True, sent.control_number)
    assert "individual_number" not in waiting.items
    assert not ReceivedMoveInNotice.objects.exists()

    client = make_staff([Permission.CS_IDENTITY_CHECK])
    url = reverse("jukinet_cs:move_out_certificates")
    with federation.acting_as(NAGASAKI):
        listed = client.get(url, {"purpose": PURPOSE}).content.decode()
        assert "特例転入" in listed
        assert "送信待ち" in listed
        with pytest.raises(DomainError) as elsewhere:
            move_in_notices.resend(
                actor=operator, purpose=PURPOSE, notice_id=waiting.pk, destination_code=CHIYODA.code
            )
        assert elsewhere.value.field == "destination_code"
        assert SentMoveInNotice.objects.get().sent_at is None  # nothing changed
        resent = client.post(
            url, {"action": "resend_notice", "purpose": PURPOSE, "notice_id": waiting.pk}
        ).content.decode()
        assert f"転出地 {SASEBO.code} へ送信しました" in resent
    federation.pump()
    received = ReceivedMoveInNotice.objects.get()
    assert (received.sender_code, received.items["special"]) == (NAGASAKI.code, True)
    sent.refresh_from_db()
    assert (sent.items, sent.individual_number) == ({}, None)  # the 転出地 erased its copy
    held.refresh_from_db()
    assert held.notice_sent_at is not None


# --- 2b. A 特例転入's 継続利用 left without N4 as a peer ------------------------------------------------


def continued_use_events() -> Any:
    """Card events queued by 長崎市 (the 転入地): here only the 継続利用 (the outbox keeps no payload)."""
    return OutboxMessage.objects.filter(type=CARD_EVENT, sender_code=NAGASAKI.code)


def run_continued_use_command(federation: TestFederation) -> str:
    return run_command(federation, "cs_send_waiting_continued_use", node=NAGASAKI)


def moved_in_without_n4(federation: TestFederation, clerk: User) -> None:
    """A 特例転入 from 佐世保市 committed at 長崎市 while the national node (N4) was no peer."""
    request, card = card_holder_moving_out(federation, clerk)
    send(federation, request)
    with mock.patch.object(special_move_in, "peer_configured", return_value=False):
        move_in_with_card(federation, clerk, request, card)


def test_a_continued_use_left_without_n4_is_sent_once_n4_is_a_peer(
    federation: TestFederation,
    operator: User,  # noqa: F811
) -> None:
    moved_in_without_n4(federation, operator)
    with mock.patch.object(special_move_in, "peer_configured", return_value=False):
        still = run_continued_use_command(federation)
    assert "0件を送信しました" in still
    assert "送信待ちのまま: 1件" in still
    held = HeldCertificate.objects.get()
    assert (held.state, held.continued_use_sent_at) == ("used", None)
    assert held.notice_sent_at is not None  # the 転入通知 did not wait for N4
    assert not continued_use_events().exists()
    committed_on = timezone.localdate() - timedelta(days=1)  # the 転入 was committed the day before
    HeldCertificate.objects.filter(pk=held.pk).update(used_at=timezone.now() - timedelta(days=1))

    first = run_continued_use_command(federation)
    second = run_continued_use_command(federation)  # idempotent: nothing is sent twice
    assert "1件を送信しました" in first
    assert "0件を送信しました" in second
    assert "送信待ちのまま: 0件" in second
    federation.pump()
    held.refresh_from_db()
    assert held.continued_use_sent_at is not None
    assert continued_use_events().count() == 1
    continued = CardEvent.objects.get(event="continue_use")
    assert (continued.outcome, continued.municipality_code, continued.reason) == (
        "applied",
        NAGASAKI.code,
        "特例転入",
    )
    assert (continued.card_serial, continued.event_date) == (held.card_serial, committed_on)
    assert continued.operator_id == OPERATOR_FALLBACK  # sent by the system's command
    audit = AuditEntry.objects.get(action="cs:card:event", reason__contains="sent 1")
    assert (audit.actor_id, audit.result_count, audit.individual_number_used) == (None, 1, False)


def test_a_continued_use_of_a_move_in_not_committed_is_never_sent(
    federation: TestFederation,
    operator: User,  # noqa: F811
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    send(federation, request)

    with (
        mock.patch.object(special_move_in, "peer_configured", return_value=False),
        transaction.atomic(),
    ):
        move_in_with_card(federation, operator, request, card)
        transaction.set_rollback(True)  # the registry's 転入 commit failed after ``complete``
    with federation.acting_as(NAGASAKI):  # the card check itself stays (it is not part of the 転入)
        special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
    held = HeldCertificate.objects.get()
    assert (held.state, held.continued_use_sent_at) == ("held", None)
    assert held.card_serial

    out = run_continued_use_command(federation)
    assert "0件を送信しました" in out
    assert "送信待ちのまま: 0件" in out
    assert not continued_use_events().exists()
    assert HeldCertificate.objects.get().continued_use_sent_at is None


def test_the_screen_and_the_api_send_the_waiting_continued_use(
    federation: TestFederation,
    operator: User,  # noqa: F811
    cs_terminal: None,  # noqa: F811
    make_staff: Callable[..., Any],
) -> None:
    moved_in_without_n4(federation, operator)
    client = make_staff([Permission.CS_IDENTITY_CHECK])
    url = reverse("jukinet_cs:move_out_certificates")
    with federation.acting_as(NAGASAKI):
        listed = client.get(url, {"purpose": PURPOSE}).content.decode()
        assert "<td>送信待ち</td></tr>" in listed  # the held row's 継続利用 column
        refused = send_waiting_api(make_staff([]), "send-waiting-continued-use")
        assert refused.status_code == 403
        page = client.post(url, {"action": "send_continued_use", "purpose": PURPOSE}).content.decode()
        assert "送信待ちの継続利用を1件送信しました" in page
        api = send_waiting_api(client, "send-waiting-continued-use")
        assert api.status_code == 200, api.content
        assert api.json() == {"sent": 0, "waiting": 0}
    assert continued_use_events().count() == 1
    assert AuditEntry.objects.filter(action="cs:card:event", purpose=PURPOSE, outcome="done").count() == 2


# --- 3. The sender of a 転入通知 ---------------------------------------------------------------------


def notice_from_chiyoda(request: Any, *, control_number: str, new_municipality_code: str) -> SentMoveInNotice:
    """千代田区 sends 佐世保市 a 転入通知 about 佐世保市's mover (inside acting_as(CHIYODA))."""
    today = timezone.localdate().isoformat()
    with transaction.atomic():
        row, queued = move_in_notices.store_and_send(
            MoveInNoticeItems(
                resident_code=request.resident_code,
                control_number=control_number,
                move_in_date=today,
                notice_date=today,
                new_address="東京都千代田区千代田1番1号",
                new_municipality_code=new_municipality_code,
                notification_kind="届出",
                special=bool(control_number),
                operator_id="clerk01",
                terminal_id="T-01",
            ),
            destination_code=SASEBO.code,
        )
    assert queued
    return row


@pytest.mark.parametrize(
    ("answers_certificate", "named_municipality", "field"),
    [
        (True, CHIYODA.code, "control_number"),  # the certificate went to 長崎市, not 千代田区
        (False, NAGASAKI.code, "new_municipality_code"),  # names 長崎市 as the 転入地
    ],
)
def test_a_move_in_notice_from_another_municipality_is_refused_and_answered(
    federation: TestFederation,
    operator: User,  # noqa: F811
    answers_certificate: bool,
    named_municipality: str,
    field: str,
) -> None:
    request, _card = card_holder_moving_out(federation, operator)
    sent = send(federation, request)
    with federation.acting_as(CHIYODA):
        notice = notice_from_chiyoda(
            request,
            control_number=sent.control_number if answers_certificate else "",
            new_municipality_code=named_municipality,
        )
    federation.pump()

    assert not ReceivedMoveInNotice.objects.exists()
    sent.refresh_from_db()
    assert sent.confirmed_at is None
    assert sent.items  # the sent copy is kept: a 送信依頼 from 長崎市 can still be answered
    assert InboxMessage.objects.filter(type=MOVE_IN_NOTICE, status="applied").count() == 1
    audit = AuditEntry.objects.get(action="cs:move_in_notice:receive")
    assert (audit.outcome, audit.outcome_reason) == ("refused", special_move_out.WRONG_SENDER)
    assert field in audit.reason

    rejection = UpdateRejection.objects.get()  # at 千代田区, the sender
    assert rejection.code == special_move_out.WRONG_SENDER
    assert "転入地" in rejection.reason or "管理番号" in rejection.reason
    assert rejection.remedy
    assert rejection.identity is not None
    assert rejection.identity.resident_code == notice.resident_code
    clerk = operator
    grant_permissions(clerk, [Permission.CS_CONSISTENCY, Permission.FIELD_JUMINHYO_CODE_VIEW])
    with federation.acting_as(CHIYODA):
        (row,) = worklists.worklists(actor=clerk, purpose=PURPOSE).rejections
    assert (row.kind, row.resident_code) == ("転入通知", request.resident_code)


def test_a_move_in_notice_from_the_municipality_the_certificate_went_to_is_kept(
    federation: TestFederation,
    operator: User,  # noqa: F811
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    send(federation, request)
    move_in_with_card(federation, operator, request, card)
    federation.pump()
    assert ReceivedMoveInNotice.objects.get().sender_code == NAGASAKI.code
    assert not UpdateRejection.objects.exists()
    assert not AuditEntry.objects.filter(action="cs:move_in_notice:receive", outcome="refused").exists()

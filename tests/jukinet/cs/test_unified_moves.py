"""住基ネット統一文字 in the 転出証明書情報 and the 転入通知 (std 7.1.1.1-e), sent and received.

佐世保市 is the 転出地 and 長崎市 the 転入地 (tests/jukinet/cs/test_special_move_in.py has the flow). Sent:
a character in another form of the same character is converted, a 外字 not registered holds the data
(送信保留, with the reason and remedy on the 転出証明書情報一覧) until it is registered. Received: a 外字 the
receiving CS has not registered (the sender registered it; every node of the test federation shares one
database, so such a message is enqueued directly) stops its use until it is registered.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.unified_characters import NOT_UNIFIED_CODE, NOT_UNIFIED_RECEIVED_CODE
from jumin.jukinet.common.catalogue import MOVE_IN_NOTICE, MOVE_OUT_CERTIFICATE
from jumin.jukinet.common.move_out_certificate import MoveInNoticeItems
from jumin.jukinet.cs import certificate_lists, move_in_notices, special_move_in, special_move_out
from jumin.jukinet.cs.models import CertificateRequest, HeldCertificate, ReceivedMoveInNotice
from jumin.messaging.envelope import decode_verified
from jumin.messaging.models import OutboxMessage
from jumin.messaging.services import enqueue
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import update
from tests.jukinet.cs.test_special_move_in import (
    NAGASAKI,
    PIN,
    PURPOSE,
    SASEBO,
    card_holder_moving_out,
    certificate_of,
    send,
)

pytestmark = pytest.mark.django_db

GAIJI = "\U00020bb7"  # 𠮷: outside JIS X 0208/0213
GAIJI_NAME = f"{GAIJI}田\u3000花子"


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop05")
    grant_permissions(user, [Permission.CS_IDENTITY_CHECK, Permission.CS_CARD, Permission.MASTERS_EDIT])
    return user


def register_gaiji(operator: User) -> None:
    call_command(
        "cs_register_character",
        "--operator",
        operator.username,
        "--character",
        "U+20BB7",
        "--code",
        "J+0000TEST",
        stdout=StringIO(),
    )


def sent_of_type(message_type: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(type=message_type))


def lists(operator: User) -> certificate_lists.CertificateLists:
    return certificate_lists.certificate_lists(actor=operator, purpose=PURPOSE)


def test_the_certificate_travels_in_unified_characters_and_the_sent_copy_keeps_the_entry(
    federation: TestFederation, operator: User
) -> None:
    request, _ = card_holder_moving_out(federation, operator)
    sent = send(federation, request, destination="長崎県長崎市江戸町2\uff5e13", honseki="長崎県\uf900町1番地")
    assert sent.items["destination"] == "長崎県長崎市江戸町2\uff5e13"  # as the registry entered it
    (message,) = sent_of_type(MOVE_OUT_CERTIFICATE)
    left = decode_verified(message.token).payload
    assert left["destination"] == "長崎県長崎市江戸町2\u301c13"
    held = HeldCertificate.objects.get()
    assert held.items["destination"] == "長崎県長崎市江戸町2\u301c13"
    assert held.items["honseki"] == "長崎県\u8c48町1番地"  # the compatibility ideograph's canonical form


def test_a_certificate_with_an_unregistered_gaiji_is_held_until_it_is_registered(
    federation: TestFederation, operator: User
) -> None:
    request, _ = card_holder_moving_out(federation, operator)
    sent = send(federation, request, household_head=GAIJI_NAME)
    sent.refresh_from_db()
    assert sent.sent_at is None
    assert not sent_of_type(MOVE_OUT_CERTIFICATE)
    assert not HeldCertificate.objects.exists()
    audit = AuditEntry.objects.filter(action="cs:move_out_certificate:send").latest("pk")
    assert audit.reason == f"held: {NOT_UNIFIED_CODE} household_head"
    with federation.acting_as(SASEBO):
        (row,) = lists(operator).sent
        assert "世帯主の氏名の1文字目" in row.held
        assert "外字を登録" in row.held
        assert GAIJI not in row.held
        assert special_move_out.send_waiting_certificates().held == 1

    with federation.acting_as(NAGASAKI):  # a 送信依頼 is answered with why the data waits
        special_move_in.request_resend(
            actor=operator,
            purpose=PURPOSE,
            resident_code=request.resident_code,
            from_municipality=SASEBO.code,
        )
    federation.pump()
    answered = CertificateRequest.objects.get()
    assert (answered.state, answered.code) == (CertificateRequest.State.REFUSED, NOT_UNIFIED_CODE)
    assert not HeldCertificate.objects.exists()

    register_gaiji(operator)
    with federation.acting_as(SASEBO):
        done = special_move_out.send_waiting_certificates()
        assert (done.sent, done.held) == (1, 0)
        assert lists(operator).sent[0].held == ""
    federation.pump()
    assert HeldCertificate.objects.get().items["household_head"] == GAIJI_NAME  # a registered 外字: unchanged


def test_a_received_certificate_with_a_gaiji_not_registered_here_stops_the_move_in_until_registered(
    federation: TestFederation, operator: User
) -> None:
    request, card = card_holder_moving_out(federation, operator)
    certificate = certificate_of(
        request, control_number=f"{SASEBO.code}-t1", name=GAIJI_NAME, destination="長崎県長崎市江戸町\uff5e"
    )
    with federation.acting_as(SASEBO), transaction.atomic():  # a sender that registered the 外字
        enqueue(
            message_type=MOVE_OUT_CERTIFICATE,
            receiver=NAGASAKI,
            subject="t1",
            payload=certificate.as_payload(),
        )
    federation.pump()
    held = HeldCertificate.objects.get()
    assert held.items["destination"] == "長崎県長崎市江戸町\u301c"  # converted on receipt
    assert held.items["name"] == GAIJI_NAME  # kept as received
    receipt = AuditEntry.objects.filter(action="cs:move_out_certificate:receive").latest("pk")
    assert receipt.reason.endswith(f"{NOT_UNIFIED_RECEIVED_CODE} name")
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=operator, purpose=PURPOSE, card_json=card, pin=PIN)
        with pytest.raises(DomainError) as refused:
            special_move_in.starting_data(
                actor=operator, purpose=PURPOSE, resident_code=request.resident_code
            )
        assert (refused.value.code, refused.value.field) == (NOT_UNIFIED_RECEIVED_CODE, "name")
        assert "jumin cs register-character" in refused.value.remedy
        register_gaiji(operator)
        start = special_move_in.starting_data(
            actor=operator, purpose=PURPOSE, resident_code=request.resident_code
        )
    assert start.name == GAIJI_NAME


def ordinary_notice(federation: TestFederation, operator: User, address: str) -> Any:
    with federation.acting_as(NAGASAKI), transaction.atomic():
        return move_in_notices.send_ordinary(
            move_in_notices.OrdinaryMoveIn(
                resident_code=update().resident_code,
                destination_code=SASEBO.code,
                move_in_date=timezone.localdate(),
                notice_date=timezone.localdate(),
                new_address=address,
            ),
            actor=operator,
        )


def test_a_move_in_notice_is_converted_or_held_with_its_remedy(
    federation: TestFederation, operator: User
) -> None:
    converted = ordinary_notice(federation, operator, "長崎県長崎市江戸町2\uff5e13")
    federation.pump()
    assert ReceivedMoveInNotice.objects.get().items["new_address"] == "長崎県長崎市江戸町2\u301c13"
    assert converted.items["new_address"] == "長崎県長崎市江戸町2\uff5e13"  # the sent copy keeps the entry

    held = ordinary_notice(federation, operator, f"長崎県長崎市{GAIJI}町1番")
    assert held.sent_at is None
    assert AuditEntry.objects.filter(action="cs:move_in_notice:send").latest("pk").reason == (
        f"転入通知 held: {NOT_UNIFIED_CODE} new_address"
    )
    with federation.acting_as(NAGASAKI):
        row = next(r for r in lists(operator).notices if r.notice_id == held.pk)
        assert "転入先の住所の7文字目" in row.held
        with pytest.raises(DomainError) as refused:
            move_in_notices.resend(actor=operator, purpose=PURPOSE, notice_id=held.pk)
        assert refused.value.code == NOT_UNIFIED_CODE
        register_gaiji(operator)
        assert move_in_notices.resend(actor=operator, purpose=PURPOSE, notice_id=held.pk).sent_at is not None


def test_a_received_move_in_notice_with_a_gaiji_not_registered_here_waits_in_the_import_errors(
    federation: TestFederation, operator: User
) -> None:
    items = MoveInNoticeItems(
        resident_code=update().resident_code,
        control_number="",
        move_in_date=timezone.localdate().isoformat(),
        notice_date=timezone.localdate().isoformat(),
        new_address=f"長崎県長崎市{GAIJI}町1番",
        new_municipality_code=NAGASAKI.code,
        notification_kind="届出",
        special=False,
        operator_id="clerk01",
        terminal_id="T-01",
    )
    with federation.acting_as(NAGASAKI), transaction.atomic():  # a sender that registered the 外字
        enqueue(message_type=MOVE_IN_NOTICE, receiver=SASEBO, subject="t2", payload=items.as_payload())
    federation.pump()
    with federation.acting_as(SASEBO):
        (failed,) = special_move_out.failed_move_in_notices()
        assert "転入先の住所の7文字目" in failed.import_error
        # Waiting, never hidden; the import leaves it in the error list until the 外字 is registered.
        assert [n.notice_id for n in special_move_out.waiting_move_in_notices()] == [failed.notice_id]
        assert "7文字目" in (special_move_out.address_not_unified(failed) or "")
        register_gaiji(operator)
        assert special_move_out.address_not_unified(failed) is None

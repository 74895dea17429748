"""符号取得要求 through 住基ネット (std 7.1.2.2-a): the CS sends the 住民票コード only, the national node
accepts it under a 処理通番 and answers; a request for a person not on file is refused with a code;
requests sent but never answered are listed; each end audits with the person."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.cli.cs import COMMANDS
from jumin.domain.errors import DomainError
from jumin.jukinet.common import catalogue
from jumin.jukinet.common.token_request import validate_request_payload
from jumin.jukinet.cs import services, token_requests
from jumin.jukinet.cs.models_token_requests import TokenRequest, TokenRequestState
from jumin.jukinet.national.models import IdentityRecord, TokenRequestReceipt
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.services import enqueue
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import individual_number, resident_code, update

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NATIONAL = NodeRef("national", "00")


def known_person(federation: TestFederation) -> str:
    """A person of 佐世保市 on file at the CS and, after the pump, at the national node."""
    person = update()
    with federation.acting_as(SASEBO), transaction.atomic():
        services.accept_update(person, actor=None)
    federation.pump()
    assert IdentityRecord.objects.filter(resident_code=person.resident_code).exists()
    return person.resident_code


def send(federation: TestFederation, code: str) -> TokenRequest:
    with federation.acting_as(SASEBO), transaction.atomic():
        return token_requests.request_token(code, actor=None)


def test_a_request_is_accepted_under_a_process_number_and_carries_no_individual_number(
    federation: TestFederation,
) -> None:
    code = known_person(federation)
    row = send(federation, code)
    sent = OutboxMessage.objects.get(type=catalogue.TOKEN_REQUEST)
    assert (sent.receiver_kind, sent.receiver_code) == ("national", "00")
    federation.pump()
    row.refresh_from_db()
    assert row.state == TokenRequestState.ACCEPTED
    assert len(row.process_number) == 16
    receipt = TokenRequestReceipt.objects.get(request_id=row.request_id)
    assert receipt.process_number == row.process_number
    assert AuditEntry.objects.filter(action="cs:token:request").count() == 1
    assert AuditEntry.objects.get(action="cs:token:receipt").outcome == "done"
    assert AuditEntry.objects.get(action="national:token_request:receive").outcome == "done"
    payload = {"request_id": row.request_id, "resident_code": code, "municipality_code": SASEBO.code}
    with pytest.raises(DomainError):
        validate_request_payload({**payload, "individual_number": individual_number(1)})


def test_a_person_unknown_at_the_national_node_is_refused_with_a_code(federation: TestFederation) -> None:
    person = update()
    with federation.acting_as(SASEBO), transaction.atomic():
        services.accept_update(person, actor=None)
    IdentityRecord.objects.filter(resident_code=person.resident_code).delete()  # never notified
    row = send(federation, person.resident_code)
    federation.pump()
    row.refresh_from_db()
    assert (row.state, row.code, row.process_number) == (
        TokenRequestState.REFUSED,
        "jukinet.national.unknown_resident_code",
        "",
    )
    assert AuditEntry.objects.get(action="cs:token:receipt").outcome == "refused"


def test_a_person_not_at_the_cs_or_still_waiting_is_refused_before_sending(
    federation: TestFederation,
) -> None:
    with pytest.raises(DomainError) as unknown:
        send(federation, resident_code(999))
    assert unknown.value.code == "jukinet.cs.token.unknown_person"
    code = known_person(federation)
    send(federation, code)
    with pytest.raises(DomainError) as waiting:
        send(federation, code)
    assert waiting.value.code == "jukinet.cs.token.pending"
    assert TokenRequest.objects.count() == 1


def test_requests_sent_but_never_answered_are_listed_after_the_grace(federation: TestFederation) -> None:
    code = known_person(federation)
    row = send(federation, code)  # not pumped: the receipt never comes
    with federation.acting_as(SASEBO):
        assert token_requests.unanswered() == []  # still within the grace period
        assert token_requests.unanswered(grace=timedelta(0)) == [row]
        TokenRequest.objects.filter(pk=row.pk).update(sent_at=row.sent_at - timedelta(hours=2))
        assert [r.pk for r in token_requests.unanswered()] == [row.pk]
    federation.pump()
    with federation.acting_as(SASEBO):
        assert token_requests.unanswered(grace=timedelta(0)) == []


def test_a_replayed_request_gets_the_same_process_number(federation: TestFederation) -> None:
    code = known_person(federation)
    row = send(federation, code)
    federation.pump()
    row.refresh_from_db()
    first = row.process_number
    # The CS sends the same request again (a re-send after a lost receipt): one receipt, one number.
    with federation.acting_as(SASEBO), transaction.atomic():
        enqueue(
            message_type=catalogue.TOKEN_REQUEST,
            receiver=NATIONAL,
            subject=f"tok-{row.request_id}-again",
            payload={"request_id": row.request_id, "resident_code": code, "municipality_code": SASEBO.code},
        )
    federation.pump()
    assert TokenRequestReceipt.objects.get().process_number == first
    assert AuditEntry.objects.filter(action="national:token_request:receive").count() == 1


def test_the_command_sends_a_request_and_lists_the_unanswered_without_naming_the_person(
    federation: TestFederation,
) -> None:
    code = known_person(federation)
    grant_permissions(make_user(username="csop01"), [Permission.CS_CONSISTENCY])
    make_user(username="viewer01")
    out = StringIO()
    with federation.acting_as(SASEBO):
        call_command(
            COMMANDS["token-requests"],
            "--operator",
            "csop01",
            "--send",
            code,
            "--grace-minutes",
            "0",
            stdout=out,
        )
        with pytest.raises(CommandError):
            call_command(COMMANDS["token-requests"], "--operator", "viewer01", stdout=StringIO())
        with pytest.raises(CommandError) as unknown:
            call_command(COMMANDS["token-requests"], "--operator", "csop01", "--send", resident_code(998))
    assert "本人確認情報がありません" in str(unknown.value)
    row = TokenRequest.objects.get()
    assert row.request_id in out.getvalue()
    assert "未回答の符号取得要求: 1件" in out.getvalue()
    assert code not in out.getvalue()
    listed = AuditEntry.objects.get(action="cs:token:request", subject_id="unanswered")
    assert listed.result_count == 1

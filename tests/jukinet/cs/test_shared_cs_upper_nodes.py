"""The upper nodes learn a shared CS's members (共同利用, std 7.1.1.1-b; docs/jukinet.md Flow 14).

佐世保市's node (422029) is the shared CS of 佐世保市 and 佐々町 (423831); 長崎県 (420000) and the national
node are real nodes of the in-process federation. The CS sends its member list, signed, on every change; then
a member's telegrams are accepted from that CS only, and refused (and audited) from any other node.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.cli.cs import COMMANDS
from jumin.domain.errors import DomainError
from jumin.jukinet.common import catalogue
from jumin.jukinet.common.notice import IdentityNotice
from jumin.jukinet.common.shared_cs import CLAIMED_ELSEWHERE, NOT_REGISTERED_CS
from jumin.jukinet.cs import services, shared_cs, token_requests
from jumin.jukinet.cs.models_token_requests import TokenRequest, TokenRequestState
from jumin.jukinet.national import models as national
from jumin.jukinet.prefecture import models as prefecture
from jumin.jukinet.prefecture.updates import check_logic
from jumin.messaging.envelope import NodeRef
from jumin.messaging.services import enqueue
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import update
from tests.jukinet.prefecture.helpers import PREFECTURE, fuhyo, notice

pytestmark = pytest.mark.django_db

SHARED_CS = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
SASEBO, SAZA = "422029", "423831"
SAZA_ADDRESS = "長崎県北松浦郡佐々町本田原免1番地"
PURPOSE = "network_operate"


@pytest.fixture
def network_operator(db: None) -> User:
    user = make_user(username="netop02")
    grant_permissions(user, [Permission.NETWORK_OPERATE])
    return user


def register(federation: TestFederation, operator: User, *members: tuple[str, str], end: str = "") -> None:
    """Change the shared CS's members as its operator does, then deliver the lists."""
    with federation.acting_as(SHARED_CS):
        for member in members:
            shared_cs.change_members(actor=operator, purpose=PURPOSE, add=member)
        if end:
            shared_cs.change_members(actor=operator, purpose=PURPOSE, end=end)
    federation.pump()


def members_at(model: Any) -> dict[str, str]:
    return dict(model.SharedCsMember.objects.values_list("municipality_code", "cs_code"))


def send_notice(federation: TestFederation, sender: NodeRef, subject: str, **changes: Any) -> dict[str, Any]:
    """A signed 本人確認情報 notice of a 佐々町 resident from ``sender`` to the prefecture, delivered."""
    payload = notice(municipality_code=SAZA, address=SAZA_ADDRESS, **changes)
    with federation.acting_as(sender), transaction.atomic():
        enqueue(message_type=catalogue.IDENTITY_UPDATE, receiver=PREFECTURE, subject=subject, payload=payload)
    federation.pump()
    return payload


def test_both_upper_nodes_learn_the_members_from_each_change(
    federation: TestFederation, network_operator: User
) -> None:
    register(federation, network_operator, (SASEBO, "佐世保市"), (SAZA, "佐々町"))
    expected = {SASEBO: SHARED_CS.code, SAZA: SHARED_CS.code}
    assert members_at(prefecture) == expected
    assert members_at(national) == expected
    change = AuditEntry.objects.filter(action="cs:member:change").latest("pk")
    assert change.reason.endswith("member list sent to prefecture:420000, national:00")

    register(federation, network_operator, end=SAZA)
    assert members_at(prefecture) == members_at(national) == {SASEBO: SHARED_CS.code}
    # Every list stays in the log; each receipt is audited on its node.
    assert prefecture.SharedCsMemberList.objects.count() == national.SharedCsMemberList.objects.count() == 3
    assert AuditEntry.objects.filter(action="prefecture:shared_cs:members", outcome="done").count() == 3
    assert AuditEntry.objects.filter(action="national:shared_cs:members", outcome="done").count() == 3


def test_a_members_notice_is_accepted_from_its_registered_cs_only(
    federation: TestFederation, network_operator: User
) -> None:
    send_notice(federation, SHARED_CS, "before")  # not registered yet: the CS is not 佐々町
    refused = prefecture.RefusedUpdate.objects.get()
    assert refused.code == "jukinet.prefecture.municipality_mismatch"

    register(federation, network_operator, (SASEBO, "佐世保市"), (SAZA, "佐々町"))
    payload = send_notice(federation, SHARED_CS, "after")
    record = prefecture.IdentityRecord.objects.get(resident_code=payload["resident_code"])
    assert (record.municipality_code, record.sender_code) == (SAZA, SHARED_CS.code)
    assert (
        national.IdentityRecord.objects.get(resident_code=payload["resident_code"]).municipality_code == SAZA
    )

    send_notice(federation, NAGASAKI, "elsewhere")  # another node of the prefecture, for a member
    other = prefecture.RefusedUpdate.objects.get(sender_code=NAGASAKI.code)
    assert other.code == NOT_REGISTERED_CS
    audit = AuditEntry.objects.filter(action="prefecture:identity:update_refuse").latest("pk")
    assert audit.outcome_reason == NOT_REGISTERED_CS


def test_the_member_itself_is_refused_once_its_shared_cs_registered_it() -> None:
    # 佐々町 has no node of its own in the federation: the prefecture's check is called directly.
    registered = {SAZA: SHARED_CS.code}
    saza_notice = IdentityNotice(**notice(municipality_code=SAZA))
    with pytest.raises(DomainError) as raised:
        check_logic(SAZA, saza_notice, None, registered)
    assert raised.value.code == NOT_REGISTERED_CS
    check_logic(SHARED_CS.code, saza_notice, None, registered)
    check_logic(SAZA, saza_notice, None, {})  # not registered: it sends for itself, as before


def test_a_list_claiming_another_shared_cs_member_is_refused_and_audited(
    federation: TestFederation, network_operator: User
) -> None:
    register(federation, network_operator, (SAZA, "佐々町"))
    with federation.acting_as(NAGASAKI), transaction.atomic():  # 長崎市's node claims 佐々町 too
        enqueue(
            message_type=catalogue.SHARED_CS_MEMBERS,
            receiver=PREFECTURE,
            subject="cs-members",
            payload={
                "members": [{"municipality_code": SAZA, "name": "佐々町"}],
                "operator_id": "netop",
                "terminal_id": "T-01",
            },
        )
    federation.pump()
    assert members_at(prefecture) == {SAZA: SHARED_CS.code}
    claimed = prefecture.SharedCsMemberList.objects.get(cs_code=NAGASAKI.code)
    assert claimed.refused_code == CLAIMED_ELSEWHERE
    audit = AuditEntry.objects.filter(action="prefecture:shared_cs:members", outcome="refused").get()
    assert audit.outcome_reason == CLAIMED_ELSEWHERE


def test_the_national_node_accepts_a_members_token_request_from_its_registered_cs(
    federation: TestFederation, network_operator: User
) -> None:
    register(federation, network_operator, (SASEBO, "佐世保市"), (SAZA, "佐々町"))
    person = update(municipality_code=SAZA, address=SAZA_ADDRESS)
    with federation.acting_as(SHARED_CS), transaction.atomic():
        services.accept_update(person, actor=None)
    federation.pump()
    with federation.acting_as(SHARED_CS), transaction.atomic():
        token_requests.request_token(person.resident_code, actor=None)
    federation.pump()
    assert TokenRequest.objects.get().state != TokenRequestState.REFUSED
    assert national.TokenRequestReceipt.objects.get().municipality_code == SAZA


def test_a_cs_shared_before_sends_its_list_with_the_members_command(
    federation: TestFederation, network_operator: User
) -> None:
    with federation.acting_as(SHARED_CS):
        shared_cs.add_member(SAZA, "佐々町")  # configured without telling anyone
    federation.pump()
    assert members_at(prefecture) == members_at(national) == {}
    with federation.acting_as(SHARED_CS):
        call_command(
            COMMANDS["members"], "--operator", network_operator.username, "--send", stdout=StringIO()
        )
    federation.pump()
    assert members_at(prefecture) == members_at(national) == {SAZA: SHARED_CS.code}
    sent = AuditEntry.objects.get(action="cs:member:change")
    assert (sent.subject_id, sent.reason) == ("list", "; member list sent to prefecture:420000, national:00")


def test_a_members_fuhyo_update_is_accepted_from_its_registered_cs_only(
    federation: TestFederation, network_operator: User
) -> None:
    register(federation, network_operator, (SAZA, "佐々町"))
    for sender, subject in ((SHARED_CS, "fh-cs"), (NAGASAKI, "fh-other")):
        with federation.acting_as(sender), transaction.atomic():
            enqueue(
                message_type=catalogue.FUHYO_UPDATE,
                receiver=PREFECTURE,
                subject=subject,
                payload=fuhyo(fuhyo_municipality_code=SAZA),
            )
    federation.pump()
    assert prefecture.FuhyoRecord.objects.get().fuhyo_municipality_code == SAZA
    assert prefecture.RefusedUpdate.objects.get(sender_code=NAGASAKI.code).code == NOT_REGISTERED_CS

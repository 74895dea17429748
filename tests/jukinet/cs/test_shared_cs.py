"""A CS shared by two municipalities (共同利用, std 7.1.1.1-b): each received telegram is routed to the
member it addresses, by the code it names or by the member holding the person; a telegram for no
member is refused and stored nowhere; a member's list never shows another member's telegrams."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.cli.cs import COMMANDS
from jumin.domain.errors import DomainError
from jumin.jukinet.common import catalogue
from jumin.jukinet.common.fuhyo_notice import fuhyo_notice_from_payload
from jumin.jukinet.cs import fuhyo_notices, services, shared_cs, token_requests
from jumin.jukinet.cs.models import ReceivedFuhyoNotice, ReceivedMoveInNotice
from jumin.jukinet.cs.models_shared import RoutedTelegram
from jumin.jukinet.cs.models_token_requests import TokenRequest, TokenRequestState
from jumin.messaging import conf
from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import IdentityError, add_peer, load_node, load_peers, peer_entry
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.services import enqueue
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import resident_code, update
from tests.jukinet.cs.test_fuhyo_notices import notice

pytestmark = pytest.mark.django_db

SHARED_CS = NodeRef("municipality", "422029")  # the CS host; 佐世保市 is one member
NAGASAKI = NodeRef("municipality", "422011")
SASEBO, SAZA = "422029", "423831"  # the two members: 佐世保市 and 佐々町
CHIYODA = "131016"  # not a member


@pytest.fixture
def members(federation: TestFederation) -> TestFederation:
    with federation.acting_as(SHARED_CS):
        shared_cs.add_member(SASEBO, "佐世保市")
        shared_cs.add_member(SAZA, "佐々町")
    return federation


def send_fuhyo_notice(federation: TestFederation, n: int, honseki_code: str) -> None:
    """A 戸籍附票記載事項通知 for 本籍地 ``honseki_code``, sent to the shared CS's node."""
    payload = {**notice(n).as_payload(), "honseki_municipality_code": honseki_code}
    with federation.acting_as(NAGASAKI), transaction.atomic():
        enqueue(
            message_type=catalogue.FUHYO_ENTRY_NOTICE, receiver=SHARED_CS, subject=f"fh-{n}", payload=payload
        )
    federation.pump()


def test_members_are_configured_once_and_a_bad_code_is_refused(members: TestFederation) -> None:
    with members.acting_as(SHARED_CS):
        assert [m.municipality_code for m in shared_cs.current_members()] == [SASEBO, SAZA]
        with pytest.raises(DomainError) as twice:
            shared_cs.add_member(SAZA, "佐々町")
        assert twice.value.code == "jukinet.cs.shared.already_member"
        with pytest.raises(DomainError) as bad:
            shared_cs.add_member("423830", "誤り")  # wrong check digit
        assert bad.value.field == "municipality_code"
        shared_cs.end_membership(SAZA)
        assert [m.municipality_code for m in shared_cs.current_members()] == [SASEBO]
        with pytest.raises(DomainError):
            shared_cs.routed_to(SAZA)


def test_a_telegram_naming_a_member_is_routed_to_it_and_only_it_sees_it(members: TestFederation) -> None:
    send_fuhyo_notice(members, 1, SAZA)
    send_fuhyo_notice(members, 2, SASEBO)
    assert ReceivedFuhyoNotice.objects.count() == 2
    with members.acting_as(SHARED_CS):
        saza = shared_cs.routed_to(SAZA)
        sasebo = shared_cs.routed_to(SASEBO)
        assert [(r.message_type, r.routed_by) for r in saza] == [
            (catalogue.FUHYO_ENTRY_NOTICE, "honseki_municipality_code")
        ]
        assert len(sasebo) == 1
        assert sasebo[0].message_id != saza[0].message_id
        saza_notices = ReceivedFuhyoNotice.objects.filter(message_id__in=shared_cs.routed_message_ids(SAZA))
        assert [n.resident_code for n in saza_notices] == [resident_code(801)]


def test_a_telegram_for_no_member_is_refused_and_stored_nowhere(members: TestFederation) -> None:
    send_fuhyo_notice(members, 3, CHIYODA)
    assert not ReceivedFuhyoNotice.objects.exists()
    assert not RoutedTelegram.objects.exists()
    inbox = InboxMessage.objects.get(receiver_code=SHARED_CS.code, type=catalogue.FUHYO_ENTRY_NOTICE)
    assert inbox.status != InboxMessage.Status.APPLIED


def test_a_telegram_about_a_person_goes_to_the_member_holding_them(members: TestFederation) -> None:
    person = update(municipality_code=SAZA, address="長崎県北松浦郡佐々町本田原免1番地")
    with members.acting_as(SHARED_CS), transaction.atomic():
        services.accept_update(person, actor=None)
    stranger = resident_code(990)  # in neither member's file
    for code in (person.resident_code, stranger):
        with members.acting_as(NAGASAKI), transaction.atomic():
            enqueue(
                message_type=catalogue.MOVE_IN_NOTICE,
                receiver=SHARED_CS,
                subject=f"mino-{code}",
                payload={
                    "resident_code": code,
                    "control_number": "",
                    "move_in_date": "2026-11-01",
                    "notice_date": "2026-11-02",
                    "new_address": "長崎県長崎市江戸町2番13号",
                    "new_municipality_code": NAGASAKI.code,
                    "notification_kind": "届出",
                    "special": False,
                    "operator_id": "clerk01",
                    "terminal_id": "T-TEST-01",
                },
            )
        members.pump()
    assert [n.resident_code for n in ReceivedMoveInNotice.objects.all()] == [person.resident_code]
    with members.acting_as(SHARED_CS):
        notices = [r for r in shared_cs.routed_to(SAZA) if r.message_type == catalogue.MOVE_IN_NOTICE]
        assert [r.routed_by for r in notices] == ["resident_code"]
        assert shared_cs.routed_to(SASEBO) == []


def test_a_cs_without_members_is_not_shared_and_routes_nothing(federation: TestFederation) -> None:
    send_fuhyo_notice(federation, 4, CHIYODA)
    assert ReceivedFuhyoNotice.objects.count() == 1
    assert not RoutedTelegram.objects.exists()


def test_an_answer_goes_to_the_member_whose_request_it_answers(members: TestFederation) -> None:
    person = update(municipality_code=SAZA, address="長崎県北松浦郡佐々町本田原免1番地")
    with members.acting_as(SHARED_CS), transaction.atomic():
        services.accept_update(person, actor=None)
        token_requests.request_token(person.resident_code, actor=None)
    members.pump()
    with members.acting_as(SHARED_CS):
        receipts = [r for r in shared_cs.routed_to(SAZA) if r.message_type == catalogue.TOKEN_RECEIPT]
        assert [r.routed_by for r in receipts] == ["request_id"]
        assert not [r for r in shared_cs.routed_to(SASEBO) if r.message_type == catalogue.TOKEN_RECEIPT]
    # The national node knows the shared CS's node, not the member: it refuses the member's code.
    assert TokenRequest.objects.get().state == TokenRequestState.REFUSED


def test_the_members_command_needs_network_operate_and_audits_each_change(federation: TestFederation) -> None:
    grant_permissions(make_user(username="netop01"), [Permission.NETWORK_OPERATE])
    make_user(username="viewer01")
    out = StringIO()
    with federation.acting_as(SHARED_CS):
        call_command(
            COMMANDS["members"], "--operator", "netop01", "--add", SAZA, "--name", "佐々町", stdout=out
        )
        with pytest.raises(CommandError):
            call_command(COMMANDS["members"], "--operator", "viewer01", "--add", SASEBO, "--name", "佐世保市")
        with pytest.raises(CommandError) as bad:
            call_command(COMMANDS["members"], "--operator", "netop01", "--end", CHIYODA)
        assert "構成市町村ではありません" in str(bad.value)
        assert [m.municipality_code for m in shared_cs.current_members()] == [SAZA]
    assert f"{SAZA}  佐々町" in out.getvalue()
    assert AuditEntry.objects.filter(action="cs:member:change", outcome="done").count() == 1


def test_a_sender_whose_peers_list_the_members_reaches_them_through_the_shared_cs(
    members: TestFederation,
) -> None:
    directory = members.base_dir / f"{NAGASAKI.kind}-{NAGASAKI.code}"
    entry = peer_entry(members.node(SHARED_CS), "https://shared-cs.federation.invalid")
    add_peer(directory, {**entry, "members": [SASEBO, SAZA]})
    sender = load_node(directory)
    assert sender.route_to(NodeRef("municipality", SAZA)) == sender.peer(SHARED_CS)
    assert sender.route_to(NodeRef("municipality", CHIYODA)) == sender.peer(NodeRef("municipality", CHIYODA))
    payload = {**notice(5).as_payload(), "honseki_municipality_code": SAZA}
    with conf.acting_as(sender), transaction.atomic():
        assert fuhyo_notices.deliverable(SAZA)
        fuhyo_notices.send(
            [fuhyo_notices.OutgoingNotice(subject="fh-alias", items=fuhyo_notice_from_payload(payload))],
            actor=None,
            reason="test",
        )
    sent = OutboxMessage.objects.get(type=catalogue.FUHYO_ENTRY_NOTICE)
    assert (sent.receiver_kind, sent.receiver_code) == (SHARED_CS.kind, SHARED_CS.code)
    members.pump()
    with members.acting_as(SHARED_CS):
        assert [r.routed_by for r in shared_cs.routed_to(SAZA)] == ["honseki_municipality_code"]


def test_peers_json_members_must_be_municipality_codes_of_a_cs(tmp_path: Path) -> None:
    entry = {"kind": "municipality", "code": SASEBO, "url": "https://cs.invalid", "signing_keys": []}
    assert add_peer(tmp_path, {**entry, "members": [SAZA]}).members == (SAZA,)
    with pytest.raises(IdentityError):
        add_peer(tmp_path, {**entry, "members": ["42383"]})
    with pytest.raises(IdentityError):
        add_peer(tmp_path, {**entry, "kind": "prefecture", "code": "420000", "members": [SAZA]})
    assert load_peers(tmp_path / "peers.json")[NodeRef("municipality", SASEBO)].members == (SAZA,)

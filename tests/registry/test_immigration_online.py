"""市町村通知 online through the 入管連携端末 (standard 4.5.7-a/b; system.md M10, M1 → M10 → O1 and
O1 → M10 → M1; docs/workflows/immigration-link.md, "Online through the 入管連携端末").

佐世保市 hands its due notices to its terminal (nyukan_terminal 422029) as a signed query; the
terminal relays them, in order, to the simulated agency (nyukan_agency 00), whose results come
back through the terminal and are recorded as a results file's are. The agency's 法30条の50 notices go
the other way and become pending received notices. All persons are synthetic.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.immigration import agency, catalogue
from jumin.immigration.models import RelayedNotice
from jumin.messaging import envelope, queries, services
from jumin.messaging.envelope import NodeRef, new_envelope, sign_envelope
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.testing import TestFederation
from jumin.messaging.tls import PeerUnreachable
from jumin.registry import immigration_online
from jumin.registry.immigration_sending import export_due, municipality_notices
from jumin.registry.models_immigration import MunicipalityNotice, ReceivedImmigrationNotice
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.immigration_receipts import received_notice_sheet, received_notices
from jumin.registry.workflows.move_out import record_move_out
from jumin.settings import env
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_immigration_link import foreigner, renew, today
from tests.registry.test_immigration_notices import RENEWAL, notice
from tests.registry.test_move_out import move_out

pytestmark = pytest.mark.django_db
__all__ = ["foreigner"]  # a fixture, imported for use here

SASEBO = NodeRef("municipality", "422029")
TERMINAL = catalogue.terminal_of("422029")
AGENCY = catalogue.AGENCY_NODE


@pytest.fixture
def link(db: None, tmp_path: Path) -> Iterator[TestFederation]:
    """佐世保市, its 入管連携端末 and the simulated agency, in this process (full mesh of peers)."""
    with TestFederation(tmp_path / "m10", (SASEBO, TERMINAL, AGENCY)) as fed:
        yield fed


@contextmanager
def terminal_down() -> Iterator[None]:
    """Every query fails as a refused connection would (the terminal is off or its link is cut)."""

    def refused(*args: object) -> Any:
        raise PeerUnreachable("connection refused")

    previous = queries.set_transport(refused)
    try:
        yield
    finally:
        queries.set_transport(previous)


def send(link: TestFederation, clerk: User) -> immigration_online.OnlineSend:
    with link.acting_as(SASEBO):
        return immigration_online.send_due_online(actor=clerk, purpose=PURPOSE)


def test_4_5_7_a_due_notices_reach_the_agency_in_commit_order_and_results_come_back(
    link: TestFederation, clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    renew(clerk, commit, "N0002")
    first, second = MunicipalityNotice.objects.order_by("pk")
    sent = send(link, clerk)
    assert sent.sequence_nos == (first.pk, second.pk)
    first.refresh_from_db()
    assert (first.channel, first.send_count, first.batch_no) == ("online", 1, sent.batch_no)
    # The terminal queued them on one stream to the agency, in commit order.
    relayed = OutboxMessage.objects.filter(type=catalogue.MUNICIPALITY_NOTICE).order_by("seq")
    assert [(r.receiver_kind, r.subject_key, r.seq) for r in relayed] == [
        ("nyukan_agency", "notices-422029", 1),
        ("nyukan_agency", "notices-422029", 2),
    ]
    assert RelayedNotice.objects.count() == 2

    link.pump()  # M10 → O1, the results O1 → M10 → M1
    agency_received = AuditEntry.objects.filter(action="immigration:agency:receive").order_by("seq")
    assert [e.subject_id for e in agency_received] == [f"422029-{first.pk}", f"422029-{second.pk}"]
    rows = municipality_notices(actor=clerk, purpose=PURPOSE, state="sent")
    assert [(r.sequence_no, r.channel, r.result) for r in rows] == [
        (second.pk, "オンライン（入管連携端末）", "正常"),
        (first.pk, "オンライン（入管連携端末）", "正常"),
    ]
    results = AuditEntry.objects.filter(action="resident:municipality_notice:result")
    assert results.count() == 2
    assert all("channel=online" in e.reason for e in results)
    # Nothing of the person is in the relay's or the agency's audit text.
    for entry in AuditEntry.objects.filter(action__startswith="immigration:"):
        assert "NGUYEN" not in entry.reason

    with pytest.raises(DomainError) as nothing:
        send(link, clerk)
    assert nothing.value.code == "registry.municipality_notice"


def test_4_5_7_b_a_planned_move_out_waits_for_its_date_online_too(
    link: TestFederation, clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    planned = today() + timedelta(days=10)
    commit(
        record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([foreigner], planned_date=planned))
    )
    move_in, planned_out = MunicipalityNotice.objects.order_by("pk")
    assert send(link, clerk).sequence_nos == (move_in.pk,)
    with pytest.raises(DomainError):
        send(link, clerk)  # the 転出予定者's notice is 送信予定日待ち
    MunicipalityNotice.objects.filter(pk=planned_out.pk).update(due_on=today())
    assert send(link, clerk).sequence_nos == (planned_out.pk,)


def test_4_5_7_b_an_error_result_stays_on_the_error_list_until_re_sent_online(
    link: TestFederation, clerk: User, foreigner: str
) -> None:
    (row,) = MunicipalityNotice.objects.all()
    MunicipalityNotice.objects.filter(pk=row.pk).update(items={**row.items, "residence_card_number": "BAD"})
    send(link, clerk)
    link.pump()
    (error,) = municipality_notices(actor=clerk, purpose=PURPOSE, state="error")
    assert (error.sequence_no, error.result, error.result_code) == (row.pk, "エラー", "E103")

    MunicipalityNotice.objects.filter(pk=row.pk).update(items=row.items)  # put right, then 再送
    with link.acting_as(SASEBO):
        again = immigration_online.resend_online(actor=clerk, purpose=PURPOSE, sequence_nos=[row.pk])
    assert again.sequence_nos == (row.pk,)
    assert municipality_notices(actor=clerk, purpose=PURPOSE, state="error") == []  # cleared on re-send
    link.pump()
    row.refresh_from_db()
    assert (row.send_count, row.result, row.result_code) == (2, MunicipalityNotice.Result.ACCEPTED, "")
    assert RelayedNotice.objects.filter(sequence_no=row.pk).count() == 2  # one per send


def test_4_5_7_b_a_result_of_an_earlier_send_is_ignored(
    link: TestFederation, clerk: User, foreigner: str
) -> None:
    (row,) = MunicipalityNotice.objects.all()
    send(link, clerk)
    with link.acting_as(SASEBO):
        immigration_online.resend_online(actor=clerk, purpose=PURPOSE, sequence_nos=[row.pk])
    # Both sends reach the agency; each result names its send, and only the last one's counts.
    link.pump()
    row.refresh_from_db()
    assert row.result == MunicipalityNotice.Result.ACCEPTED
    stale = AuditEntry.objects.get(action="resident:municipality_notice:result", outcome="refused")
    assert stale.outcome_reason == "registry.municipality_notice_stale_result"


def test_4_5_7_a_an_unreachable_terminal_leaves_the_notices_due(
    link: TestFederation, clerk: User, sender: User, foreigner: str
) -> None:
    with terminal_down(), pytest.raises(DomainError) as failed:
        send(link, clerk)
    assert failed.value.code == "registry.nyukan_terminal_unreachable"
    assert "送信前の状態のまま" in failed.value.reason
    (row,) = MunicipalityNotice.objects.all()
    assert (row.sent_at, row.send_count, row.channel) == (None, 0, "")
    refused = AuditEntry.objects.get(action="resident:municipality_notice:send", outcome="refused")
    assert refused.outcome_reason == "messaging.query_unreachable"
    # The file mode is still there: the clerk can hand the same notices over on media.
    assert export_due(actor=sender, purpose=PURPOSE).sequence_nos == (row.pk,)
    row.refresh_from_db()
    assert row.channel == "file"


def test_4_5_7_a_a_repeated_hand_over_is_relayed_once(
    link: TestFederation, clerk: User, foreigner: str
) -> None:
    (row,) = MunicipalityNotice.objects.all()
    # The municipality lost the terminal's answer: the same send is handed over again.
    wire = {
        "municipality_code": "422029",
        "sequence_no": row.pk,
        "send_no": 1,
        "kind": row.kind,
        "link_class": row.link_class,
        "items": {k: str(v) for k, v in row.items.items()},
    }
    with link.acting_as(SASEBO):
        for _ in range(2):
            answer = queries.query(
                query_type=catalogue.RELAY_NOTICES, receiver=TERMINAL, payload={"notices": [wire]}
            )
            assert answer == {"accepted": [[row.pk, 1]]}
    assert OutboxMessage.objects.filter(type=catalogue.MUNICIPALITY_NOTICE).count() == 1
    sent = send(link, clerk)  # the municipality marks it once the terminal acknowledges it
    assert sent.sequence_nos == (row.pk,)
    assert OutboxMessage.objects.filter(type=catalogue.MUNICIPALITY_NOTICE).count() == 1
    link.pump()
    # A re-delivered result message is a duplicate: the result is recorded once.
    result = InboxMessage.objects.get(type=catalogue.NOTICE_RESULT, receiver_kind="municipality")
    with link.acting_as(SASEBO):
        receipt = services.receive(link.node(SASEBO), TERMINAL, services.signed_token(result).encode())
    assert receipt.status == "duplicate"
    assert AuditEntry.objects.filter(action="resident:municipality_notice:result").count() == 1


def test_a_message_with_a_bad_signature_is_refused_by_the_terminal(link: TestFederation) -> None:
    forged = new_envelope(
        type=catalogue.NOTICE_RESULT,
        sender=AGENCY,
        receiver=TERMINAL,
        subject="results-422029",
        seq=1,
        payload={
            "municipality_code": "422029",
            "sequence_no": 1,
            "send_no": 1,
            "result": "正常",
            "code": "",
            "message": "",
        },
    )
    token = sign_envelope(forged, Ed25519PrivateKey.generate())
    with link.acting_as(TERMINAL):
        receipt = services.receive(link.node(TERMINAL), AGENCY, token.encode())
    assert (receipt.status, receipt.reason) == ("refused", "signature")
    assert not InboxMessage.objects.exists()
    assert not OutboxMessage.objects.exists()  # nothing relayed


def test_the_agency_reaches_a_municipality_only_through_its_terminal(link: TestFederation) -> None:
    with link.acting_as(AGENCY):
        agency.send_residence_notices(municipality_code="422029", notices=[notice("N0009", **RENEWAL)])
    message = OutboxMessage.objects.get(type=catalogue.RESIDENCE_NOTICE)
    assert (message.receiver_kind, message.receiver_code) == ("nyukan_terminal", "422029")
    # 長崎市's terminal is not among the agency's peers: refused, nothing queued.
    with link.acting_as(AGENCY), pytest.raises(DomainError) as refused:
        agency.send_residence_notices(municipality_code="422011", notices=[notice("N0010")])
    assert refused.value.code == "messaging.unknown_receiver"
    assert OutboxMessage.objects.filter(type=catalogue.RESIDENCE_NOTICE).count() == 1


def test_4_5_6_a_a_notice_of_the_agency_arrives_through_the_terminal_as_a_pending_notice(
    link: TestFederation, clerk: User, foreigner: str
) -> None:
    with link.acting_as(AGENCY):
        agency.send_residence_notices(
            municipality_code="422029",
            notices=[
                notice("N0101", **RENEWAL),
                notice(
                    "N0102",
                    residence_card_number="ZZ00000000ZZ",
                    name="NOBODY ELSE",
                    new_residence_status="定住者",
                ),
            ],
        )
    link.pump()
    assert AuditEntry.objects.filter(action="immigration:relay:residence_notice").count() == 2
    first, second = ReceivedImmigrationNotice.objects.order_by("pk")
    assert (first.notice_id, first.channel, first.received_by, first.state) == (
        "N0101",
        "online",
        None,
        "pending",
    )
    assert (second.notice_id, second.reason_code) == ("N0102", "registry.notice_unmatched")
    listed = received_notices(actor=clerk, purpose=PURPOSE, state="pending")
    assert [r.notice_id for r in listed] == ["N0101", "N0102"]
    sheet = received_notice_sheet(actor=clerk, purpose=PURPOSE, notice_id="N0101")
    assert {c.item for c in sheet.changes} >= {"period_of_stay", "residence_card_number"}  # type: ignore[union-attr]
    receive = AuditEntry.objects.filter(action="resident:immigration_notice:receive").order_by("seq")
    assert [e.reason.endswith("channel=online") for e in receive] == [True, True]

    # The same notice again (the agency re-sends it) is reported, not stored twice.
    with link.acting_as(AGENCY):
        agency.send_residence_notices(municipality_code="422029", notices=[notice("N0101", **RENEWAL)])
    link.pump()
    assert ReceivedImmigrationNotice.objects.count() == 2
    assert (
        "not_stored=1"
        in AuditEntry.objects.filter(action="resident:immigration_notice:receive").last().reason
    )  # type: ignore[union-attr]


def test_the_screen_sends_online_and_shows_the_channel_and_result(
    link: TestFederation, clerk: User, foreigner: str
) -> None:
    client = logged_in(clerk)
    outgoing = reverse("registry:municipality_notices")
    (row,) = MunicipalityNotice.objects.all()
    due = client.post(outgoing, {"purpose": PURPOSE, "state": "due", "list": "1"}).content.decode()
    assert "入管連携端末へ送信" in due
    with link.acting_as(SASEBO):
        page = client.post(outgoing, {"purpose": PURPOSE, "send_online": "1"}).content.decode()
    assert "1件を入管連携端末へ送信しました" in page
    link.pump()
    sent = client.post(outgoing, {"purpose": PURPOSE, "state": "sent", "list": "1"}).content.decode()
    assert "オンライン（入管連携端末）" in sent
    assert "正常" in sent
    with link.acting_as(SASEBO):
        again = client.post(
            outgoing, {"purpose": PURPOSE, "resend_online": "1", "sequence_nos": [str(row.pk)]}
        ).content.decode()
    assert "1件を入管連携端末へ送信しました" in again


def test_api_sends_online_and_an_unreachable_terminal_is_a_clear_400(
    link: TestFederation, clerk: User, foreigner: str
) -> None:
    client = logged_in(clerk)

    def post(path: str, body: dict[str, object]) -> Any:
        return client.post(
            f"/api/registry/immigration/outgoing/{path}",
            json.dumps({"purpose": PURPOSE, **body}),
            content_type="application/json",
        )

    (row,) = MunicipalityNotice.objects.all()
    with terminal_down(), link.acting_as(SASEBO):
        down = post("send-online", {"state": "due"})
    assert (down.status_code, down.json()["code"]) == (400, "registry.nyukan_terminal_unreachable")
    with link.acting_as(SASEBO):
        sent = post("send-online", {"state": "due"})
    assert sent.status_code == 200
    assert sent.json()["sequence_nos"] == [row.pk]
    with link.acting_as(SASEBO):
        again = post("resend-online", {"sequence_nos": [row.pk]})
    assert again.json()["sequence_nos"] == [row.pk]


def test_the_link_s_node_kinds_fit_the_messaging_tables() -> None:
    assert envelope.NODE_KINDS == env.NODE_KINDS
    width = OutboxMessage._meta.get_field("receiver_kind").max_length
    assert all(len(kind) <= width for kind in envelope.NODE_KINDS)
    assert {catalogue.TERMINAL, catalogue.AGENCY} <= set(envelope.NODE_KINDS)

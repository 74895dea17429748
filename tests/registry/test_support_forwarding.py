"""A protected person's departure tells the 転入先 through the signed channel, and 職権消除 switches the
measure to 転出元 too (standard 3.4-h, 1.1.16-a 転送情報). No address ever travels."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone

from jumin.accounts import clock
from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from jumin.registry.models import SupportForwarding, SupportRoleSwitch
from jumin.registry.restrictions import RestrictedProcess, check_restrictions
from jumin.registry.selectors_restrictions import support_measure_detail
from jumin.registry.services import DraftRecorded
from jumin.registry.support_database import incoming_notices
from jumin.registry.support_forwarding import SUPPORT_MEASURE_NOTICE, apply_notice, validate_notice
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.ex_officio import record_ex_officio_removal
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.registry.conftest import ADDRESS, PURPOSE, current, logged_in
from tests.registry.test_ex_officio import removal
from tests.registry.test_support_database import PERPETRATOR_ADDRESS, officer, open_measure, the_perpetrator

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
NEW_ADDRESS = "長崎県長崎市桜町2番2号"
FORWARDING = "resident:support_measure:forwarding_record"
__all__ = ["officer"]  # the fixture, imported for use here


def move_out(clerk: User, numbers: list[str], code: str = NAGASAKI.code) -> DraftRecorded:
    return record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=numbers,
            planned_date=clock.today(),
            destination=NEW_ADDRESS,
            notification_date=clock.today(),
            destination_municipality_code=code,
        ),
    )


def rows_text() -> str:
    return json.dumps(
        [model_to_dict(row) for row in SupportForwarding.objects.all()], default=str, ensure_ascii=False
    )


def test_the_move_out_of_protected_persons_tells_the_destination_through_a_signed_message(
    federation: TestFederation,
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    head, wife, child = family.atena_numbers
    measure_id = open_measure(officer, wife, child, perpetrators=(the_perpetrator(head),))
    with federation.acting_as(SASEBO):
        draft = move_out(clerk, [wife, child])
        assert not SupportForwarding.objects.exists()  # a draft tells nobody
        commit(draft)
    outgoing = list(SupportForwarding.objects.filter(direction="outgoing").order_by("pk"))
    assert [(r.measure_id, r.municipality_code, r.juminhyo_code, r.provisional) for r in outgoing] == [
        (measure_id, NAGASAKI.code, current(wife).juminhyo_code, True),
        (measure_id, NAGASAKI.code, current(child).juminhyo_code, True),
    ]
    assert all(r.sent_at is not None and r.change_id == draft.change_id for r in outgoing)
    queued = OutboxMessage.objects.filter(type=SUPPORT_MEASURE_NOTICE)
    assert {(m.sender_code, m.receiver_code) for m in queued} == {(SASEBO.code, NAGASAKI.code)}
    assert queued.count() == 2
    assert SupportRoleSwitch.objects.get(measure_id=measure_id).role == "former"
    federation.pump()
    incoming = list(SupportForwarding.objects.filter(direction="incoming").order_by("pk"))
    assert [(r.municipality_code, r.juminhyo_code, r.measure_id) for r in incoming] == [
        (SASEBO.code, current(wife).juminhyo_code, None),
        (SASEBO.code, current(child).juminhyo_code, None),
    ]
    assert incoming[0].covered_services == outgoing[0].covered_services
    # Nothing of either address, the 加害者 or a name is in any row, sent or received.
    text = rows_text()
    for secret in (
        NEW_ADDRESS,
        ADDRESS.address,
        ADDRESS.katagaki,
        PERPETRATOR_ADDRESS,
        "加藤",
        current(wife).surname,
    ):
        assert secret not in text
    detail = support_measure_detail(actor=officer, purpose=PURPOSE, measure_id=measure_id)
    assert [(f.direction_label, f.municipality, f.state[:9]) for f in detail.forwardings] == [
        ("転出先へ", NAGASAKI.code, "転入先へ連絡済み（"),
        ("転出先へ", NAGASAKI.code, "転入先へ連絡済み（"),
    ]
    reasons = AuditEntry.objects.filter(action=FORWARDING).values_list("reason", flat=True)
    assert all(r.endswith(f"sent to {NAGASAKI.code}") for r in reasons)
    assert len(reasons) == 2
    # The 転入先's list of received notices: the persons have not moved in there yet (no 宛名番号 shown).
    with federation.acting_as(NAGASAKI):
        notices = incoming_notices(actor=officer, purpose=PURPOSE)
    assert [(n.atena_number, n.from_municipality_code, n.provisional) for n in notices] == [
        ("", SASEBO.code, True),
        ("", SASEBO.code, True),
    ]
    assert AuditEntry.objects.get(action="resident:support_measure:forwarding_list").result_count == 2
    html = (
        logged_in(officer).post(reverse("registry:support_incoming"), {"purpose": PURPOSE}).content.decode()
    )
    assert SASEBO.code in html
    assert NEW_ADDRESS not in html
    with pytest.raises(AccessRefused):
        incoming_notices(actor=clerk, purpose=PURPOSE)


def test_an_unknown_or_non_peer_destination_waits_and_a_cancellation_sends_nothing_more(
    federation: TestFederation,
    family: DraftRecorded,
    officer: User,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    with federation.acting_as(SASEBO):
        draft = commit(move_out(clerk, [wife], code=""))
        row = SupportForwarding.objects.get()
        assert (row.municipality_code, row.municipality_name, row.sent_at) == (
            "",
            "転入先の市町村コード未入力",
            None,
        )
        assert not OutboxMessage.objects.filter(type=SUPPORT_MEASURE_NOTICE).exists()
        commit(
            record_cancellation(
                actor=clerk,
                purpose=PURPOSE,
                cancellation=Cancellation(change_id=draft.change_id, reason="届出の誤り"),
            )
        )
    assert SupportForwarding.objects.count() == 1  # the history stays; nothing new is told
    assert [s.role for s in SupportRoleSwitch.objects.filter(measure_id=measure_id).order_by("pk")] == [
        "former",
        "current",
    ]
    assert AuditEntry.objects.get(action=FORWARDING).reason.endswith("waiting")


def test_an_ex_officio_removal_switches_the_measure_to_former_and_records_a_waiting_forwarding(
    family: DraftRecorded, officer: User, clerk: User, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    _head, wife, _child = family.atena_numbers
    measure_id = open_measure(officer, wife)
    commit(record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal([wife])))
    assert list(SupportRoleSwitch.objects.filter(measure_id=measure_id).values_list("role", "reason")) == [
        ("former", "職権消除による自動切替")
    ]
    row = SupportForwarding.objects.get()
    assert (row.direction, row.municipality_name, row.sent_at) == ("outgoing", "職権消除（転入先不明）", None)
    # The 除票 stays blocked, as a 仮支援措置 (3.4-g).
    assert check_restrictions([wife], process=RestrictedProcess.CERTIFICATE).findings[0].source == (
        "provisional_support_measure"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"address": "長崎県長崎市桜町2番2号"},
        {"juminhyo_code": "12345"},
        {"covered_services": ["everything"]},
        {"provisional": "yes"},
        {"moved_on": "2026-13-01"},
    ],
)
def test_the_notice_schema_refuses_anything_but_its_identifiers(change: dict[str, Any]) -> None:
    payload: dict[str, Any] = {
        "juminhyo_code": "24727059600",
        "former_municipality_code": SASEBO.code,
        "moved_on": "2026-11-01",
        "covered_services": ["copies"],
        "provisional": True,
    }
    validate_notice(dict(payload))
    payload.update(change)
    with pytest.raises(DomainError) as caught:
        validate_notice(payload)
    assert caught.value.code == "registry.support_notice_payload"


def test_a_received_notice_is_kept_once_and_names_the_person_who_lives_here(
    family: DraftRecorded, officer: User
) -> None:
    head = family.atena_numbers[0]
    payload = {
        "juminhyo_code": current(head).juminhyo_code,
        "former_municipality_code": SASEBO.code,
        "moved_on": clock.today().isoformat(),
        "covered_services": ["copies", "previous_fuhyo_copies"],
        "provisional": True,
    }
    envelope = Envelope(
        id=str(uuid.uuid4()),
        type=SUPPORT_MEASURE_NOTICE,
        sender=SASEBO,
        receiver=NAGASAKI,
        subject="spf-1",
        seq=1,
        created=timezone.now(),
        payload=payload,
    )
    apply_notice(envelope)
    apply_notice(envelope)  # a restored backup may re-apply: still one row
    assert SupportForwarding.objects.count() == 1
    (notice,) = incoming_notices(actor=officer, purpose=PURPOSE)
    assert (notice.atena_number, notice.name, notice.covered_services) == (
        head,
        f"{current(head).surname} {current(head).given_name}",
        ("住民票の写し等の交付", "前本籍地の戸籍の附票（除附票）の写しの交付"),
    )

"""The 入管連携端末 (M10): a relay between one municipality and 出入国在留管理庁 (system.md M10 1–3).

* ``relay_notices`` answers the municipality's hand-over (``RELAY_NOTICES``): each (通知連番, 送信回数)
  not relayed before is queued, in the order given, on the municipality's one stream to the agency;
  one relayed before is only acknowledged again. Both are in the answer, so the municipality marks
  them sent; if the municipality gets no answer, nothing is marked and the notices stay due.
* ``relay_result`` and ``relay_residence_notice`` pass the agency's results and 法30条の50 notices on
  to the municipality, in the order received.

The terminal keeps no personal data of its own: only ``RelayedNotice`` (numbers) and the messaging
outbox and inbox (sealed signed tokens, purged after the retention period; docs/network.md).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.immigration import catalogue
from jumin.immigration.models import RelayedNotice
from jumin.messaging import conf
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.handlers import HandlerRefused
from jumin.messaging.services import Outgoing, enqueue, enqueue_many

TERMINAL = catalogue.TERMINAL
#: The municipality's streams from its terminal (one per message kind, so each keeps its order).
RESULTS_SUBJECT = "immigration-results"
RESIDENCE_SUBJECT = "immigration-residence"


def _municipality() -> NodeRef:
    """The municipality this terminal serves: the one with its own code."""
    return NodeRef(catalogue.MUNICIPALITY, conf.local_node().ref.code)


def relay_notices(envelope: Envelope) -> dict[str, Any]:
    """Queue the municipality's notices for the agency, once per (通知連番, 送信回数), in order."""
    municipality = _municipality()
    catalogue.require_sender(envelope, catalogue.MUNICIPALITY, municipality.code)
    notices: list[dict[str, Any]] = envelope.payload["notices"]
    relayed = set(
        RelayedNotice.objects.filter(
            municipality_code=municipality.code,
            sequence_no__in=[n["sequence_no"] for n in notices],
        ).values_list("sequence_no", "send_no")
    )
    fresh = [
        n
        for n in notices
        if n["municipality_code"] == municipality.code and (n["sequence_no"], n["send_no"]) not in relayed
    ]
    rows = enqueue_many(
        [
            Outgoing(
                message_type=catalogue.MUNICIPALITY_NOTICE,
                receiver=catalogue.AGENCY_NODE,
                subject=catalogue.notices_subject(municipality.code),
                payload=notice,
            )
            for notice in fresh
        ]
    )
    now = timezone.now()
    RelayedNotice.objects.bulk_create(
        RelayedNotice(
            municipality_code=municipality.code,
            sequence_no=notice["sequence_no"],
            send_no=notice["send_no"],
            relayed_at=now,
            message_id=str(row.message_id),
        )
        for notice, row in zip(fresh, rows, strict=True)
    )
    accepted = [
        [n["sequence_no"], n["send_no"]] for n in notices if n["municipality_code"] == municipality.code
    ]
    record_event(
        actor=None,
        action=AuditAction.IMMIGRATION_RELAY_NOTICE,
        subject_type="municipality_notice",
        subject_id=municipality.code,
        reason=f"{envelope.sender} → {catalogue.AGENCY_NODE}: relayed={len(fresh)} "
        f"again={len(accepted) - len(fresh)}",
        result_count=len(accepted),
    )
    return {"accepted": accepted}


def _forward(envelope: Envelope, message_type: str, subject: str, action: AuditAction, what: str) -> None:
    catalogue.require_sender(envelope, catalogue.AGENCY)
    municipality = _municipality()
    if envelope.payload["municipality_code"] != municipality.code:
        raise HandlerRefused("the message is for another municipality's terminal")
    row = enqueue(message_type=message_type, receiver=municipality, subject=subject, payload=envelope.payload)
    record_event(
        actor=None,
        action=action,
        subject_type="immigration_link",
        subject_id=str(row.message_id),
        reason=f"{envelope.sender} → {municipality}: {what}",
        result_count=1,
    )


def relay_result(envelope: Envelope) -> None:
    """The agency's result of one send, passed on to the municipality."""
    payload = envelope.payload
    _forward(
        envelope,
        catalogue.NOTICE_RESULT,
        RESULTS_SUBJECT,
        AuditAction.IMMIGRATION_RELAY_RESULT,
        f"notice {payload['sequence_no']}/{payload['send_no']} {payload['result']}",
    )


def relay_residence_notice(envelope: Envelope) -> None:
    """A 法30条の50 notice of the agency, passed on to the municipality."""
    _forward(
        envelope,
        catalogue.RESIDENCE_NOTICE,
        RESIDENCE_SUBJECT,
        AuditAction.IMMIGRATION_RELAY_RESIDENCE_NOTICE,
        f"notice {envelope.payload['notice']['notice_id']}",
    )


catalogue.answer(catalogue.RELAY_NOTICES, kind=TERMINAL, answer=relay_notices)
catalogue.handle(catalogue.NOTICE_RESULT, kind=TERMINAL, apply=relay_result)
catalogue.handle(catalogue.RESIDENCE_NOTICE, kind=TERMINAL, apply=relay_residence_notice)

"""The national e-application service (サービス検索・電子申請機能, simulated): 転出届 → the municipality.

``submit_application`` takes an application signed with the card (jukinet.common.e_application),

* finds the card in 個人番号カード管理システム by its card serial and 署名用電子証明書 serial, and its
  holder's current record (``kiosk_centre.card_and_record``), and refuses a replayed nonce;
* relays it to the registering municipality (QUERY_E_APPLICATION) with the card's status and validity,
  the 機構's JPKI CA certificate and the certificate's status in the 失効情報 (``jpki.status_of``): the
  municipality verifies the certificate and the signature, matches the applicant and answers with its
  受付番号;
* returns the 受付番号 or the refusal code, with one audit entry naming the person's national record and
  no personal data. The application itself is kept only by the municipality.

マイナポータル itself is outside Jumin: ``submit_application`` is the service's entry point.

``relay_move_in_plan`` carries the 転入予定連絡 (MOVE_IN_PLAN) a 転出元 sends once the 転出 is committed on to
the 転入先 it names, unchanged and signed anew; the service keeps nothing of it but one audit entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.audit.actions import AuditAction, Outcome
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import MOVE_IN_PLAN, QUERY_E_APPLICATION
from jumin.jukinet.common.e_application import REQUEST_KEYS, validate_application
from jumin.jukinet.common.signing_certificate import encode_certificate
from jumin.jukinet.national.models import Card, IdentityRecord
from jumin.jukinet.national.services import jpki
from jumin.jukinet.national.services._common import audit
from jumin.jukinet.national.services.kiosk_centre import card_and_record, use_nonce
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.queries import query

logger = logging.getLogger("jumin.jukinet.national")


@dataclass(frozen=True)
class ApplicationOutcome:
    """What the applicant sees: the municipality's 受付番号, or the refusal code."""

    accepted: bool
    receipt_number: str = ""
    refusal_code: str = ""


def _service_refusal(field: str, reason: str, code: str) -> DomainError:
    return refusal(
        field,
        reason,
        "カードを確かめて申請し直すか、市区町村の窓口で届け出てください。",
        f"jukinet.national.e_application.{code}",
    )


def _relay(payload: dict[str, Any], card: Card, record: IdentityRecord) -> dict[str, Any]:
    question = {
        **{key: payload[key] for key in REQUEST_KEYS},
        "resident_code": record.resident_code,
        "card_status": card.status,
        "valid_until": card.valid_until.isoformat(),
        # What the municipality verifies the 署名用電子証明書 against: the 機構's CA and its 失効情報.
        "authority_certificate": encode_certificate(jpki.authority()),
        "certificate_status": jpki.status_of(card, payload["certificate_serial"]),
    }
    return query(
        query_type=QUERY_E_APPLICATION,
        receiver=NodeRef("municipality", record.municipality_code),
        payload=question,
    )


def submit_application(payload: dict[str, Any]) -> ApplicationOutcome:
    """The service's handling of one e-application; a refusal is an outcome, not an exception."""
    with transaction.atomic():
        concerning, municipality = "", "-"
        try:
            validate_application(payload)
            card, record = card_and_record(payload, _service_refusal, signing=True)
            concerning, municipality = record.resident_code, record.municipality_code
            use_nonce(payload, card, _service_refusal)
            answer = _relay(payload, card, record)
            outcome = ApplicationOutcome(accepted=True, receipt_number=answer["receipt_number"])
        except DomainError as error:
            logger.info("e-application refused: %s", error.code)
            outcome = ApplicationOutcome(accepted=False, refusal_code=error.code)
        audit(
            AuditAction.NATIONAL_E_APPLICATION_RELAY,
            subject_type="e_application",
            subject_id=outcome.receipt_number or "-",
            reason=f"{payload.get('kind', '-') if isinstance(payload, dict) else '-'} → {municipality}",
            outcome=Outcome.DONE if outcome.accepted else Outcome.REFUSED,
            outcome_reason=outcome.refusal_code,
            result_count=1 if outcome.accepted else 0,
            concerning_code=concerning,
        )
    return outcome


def relay_move_in_plan(envelope: Envelope) -> None:
    """MOVE_IN_PLAN from a 転出元: relay it to the 転入先 (one that is no peer: audited and dropped)."""
    payload = envelope.payload
    target = payload["to_municipality_code"]
    outcome, reason = Outcome.DONE, ""
    if envelope.sender.kind != "municipality" or envelope.sender.code != payload["from_municipality_code"]:
        outcome, reason = Outcome.REFUSED, "jukinet.national.e_application.plan_sender"
    else:
        try:
            with transaction.atomic():
                messaging.enqueue(
                    message_type=MOVE_IN_PLAN,
                    receiver=NodeRef("municipality", target),
                    subject=envelope.subject,
                    payload=payload,
                )
        except DomainError as error:
            outcome, reason = Outcome.REFUSED, error.code
            logger.warning("move-in plan not relayed to %s: %s", target, error.code)
    audit(
        AuditAction.NATIONAL_MOVE_IN_PLAN_RELAY,
        subject_type="move_in_plan",
        subject_id=payload["receipt_number"],
        reason=f"{envelope.sender} → municipality:{target}",
        outcome=outcome,
        outcome_reason=reason,
        result_count=len(payload["movers"]),
    )

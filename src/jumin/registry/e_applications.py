"""電子申請 (引越しワンストップ 転出届) at the registering municipality (standard 7.2.5-a; system.md M8).

* ``answer_e_application`` answers QUERY_E_APPLICATION from the national e-application service: the
  card is live, and its 署名用電子証明書 chains to the 機構's CA pinned here (``jpki_trust``), was valid
  at signing, is not revoked (the 失効リスト fetched here, and the 機構's status in the relay)
  and verifies the signature over what the application says (jukinet.common.signing_certificate); the
  applicant is a current resident here by the card's 住民票コード (申請者突合), the certificate's 4情報 are
  the register's, and the applicant has not already moved out; the application is kept
  (``ElectronicApplication``), audited, and its 受付番号 returned.
* ``pending_applications`` lists what waits for a clerk; ``draft_move_out`` enters the 転出 as a draft
  (仮登録) through ``record_move_out``, checked, numbered and audited like one entered at the counter,
  for another clerk to review and commit; ``refuse_application`` records a refusal with its reason.

Nothing is committed by the application itself: the 転出 is only a draft until a reviewer commits it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography import x509
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ResidentStatus
from jumin.jukinet import routing
from jumin.jukinet.common.card_signature import check_card_live
from jumin.jukinet.common.catalogue import QUERY_E_APPLICATION
from jumin.jukinet.common.e_application import MOVE_OUT, application_challenge
from jumin.jukinet.common.queries import SIGNATURE_BYTES, decode_b64url, parse_signed_at
from jumin.jukinet.common.signing_certificate import (
    REVOKED,
    FourItems,
    SignedDocument,
    certificate_serial,
    check_four_items,
    check_signed_document,
    decode_certificate,
)
from jumin.messaging.envelope import Envelope
from jumin.registry import card_certificate_serials, certificate_sources, cs_link, jpki_trust
from jumin.registry.models import ChangeState, Resident, ResidentSnapshot
from jumin.registry.models_e_application import ElectronicApplication, ElectronicApplicationDecision
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.move_out import MoveOut, record_move_out

MUNICIPALITY = "municipality"
SUBJECT_TYPE = "e_application"
_CODE = "registry.e_application"


def _applicant_refusal(field: str, reason: str, code: str) -> DomainError:
    return refusal(field, reason, "市区町村の窓口で届け出てください。", f"{_CODE}_{code}")


def _movers(holder: str, movers: str) -> list[str]:
    if movers == "self":
        return [holder]
    members = certificate_sources.household_of(holder)
    return [m.atena_number for m in members if m.status == ResidentStatus.RESIDENT.value]


def _receipt_number(today: date) -> str:
    return f"EA{today:%Y%m%d}-{secrets.token_hex(3).upper()}"


def register_items(snapshot: ResidentSnapshot) -> FourItems:
    """The 4情報 of the current record as the CS sends them to the 機構 (what a 署名用電子証明書 carries)."""
    return FourItems(
        name=cs_link.cs_name(snapshot),
        birth_date=cs_link.birth_date_code(snapshot.birth_date),
        sex=snapshot.sex,
        address=snapshot.address,
    )


def _verified_certificate(payload: dict[str, Any], now: Any) -> x509.Certificate:
    """The applicant's 署名用電子証明書, once the card is live, the signature fresh, the certificate the
    serial's, issued by the 機構's CA, valid at signing, not revoked, and the signature its key's."""
    check_card_live(payload, now=now, today=timezone.localdate(now), refuse=_applicant_refusal)
    certificate = decode_certificate(payload["signing_certificate"], field="signing_certificate", code=_CODE)
    if certificate_serial(certificate) != payload["certificate_serial"]:
        raise _applicant_refusal(
            "certificate_serial", "署名用電子証明書のシリアル番号が申請と一致しません。", "serial_mismatch"
        )
    # The CA is the one pinned here, never the one the relay carries; the status is the CRL fetched
    # here, unless the 機構's fresher answer in the relay already says revoked (or unknown).
    trusted = jpki_trust.trusted_status(payload["certificate_serial"], now, _applicant_refusal)
    document = SignedDocument(
        certificate=certificate,
        authority=trusted.authority,
        status=trusted.status if trusted.status == REVOKED else payload["certificate_status"],
        challenge=application_challenge(payload),
        signature=decode_b64url(payload["signature"], length=SIGNATURE_BYTES, field="signature"),
        signed_at=parse_signed_at(payload["signed_at"]),
    )
    check_signed_document(document, refuse=_applicant_refusal)
    return certificate


def answer_e_application(envelope: Envelope) -> dict[str, Any]:
    """Answer QUERY_E_APPLICATION with the 受付番号 (runs in the query's transaction)."""
    payload = envelope.payload
    if envelope.sender.kind != "national":
        raise _applicant_refusal("sender", "電子申請は電子申請サービスからだけ受け付けます。", "sender")
    now = timezone.now()
    certificate = _verified_certificate(payload, now)
    holder = certificate_sources.atena_number_of_code(payload["resident_code"])
    resident = Resident.objects.select_related("current").filter(atena_number=holder or "").first()
    if resident is None or resident.current is None:
        raise _applicant_refusal(
            "resident_code", "カードの方は当市区町村の住民として記録されていません。", "unknown"
        )
    if resident.current.status != ResidentStatus.RESIDENT.value:
        raise _applicant_refusal("resident_code", "すでに転出の届出がされています。", "already_moving")
    check_four_items(certificate, register=register_items(resident.current), refuse=_applicant_refusal)
    application = ElectronicApplication.objects.create(
        receipt_number=_receipt_number(timezone.localdate(now)),
        kind=payload["kind"],
        received_at=now,
        applicant=resident,
        atena_numbers=_movers(resident.atena_number, payload["movers"]),
        movers=payload["movers"],
        planned_date=date.fromisoformat(payload["planned_date"]),
        destination=payload["destination"],
        destination_municipality_code=payload["destination_municipality_code"],
        signed_items={
            key: payload[key] for key in payload if key not in ("signature", "authority_certificate")
        },
        signature=payload["signature"],
        certificate_serial=payload["certificate_serial"],
        message_id=str(envelope.id)[:64],
    )
    # The registry keeps the 署名用 serial it has just learnt (1.1.1-c), in the query's transaction.
    card_certificate_serials.record_e_application(
        resident, application.certificate_serial, receipt_number=application.receipt_number
    )
    record_event(
        actor=None,
        action=AuditAction.RESIDENT_E_APPLICATION_RECEIVE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(application.pk),
        purpose="e_application",
        reason=f"{application.kind} from {envelope.sender}",
        result_count=len(application.atena_numbers),
        concerning=application.atena_numbers,
    )
    return {"receipt_number": application.receipt_number}


routing.answer(QUERY_E_APPLICATION, kind=MUNICIPALITY, answer=answer_e_application)


@dataclass(frozen=True)
class PendingApplication:
    """One application waiting for a clerk, as the list shows it."""

    receipt_number: str
    received_at: Any
    applicant_atena_number: str
    applicant_name: str
    atena_numbers: tuple[str, ...]
    planned_date: date
    destination: str
    destination_municipality_code: str
    returned: bool  # its earlier draft was discarded


def _waiting() -> Any:
    """The applications that wait for a clerk: never decided, or every draft they became was discarded
    (a refusal, or a draft not discarded, settles one; a null change survives the exclude)."""
    decisions = ElectronicApplicationDecision.objects.filter(application=OuterRef("pk"))
    settled = decisions.exclude(change__state=ChangeState.DISCARDED)
    return ElectronicApplication.objects.annotate(settled=Exists(settled), returned=Exists(decisions)).filter(
        settled=False
    )


def pending_applications(*, actor: Any, purpose: str, limit: int = 500) -> list[PendingApplication]:
    """The applications no clerk has decided (or whose draft was discarded), oldest first; audited
    with the people listed."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_E_APPLICATION_LIST,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    query = _waiting().select_related("applicant__current").order_by("received_at", "pk")
    rows: list[PendingApplication] = []
    with transaction.atomic():
        for application in query[: max(1, min(limit, 5000))]:
            current = application.applicant.current
            rows.append(
                PendingApplication(
                    receipt_number=application.receipt_number,
                    received_at=application.received_at,
                    applicant_atena_number=application.applicant.atena_number,
                    applicant_name=f"{current.surname}　{current.given_name}".strip() if current else "",
                    atena_numbers=tuple(application.atena_numbers),
                    planned_date=application.planned_date,
                    destination=application.destination,
                    destination_municipality_code=application.destination_municipality_code,
                    returned=application.returned,
                )
            )
        listed = sorted({number for row in rows for number in row.atena_numbers})
        record_results(
            actor,
            "resident",
            listed,
            purpose,
            "e_application_pending",
            action=AuditAction.RESIDENT_E_APPLICATION_LIST,
            result_count=len(rows),
        )
    return rows


def _undecided(receipt_number: str) -> ElectronicApplication:
    application = (
        ElectronicApplication.objects.select_for_update(of=("self",))
        .filter(receipt_number=receipt_number)
        .first()
    )
    if application is None:
        raise refusal(
            "receipt_number",
            "その受付番号の電子申請はありません。",
            "受付番号を確かめてください。",
            f"{_CODE}_not_found",
        )
    if not _waiting().filter(pk=application.pk).exists():
        raise refusal(
            "receipt_number", "この電子申請は処理済みです。", "一覧を開き直してください。", f"{_CODE}_decided"
        )
    return application


def _decide(
    actor: Any,
    purpose: str,
    application: ElectronicApplication,
    outcome: str,
    change_id: int | None,
    reason: str,
) -> None:
    ElectronicApplicationDecision.objects.create(
        application=application,
        outcome=outcome,
        change_id=change_id,
        reason=reason,
        decided_at=timezone.now(),
        decided_by=actor,
    )
    record_event(
        actor=actor,
        action=AuditAction.RESIDENT_E_APPLICATION_DECIDE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(application.pk),
        purpose=purpose,
        reason=f"{outcome}" + (f" change {change_id}" if change_id else f": {reason}"),
        concerning=application.atena_numbers,
    )


def draft_move_out(
    *, actor: Any, purpose: str, receipt_number: str, attention_note: str = ""
) -> DraftRecorded:
    """Enter the application's 転出 as a draft (the 届出日 is the day it was received); another clerk
    reviews and commits it. The workflow's refusals leave the application waiting, unchanged."""
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_E_APPLICATION_DECIDE,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    with transaction.atomic():
        application = _undecided(receipt_number)
        if application.kind != MOVE_OUT:
            raise refusal("kind", "転出届ではありません。", "窓口で処理してください。", f"{_CODE}_kind")
        recorded = record_move_out(
            actor=actor,
            purpose=purpose,
            move_out=MoveOut(
                atena_numbers=list(application.atena_numbers),
                planned_date=application.planned_date,
                destination=application.destination,
                notification_date=timezone.localdate(application.received_at),
                destination_municipality_code=application.destination_municipality_code,
                attention_note=attention_note,
            ),
        )
        _decide(
            actor, purpose, application, ElectronicApplicationDecision.Outcome.DRAFTED, recorded.change_id, ""
        )
    return recorded


def refuse_application(*, actor: Any, purpose: str, receipt_number: str, reason: str) -> None:
    """Record that the application is not accepted (不受理), with the reason the clerk gives."""
    reason = reason.strip()
    if not reason:
        raise refusal("reason", "不受理の理由がありません。", "理由を入力してください。", f"{_CODE}_reason")
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_RECORD,
        action=AuditAction.RESIDENT_E_APPLICATION_DECIDE,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    with transaction.atomic():
        application = _undecided(receipt_number)
        _decide(
            actor, purpose, application, ElectronicApplicationDecision.Outcome.REFUSED, None, reason[:200]
        )

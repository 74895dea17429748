"""広域交付 at the issuing municipality's CS (住基法12条の4; system.md F11b, M3 item 9, std 7.1.1.1-b).

A person registered elsewhere (municipality A) asks at our 統合端末 for a 住民票の写し. In one call:

1. the clerk's grants and the CS terminal are checked (証明書交付 permission, C-4);
2. the request is checked before the card is touched (a bad option costs no PIN attempt);
3. 本人確認 with the card and PIN against the national node (``cards.verify_with_card``, F12), which
   refuses a wrong PIN, a locked or a suspended card, and tells us where the person is registered;
4. the 広域交付 request goes to A's CS (QUERY_WIDE_AREA_COPY, signed both ways); A renders, seals,
   numbers and records the copy, or refuses with its reason;
5. we keep only the issuance record (``WideAreaIssuance``: who, when, which municipality, 発行番号,
   document hash, counts, fee), audited in the same transaction, and hand the PDF back to be printed.
   The PDF and the 住民票 content are never stored here.

A refusal by A or by the national node is audited here in a transaction of its own and reaches the
clerk as that node's message. Only the card route is built: the 4情報 route with another ID document
is not (docs/jukinet.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.certificates import DEFAULT_FEES, CertificateKind, RequesterClass, fee_for
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import QUERY_WIDE_AREA_COPY
from jumin.jukinet.common.wide_area import decode_pdf, validate_wide_area_request
from jumin.jukinet.cs import access, cards
from jumin.jukinet.cs.models import WideAreaIssuance
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import local_municipality_code, peer_configured
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.services import query

SUBJECT_TYPE = "cs_wide_area"


@dataclass(frozen=True)
class WideAreaRequest:
    """What the person asks for: who is printed (``scope``) and the items a wide-area copy may have.

    ``scope``: ``self`` (the card holder), ``household`` (the holder's whole household) or ``members``
    (the members named by ``member_resident_codes``, each of the holder's household). 本籍・筆頭者,
    個人番号 and history are never printed on a wide-area copy, so they are no options.
    """

    scope: str = "self"
    member_resident_codes: tuple[str, ...] = ()
    layout: str = "household"
    show_head_and_relationship: bool = True
    show_juminhyo_code: bool = False
    copies: int = 1

    def as_record(self) -> dict[str, Any]:
        """The options as the issuance record keeps them (the members only as a count)."""
        return {
            "scope": self.scope,
            "members": len(self.member_resident_codes),
            "layout": self.layout,
            "show_head_and_relationship": self.show_head_and_relationship,
            "show_juminhyo_code": self.show_juminhyo_code,
            "copies": self.copies,
        }


@dataclass(frozen=True)
class WideAreaCopy:
    """What the clerk prints and hands over, with the record kept here."""

    issuance_id: int
    registering_municipality: str
    copy_numbers: tuple[str, ...]
    pdf: bytes
    fee: int
    sheets: int


def _payload(request: WideAreaRequest, resident_code: str, card_serial: str, actor: Any) -> dict[str, Any]:
    operator_id, terminal_id = operator_ids(actor)
    payload = {
        "requester_resident_code": resident_code,
        "card_serial": card_serial,
        "scope": request.scope,
        "member_resident_codes": [code.strip() for code in request.member_resident_codes],
        "layout": request.layout,
        "show_head_and_relationship": request.show_head_and_relationship,
        "show_juminhyo_code": request.show_juminhyo_code,
        "copies": request.copies,
        "issuing_municipality_code": local_municipality_code(),
        "operator_id": operator_id,
        "terminal_id": terminal_id,
    }
    validate_wide_area_request(payload)
    return payload


def _registering_municipality(check: cards.CardCheck) -> NodeRef:
    """The municipality A to ask: the national record's, another configured municipality, not ours."""
    if check.record is None or check.record.removed or not check.municipality_code:
        raise refusal(
            "card",
            "機構の本人確認情報に現在の住所地がないため、広域交付できません。",
            "住所地の市区町村を確認してください。",
            "jukinet.cs.wide_area_no_address",
        )
    if check.municipality_code == local_municipality_code():
        raise refusal(
            "card",
            "当市区町村の住民です。広域交付ではなく窓口の証明書交付で交付してください。",
            "証明書交付の画面で請求を受けてください。",
            "jukinet.cs.wide_area_local_resident",
        )
    registering = NodeRef("municipality", check.municipality_code)
    if not peer_configured(registering):
        raise refusal(
            "card",
            "住所地の市区町村のCSが連携先に登録されていません。",
            "連携運用担当者に連携先（peers.json）の登録を依頼してください。",
            "jukinet.cs.wide_area_no_peer",
        )
    return registering


def _audit_refusal(actor: Any, purpose: str, error: DomainError) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_WIDE_AREA_ISSUE,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason=error.code[:100],
        )


def _fee(units: int, relation: str) -> int:
    """This municipality's fee for ``units`` copies (its own 手数料条例: ``JUMIN_CERTIFICATE_FEES``)."""
    table = getattr(settings, "JUMIN_CERTIFICATE_FEES", DEFAULT_FEES)
    return fee_for(CertificateKind.COPY, units=units, requester_class=RequesterClass(relation), table=table)


def issue_wide_area_copy(
    *, actor: Any, purpose: str, card_json: Any, pin: str, request: WideAreaRequest
) -> WideAreaCopy:
    """広域交付 (F11b): check the card, ask the registering municipality, keep the issuance record.

    Raises AccessRefused (no 証明書交付 permission, not a CS terminal) or DomainError (the request,
    the card check, or the registering municipality's refusal); a refusal stores nothing.
    """
    access.require(
        actor=actor,
        permission=Permission.CERTIFICATE_ISSUE,
        action=AuditAction.CS_WIDE_AREA_ISSUE,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    try:
        card = cards.parse_card(card_json)
        payload = _payload(request, card.resident_code, card.card_serial, actor)
        check = cards.verify_with_card(actor=actor, purpose=purpose, card_json=card_json, pin=pin)
        registering = _registering_municipality(check)
        answer = query(query_type=QUERY_WIDE_AREA_COPY, receiver=registering, payload=payload, actor=actor)
        pdf = decode_pdf(answer["pdf"])
    except DomainError as error:
        _audit_refusal(actor, purpose, error)
        raise
    now = timezone.now()
    fee = _fee(answer["units"], answer["requester_relation"])
    with transaction.atomic():
        row = WideAreaIssuance.objects.create(
            issued_at=now,
            issue_date=timezone.localdate(now),
            registering_municipality=registering.code,
            resident_code=card.resident_code,
            card_serial=card.card_serial,
            requester_relation=answer["requester_relation"],
            options=request.as_record(),
            subject_count=answer["subject_count"],
            copies=answer["units"],
            sheets=answer["sheets"],
            fee=fee,
            copy_numbers=list(answer["copy_numbers"]),
            pdf_sha256=answer["pdf_sha256"],
            user=actor,
            user_name=str(getattr(actor, "display_name", "") or actor.get_username())[:150],
            operator_id=payload["operator_id"],
            terminal_id=payload["terminal_id"],
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_WIDE_AREA_ISSUE,
            subject_type=SUBJECT_TYPE,
            subject_id=str(row.pk),
            purpose=purpose,
            reason=f"from {registering.code}",
            result_count=answer["subject_count"],
            concerning=person_ids([card.resident_code]),
        )
    return WideAreaCopy(
        issuance_id=row.pk,
        registering_municipality=registering.code,
        copy_numbers=tuple(answer["copy_numbers"]),
        pdf=pdf,
        fee=fee,
        sheets=answer["sheets"],
    )


@dataclass(frozen=True)
class WideAreaRecordRow:
    """One line of the 広域交付 list: the record as kept, the 住民票コード masked per field grant."""

    issuance_id: int
    issued_at: datetime
    registering_municipality: str
    resident_code: str
    requester_relation: str
    subject_count: int
    copies: int
    fee: int
    copy_numbers: tuple[str, ...]
    user_name: str


def wide_area_records(*, actor: Any, purpose: str, day: date) -> list[WideAreaRecordRow]:
    """The 広域交付 issued here on ``day``, oldest first (audited read ``cs:wide_area:list``)."""
    access.require(
        actor=actor,
        permission=Permission.CERTIFICATE_HISTORY_VIEW,
        action=AuditAction.CS_WIDE_AREA_LIST,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    visible = access.visible_items(actor)
    with transaction.atomic():
        rows = [
            WideAreaRecordRow(
                issuance_id=row.pk,
                issued_at=row.issued_at,
                registering_municipality=row.registering_municipality,
                resident_code=access.shown_resident_code(row.resident_code, visible),
                requester_relation=RequesterClass(row.requester_relation).label,
                subject_count=row.subject_count,
                copies=row.copies,
                fee=row.fee,
                copy_numbers=tuple(row.copy_numbers),
                user_name=row.user_name,
            )
            for row in WideAreaIssuance.objects.filter(issue_date=day).order_by("issued_at", "pk")
        ]
        record_event(
            actor=actor,
            action=AuditAction.CS_WIDE_AREA_LIST,
            subject_type=SUBJECT_TYPE,
            purpose=purpose,
            reason=f"day {day.isoformat()}",
            result_count=len(rows),
        )
    return rows


def wide_area_persons(envelope: Envelope) -> list[str]:
    """At the 住所地 A: the CS's person ids of the card holder and the members a 広域交付 request names,
    for the ``node:query:answer`` entry, so each one's 提供状況 lists the request, issued or refused
    (issue 8 item 7). Reads the question defensively: it may not have been validated yet."""
    payload = envelope.payload
    named = payload.get("member_resident_codes")
    codes = [payload.get("requester_resident_code"), *(named if isinstance(named, list) else [])]
    return person_ids(code for code in codes if isinstance(code, str))

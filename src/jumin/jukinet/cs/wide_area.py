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

Without a card (``issue_wide_area_copy_by_document``), the clerk checks another ID document (運転免許証,
旅券, …) and enters the 4情報 the person writes on the request; step 3 is then a 4情報 query to the
national node (QUERY_IDENTITY), which must find exactly one current record, whose 住民票コード and
住所地 route the request. A refusal by A or by the national node is audited here in a transaction of
its own and reaches the clerk as that node's message.

住民票の除票の写し (住基法15条の4, 令和元年改正; ``WideAreaRequest.kind`` ``removed_copy``): the
requester's own 除票 (scope ``self``). The national record names where the person lives now, not
where the 除票 is, so the requester states the former municipality (``former_municipality_code``,
checked before the card is touched) and the request goes there; A finds the 除票 by the 住民票コード.
The requester need not be a current resident anywhere (after a 転出 the national record is removed
until the 転入), so a removed national record does not refuse it, and the 4情報 may match one.
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
from jumin.domain.certificates import DEFAULT_FEES, CertificateKind, IdentityCheck, RequesterClass, fee_for
from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import QUERY_IDENTITY, QUERY_WIDE_AREA_COPY
from jumin.jukinet.common.notice import notice_from_payload
from jumin.jukinet.common.wide_area import (
    IDENTITY_CHECKS,
    KIND,
    KINDS,
    decode_pdf,
    validate_wide_area_request,
)
from jumin.jukinet.cs import access, cards
from jumin.jukinet.cs.models import WideAreaIssuance
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL, local_municipality_code, peer_configured
from jumin.messaging.envelope import Envelope, NodeRef
from jumin.messaging.services import query

SUBJECT_TYPE = "cs_wide_area"
#: The ID documents of the route without a card (every 本人確認 of 広域交付 but the card itself).
DOCUMENT_CHECKS = tuple(IdentityCheck(m) for m in IDENTITY_CHECKS if m != IdentityCheck.MYNUMBER_CARD)
#: The kinds a 広域交付 may copy, with their printed titles (the screens' choices).
KIND_CHOICES = tuple((kind, CertificateKind(kind).label) for kind in KINDS)


@dataclass(frozen=True)
class WideAreaRequest:
    """What the person asks for: who is printed (``scope``) and the items a wide-area copy may have.

    ``scope``: ``self`` (the card holder), ``household`` (the holder's whole household) or ``members``
    (the members named by ``member_resident_codes``, each of the holder's household). 本籍・筆頭者,
    個人番号 and history are never printed on a wide-area copy, so they are no options.
    ``kind``: ``copy`` (住民票の写し) or ``removed_copy`` (the holder's own 除票の写し, from the
    municipality the holder states: ``former_municipality_code``).
    """

    scope: str = "self"
    member_resident_codes: tuple[str, ...] = ()
    layout: str = "household"
    show_head_and_relationship: bool = True
    show_juminhyo_code: bool = False
    copies: int = 1
    kind: str = CertificateKind.COPY.value
    former_municipality_code: str = ""

    @property
    def of_removed_record(self) -> bool:
        """Whether a 除票の写し is asked for (then A is the stated former municipality)."""
        return self.kind == CertificateKind.REMOVED_COPY

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


@dataclass(frozen=True)
class PersonByDocument:
    """The requester without a card: the ID document the clerk checked and the 4情報 they wrote.

    ``identity_check`` is an ``IdentityCheck`` value other than the card and the 郵送/代理 form; every
    one of name, birth date (YYYYMMDD), sex and address is needed to find exactly one person.
    """

    identity_check: str
    name: str
    name_kana: str
    birth_date: str
    sex: str
    address: str


def _payload(
    request: WideAreaRequest,
    resident_code: str,
    card_serial: str,
    actor: Any,
    identity_check: str = IdentityCheck.MYNUMBER_CARD,
) -> dict[str, Any]:
    operator_id, terminal_id = operator_ids(actor)
    payload = {
        "requester_resident_code": resident_code,
        "identity_check": str(identity_check),
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
    if request.kind != CertificateKind.COPY:
        payload[KIND] = request.kind  # absent for a 住民票の写し: what an A before the item expects
    validate_wide_area_request(payload)
    return payload


def _registering_municipality(municipality_code: str, *, current: bool, field: str = "card") -> NodeRef:
    """The municipality A to ask: the national record's, another configured municipality, not ours."""
    if not current or not municipality_code:
        raise refusal(
            field,
            "機構の本人確認情報に現在の住所地がないため、広域交付できません。",
            "住所地の市区町村を確認してください。",
            "jukinet.cs.wide_area_no_address",
        )
    if municipality_code == local_municipality_code():
        raise refusal(
            field,
            "当市区町村の住民です。広域交付ではなく窓口の証明書交付で交付してください。",
            "証明書交付の画面で請求を受けてください。",
            "jukinet.cs.wide_area_local_resident",
        )
    return _peer(municipality_code, field)


def _peer(municipality_code: str, field: str) -> NodeRef:
    """The municipality's node, when it is one of our configured peers."""
    registering = NodeRef("municipality", municipality_code)
    if not peer_configured(registering):
        raise refusal(
            field,
            "住所地の市区町村のCSが連携先に登録されていません。",
            "連携運用担当者に連携先（peers.json）の登録を依頼してください。",
            "jukinet.cs.wide_area_no_peer",
        )
    return registering


def _former_municipality(request: WideAreaRequest) -> NodeRef | None:
    """For a 除票の写し, the municipality the requester states the 除票 is at (not ours, a peer);
    None for a 住民票の写し, which the national record routes."""
    if not request.of_removed_record:
        return None
    field = "former_municipality_code"
    if not request.former_municipality_code.strip():
        raise refusal(
            field,
            "除票の写しの広域交付には、除票のある市区町村（転出・死亡等の前の住所地）が必要です。",
            "請求者が申し出た従前の住所地の市区町村コード（6桁）を入力してください。",
            "jukinet.cs.wide_area_former_municipality",
        )
    code = validate_lgcode(request.former_municipality_code.strip(), field=field)
    if code == local_municipality_code():
        raise refusal(
            field,
            "当市区町村の除票です。広域交付ではなく窓口の証明書交付で除票の写しを交付してください。",
            "証明書交付の画面で請求を受けてください。",
            "jukinet.cs.wide_area_local_resident",
        )
    return _peer(code, field)


def _require_issuing(actor: Any, purpose: str) -> None:
    """証明書交付 permission on a CS terminal (C-4), or AccessRefused (audited)."""
    access.require(
        actor=actor,
        permission=Permission.CERTIFICATE_ISSUE,
        action=AuditAction.CS_WIDE_AREA_ISSUE,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )


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


def _fee(kind: str, units: int, relation: str) -> int:
    """This municipality's fee for ``units`` copies (its own 手数料条例: ``JUMIN_CERTIFICATE_FEES``)."""
    table = getattr(settings, "JUMIN_CERTIFICATE_FEES", DEFAULT_FEES)
    return fee_for(CertificateKind(kind), units=units, requester_class=RequesterClass(relation), table=table)


def issue_wide_area_copy(
    *, actor: Any, purpose: str, card_json: Any, pin: str, request: WideAreaRequest
) -> WideAreaCopy:
    """広域交付 (F11b): check the card, ask the registering municipality, keep the issuance record.

    Raises AccessRefused (no 証明書交付 permission, not a CS terminal) or DomainError (the request,
    the card check, or the registering municipality's refusal); a refusal stores nothing.
    """
    _require_issuing(actor, purpose)
    try:
        card = cards.parse_card(card_json)
        # The request and a stated former municipality are checked before the PIN is spent.
        payload = _payload(request, card.resident_code, card.card_serial, actor)
        former = _former_municipality(request)
        check = cards.verify_with_card(actor=actor, purpose=purpose, card_json=card_json, pin=pin)
        # The holder's current code: a card from before a 住民票コードの変更 carries the former one.
        payload["requester_resident_code"] = check.resident_code
        current = check.record is not None and not check.record.removed
        registering = former or _registering_municipality(check.municipality_code, current=current)
    except DomainError as error:
        _audit_refusal(actor, purpose, error)
        raise
    return _ask_and_record(
        actor=actor, purpose=purpose, registering=registering, payload=payload, request=request
    )


def _identify(actor: Any, person: PersonByDocument, *, include_removed: bool = False) -> tuple[str, str]:
    """The 住民票コード and 住所地 of the one national record matching the 4情報 (a current one unless
    ``include_removed``), or DomainError."""
    if not all(value.strip() for value in (person.name, person.birth_date, person.sex, person.address)):
        raise refusal(
            "four_items",
            "個人番号カードによらない広域交付では、氏名・生年月日・性別・住所のすべてが必要です。",
            "請求書に記入された4情報をすべて入力してください。",
            "jukinet.cs.wide_area_four_items",
        )
    operator_id, terminal_id = operator_ids(actor)
    payload = {
        "by": "four_items",
        "resident_code": "",
        "individual_number": "",
        "name": person.name.strip(),
        "name_kana": person.name_kana.strip(),
        "birth_date": person.birth_date.strip(),
        "sex": person.sex,
        "address": person.address.strip(),
        "include_removed": include_removed,
        "purpose": "広域交付の請求者の特定",
        "operator_id": operator_id,
        "terminal_id": terminal_id,
    }
    answer = query(query_type=QUERY_IDENTITY, receiver=NATIONAL, payload=payload, actor=actor)
    records = [notice_from_payload(record) for record in answer["records"]]
    if len(records) != 1 or answer["truncated"]:
        raise refusal(
            "four_items",
            "4情報に一致する方が複数いるため、一人に特定できません。"
            if records
            else "4情報に一致する方がいません。",
            "本人確認書類と請求書の記載（住所は住民票のとおり）を確かめてください。",
            "jukinet.cs.wide_area_not_identified",
        )
    return records[0].resident_code, records[0].municipality_code


def issue_wide_area_copy_by_document(
    *, actor: Any, purpose: str, person: PersonByDocument, request: WideAreaRequest
) -> WideAreaCopy:
    """広域交付 without a card (住基法12条の4第1項; std 7.1.1.1-b): the clerk has checked an ID document;
    the 4情報 must match exactly one current record at the national node, which names A.

    Raises AccessRefused or DomainError (the 4情報, the national node's answer, A's refusal); a refusal
    stores nothing.
    """
    _require_issuing(actor, purpose)
    try:
        if person.identity_check not in DOCUMENT_CHECKS:
            raise refusal(
                "identity_check",
                "本人確認書類の種類が選ばれていません。",
                "確認した本人確認書類（個人番号カード以外）を選んでください。",
                "jukinet.cs.wide_area_identity_check",
            )
        former = _former_municipality(request)
        # A 除票's requester may have no current record yet (between a 転出 and the 転入).
        resident_code, municipality_code = _identify(actor, person, include_removed=former is not None)
        payload = _payload(request, resident_code, "", actor, person.identity_check)
        registering = former or _registering_municipality(municipality_code, current=True, field="four_items")
    except DomainError as error:
        _audit_refusal(actor, purpose, error)
        raise
    return _ask_and_record(
        actor=actor, purpose=purpose, registering=registering, payload=payload, request=request
    )


def _ask_and_record(
    *, actor: Any, purpose: str, registering: NodeRef, payload: dict[str, Any], request: WideAreaRequest
) -> WideAreaCopy:
    """Ask A for the copy and keep the issuance record here (audited in the same transaction)."""
    try:
        answer = query(query_type=QUERY_WIDE_AREA_COPY, receiver=registering, payload=payload, actor=actor)
        pdf = decode_pdf(answer["pdf"])
    except DomainError as error:
        _audit_refusal(actor, purpose, error)
        raise
    now = timezone.now()
    fee = _fee(request.kind, answer["units"], answer["requester_relation"])
    with transaction.atomic():
        row = WideAreaIssuance.objects.create(
            issued_at=now,
            issue_date=timezone.localdate(now),
            registering_municipality=registering.code,
            kind=request.kind,
            resident_code=payload["requester_resident_code"],
            identity_check=payload["identity_check"],
            card_serial=payload["card_serial"],
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
            # "from <A>" for a 住民票 (as before the kind existed); "removed_copy from <A>" for a 除票.
            reason=f"{request.kind} from {registering.code}"
            if request.of_removed_record
            else f"from {registering.code}",
            result_count=answer["subject_count"],
            concerning=person_ids([payload["requester_resident_code"]]),
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
    kind: str
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
                kind=CertificateKind(row.kind).label,
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

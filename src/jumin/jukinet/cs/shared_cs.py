"""A CS shared by several municipalities (共同利用, std 7.1.1.1-b): members and telegram routing.

Small municipalities may run one 市町村CS together. The CS then holds a member list (``CsMember``);
every telegram it receives is routed to exactly one member by the municipality code it addresses:

* the code the telegram names itself (転出証明書情報: 転入予定地; 戸籍附票記載事項通知: 本籍地);
* else the member whose request an answer answers (送付先情報の結果 by 送付先管理番号, 符号取得要求の
  受付結果 by 要求番号);
* else the member that holds the person in the CS 本人確認情報 file (by 住民票コード: 転入通知, 送信依頼,
  カード状態通知, 返却エラー, 広域交付).

A telegram addressed to no current member, or one whose member cannot be told, is refused for good
(``HandlerRefused``; a query: DomainError), so it is never stored under the wrong municipality. Each
routed telegram is logged (``RoutedTelegram``, no personal data) in the receiving transaction, and a
member reads only its own rows (``routed_to``). A CS without members is not shared: nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common import catalogue
from jumin.jukinet.cs import access
from jumin.jukinet.cs.handlers import identity_of
from jumin.jukinet.cs.models import CsIdentity, SendingAddressSend
from jumin.jukinet.cs.models_shared import CsMember, RoutedTelegram
from jumin.jukinet.cs.models_token_requests import TokenRequest
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.services import NATIONAL, local_municipality_code, peer_configured, prefecture_of
from jumin.messaging.envelope import Envelope
from jumin.messaging.handlers import HandlerRefused
from jumin.messaging.services import enqueue

#: Telegrams that name the municipality they are for: type → payload field.
ADDRESSED_BY_FIELD = {
    catalogue.MOVE_OUT_CERTIFICATE: "destination_municipality_code",
    catalogue.FUHYO_ENTRY_NOTICE: "honseki_municipality_code",
}
#: Telegrams routed by the person they concern: type → payload field with the 住民票コード.
ADDRESSED_BY_PERSON = {
    catalogue.MOVE_IN_NOTICE: "resident_code",
    catalogue.MOVE_OUT_CERTIFICATE_REQUEST: "resident_code",
    catalogue.CARD_STATUS_NOTICE: "resident_code",
    catalogue.QUERY_WIDE_AREA_COPY: "requester_resident_code",
}
SUBJECT_TYPE = "cs_member"
CODE_NOT_MEMBER = "jukinet.cs.shared.not_member"
CODE_UNROUTABLE = "jukinet.cs.shared.unroutable"
MAX_LIST = 500


@dataclass(frozen=True)
class Route:
    """Where a telegram goes: the member's code and what told it."""

    member_code: str
    routed_by: str


# --- members ---------------------------------------------------------------------------------------


def current_members() -> list[CsMember]:
    """The members now (ordered by code); empty when the CS is not shared."""
    return list(CsMember.objects.filter(left_at__isnull=True).order_by("municipality_code"))


def is_shared() -> bool:
    """Whether this CS serves several municipalities (one indexed read)."""
    return CsMember.objects.filter(left_at__isnull=True).exists()


def add_member(municipality_code: str, name: str) -> CsMember:
    """Register a member municipality (the caller authorises and audits); refused when already one."""
    code = validate_lgcode(municipality_code, field="municipality_code")
    name = name.strip()
    if not name or len(name) > 40:
        raise refusal(
            "name", "市町村名が不正です。", "40文字以内で入力してください。", "jukinet.cs.shared.name"
        )
    with transaction.atomic():
        member = CsMember.objects.select_for_update().filter(municipality_code=code).first()
        if member is not None and member.left_at is None:
            raise refusal(
                "municipality_code",
                "この市町村は既に構成市町村です。",
                "構成市町村の一覧を確認してください。",
                "jukinet.cs.shared.already_member",
            )
        if member is None:
            return CsMember.objects.create(municipality_code=code, name=name, joined_at=timezone.now())
        member.name, member.joined_at, member.left_at = name, timezone.now(), None
        member.save(update_fields=["name", "joined_at", "left_at"])
        return member


def end_membership(municipality_code: str) -> CsMember:
    """End a membership; the row and the telegrams routed to it stay. Refused for a non-member."""
    with transaction.atomic():
        member = _member(municipality_code, lock=True)
        member.left_at = timezone.now()
        member.save(update_fields=["left_at"])
        return member


def change_members(
    *, actor: Any, purpose: str, add: tuple[str, str] | None = None, end: str = "", send: bool = False
) -> list[CsMember]:
    """Add a member (code, name) and/or end one, as an operator with ``network:operate`` (audited);
    returns the current members. Nothing changes when any part is refused. Each change sends the list
    to the upper nodes; ``send`` sends it without a change (a CS shared before the upper nodes knew)."""
    access.require(
        actor=actor,
        permission=Permission.NETWORK_OPERATE,
        action=AuditAction.CS_MEMBER_CHANGE,
        purpose=purpose,
        subject_type=SUBJECT_TYPE,
    )
    with transaction.atomic():
        changes = []
        if add is not None:
            changes.append(f"add {add_member(*add).municipality_code}")
        if end:
            changes.append(f"end {end_membership(end).municipality_code}")
        if changes or send:
            told = tell_upper_nodes(actor)
            record_event(
                actor=actor,
                action=AuditAction.CS_MEMBER_CHANGE,
                subject_type=SUBJECT_TYPE,
                subject_id=changes[0].split()[1] if changes else "list",
                purpose=purpose,
                reason=", ".join(changes) + f"; member list sent to {', '.join(told) or 'no upper node'}",
            )
    return current_members()


def tell_upper_nodes(actor: Any) -> list[str]:
    """Send the current member list (``jukinet.shared_cs_members``, signed) to this CS's 都道府県サーバ
    and the national node, so they accept each member's telegrams from this CS only (Flow 14); call
    inside the change's transaction. One stream per receiver keeps the lists in order. The nodes sent to.
    """
    operator_id, terminal_id = operator_ids(actor)
    payload = {
        "members": [{"municipality_code": m.municipality_code, "name": m.name} for m in current_members()],
        "operator_id": operator_id,
        "terminal_id": terminal_id,
    }
    told: list[str] = []
    for receiver in (prefecture_of(local_municipality_code()), NATIONAL):
        if peer_configured(receiver):
            enqueue(
                message_type=catalogue.SHARED_CS_MEMBERS,
                receiver=receiver,
                subject="cs-members",
                payload=payload,
            )
            told.append(str(receiver))
    return told


def _member(municipality_code: str, *, lock: bool = False) -> CsMember:
    query = CsMember.objects.filter(municipality_code=municipality_code, left_at__isnull=True)
    member = (query.select_for_update() if lock else query).first()
    if member is None:
        raise refusal(
            "municipality_code",
            "この共同利用CSの構成市町村ではありません。",
            "構成市町村の市町村コードを指定してください。",
            CODE_NOT_MEMBER,
        )
    return member


# --- routing ---------------------------------------------------------------------------------------


def _person_code(resident_code: Any) -> str:
    if not isinstance(resident_code, str):
        return ""
    code = CsIdentity.objects.filter(resident_code=resident_code).values_list("municipality_code", flat=True)
    return code.first() or ""


def _rejected_person_code(payload: dict[str, Any]) -> str:
    # The subject of the refused message names the CS row it reported.
    identity = identity_of(str(payload.get("rejected_subject", "")))
    return identity.municipality_code if identity is not None else ""


def addressed_code(envelope: Envelope) -> Route | None:
    """The member code a telegram addresses and what told it, or None when nothing does."""
    payload = envelope.payload
    field = ADDRESSED_BY_FIELD.get(envelope.type)
    if field is not None and isinstance(payload.get(field), str):
        return Route(payload[field], field)
    if envelope.type == catalogue.SENDING_ADDRESS_RESULT:
        send = SendingAddressSend.objects.filter(control_number=payload.get("control_number", ""))
        code = send.values_list("municipality_code", flat=True).first()
        return Route(code, "control_number") if code else None
    if envelope.type == catalogue.TOKEN_RECEIPT:
        request = TokenRequest.objects.filter(request_id=payload.get("request_id", ""))
        code = request.values_list("municipality_code", flat=True).first()
        return Route(code, "request_id") if code else None
    if envelope.type == catalogue.IDENTITY_UPDATE_REJECTED:
        code = _rejected_person_code(payload)
        return Route(code, "rejected_subject") if code else None
    person_field = ADDRESSED_BY_PERSON.get(envelope.type)
    code = _person_code(payload.get(person_field)) if person_field else ""
    return Route(code, person_field or "") if code else None


def route(envelope: Envelope) -> Route | None:
    """Route a received telegram to its member and log it; None when the CS is not shared.

    Raises DomainError when no current member is addressed (the caller refuses the telegram).
    """
    if not is_shared():
        return None
    found = addressed_code(envelope)
    if found is None:
        raise refusal(
            "municipality_code",
            "電文の宛先の構成市町村を特定できません。",
            "送信元に宛先の市町村コードを確認してください。",
            CODE_UNROUTABLE,
        )
    _member(found.member_code)
    RoutedTelegram.objects.get_or_create(
        message_id=envelope.id,
        defaults={
            "message_type": envelope.type,
            "sender": str(envelope.sender),
            "member_code": found.member_code,
            "routed_by": found.routed_by,
            "routed_at": timezone.now(),
        },
    )
    return found


def routed(apply: Callable[[Envelope], None]) -> Callable[[Envelope], None]:
    """``apply`` preceded by the routing of a shared CS: a telegram for no member is refused for good."""

    def apply_routed(envelope: Envelope) -> None:
        try:
            route(envelope)
        except DomainError as error:
            raise HandlerRefused(f"{error.code}: {error.reason}") from None
        apply(envelope)

    apply_routed.__doc__ = apply.__doc__
    return apply_routed


def route_query(envelope: Envelope) -> None:
    """Guard of a query a shared CS answers: routed like a message; DomainError refuses it."""
    route(envelope)


# --- what a member sees ------------------------------------------------------------------------------


def routed_to(municipality_code: str) -> list[RoutedTelegram]:
    """The telegrams routed to one member, newest first (at most 500); never another member's."""
    _member(municipality_code)
    return list(RoutedTelegram.objects.filter(member_code=municipality_code).order_by("-pk")[:MAX_LIST])


def routed_message_ids(municipality_code: str) -> set[str]:
    """The ids of the messages routed to one member (to filter the received-telegram lists by member)."""
    _member(municipality_code)
    return set(
        RoutedTelegram.objects.filter(member_code=municipality_code).values_list("message_id", flat=True)
    )

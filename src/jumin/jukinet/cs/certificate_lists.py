"""転出証明書情報一覧 (統合端末, system.md M4 item 1 "特例転入"): what the CS holds, asked for and sent,
and the 転入通知 (of ordinary 転入 and of 特例転入) it sent or keeps waiting (送信待ち, re-sent from the
same screen).

No 個人番号 and no other item of the certificate is shown: the list is for following the state of each
one (保管中・転入済・消去済; 依頼中・受信済・回答; 送信・確定). The 住民票コード is masked without
FIELD_JUMINHYO_CODE_VIEW (C-10). Each listing is one audited view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import access, move_in_notices, special_move_out
from jumin.jukinet.cs.models import CertificateRequest, HeldCertificate, SentCertificate, SentMoveInNotice

MAX_ROWS = 500


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _held_text(error: DomainError | None) -> str:
    return f"{error.reason}{error.remedy}" if error is not None else ""


@dataclass(frozen=True)
class HeldRow:
    held_id: int
    resident_code: str
    sender_code: str
    received_at: str
    planned_date: str
    erase_on: str
    state: str
    state_label: str
    card_checked: bool
    notice_sent: bool
    continued_use_sent: bool
    erase_reason: str


@dataclass(frozen=True)
class RequestRow:
    request_id: int
    resident_code: str
    sent_to: str
    requested_at: str
    state_label: str
    reason: str
    remedy: str


@dataclass(frozen=True)
class SentRow:
    sent_id: int
    resident_code: str
    destination_code: str
    created_at: str
    sent_at: str
    send_count: int
    confirmed_at: str
    held: str = ""  # why it cannot leave (a name or address without a 統一文字) and the remedy


@dataclass(frozen=True)
class NoticeRow:
    notice_id: int
    resident_code: str
    destination_code: str  # "" when the clerk did not know the 転出地
    move_in_date: str
    created_at: str
    sent_at: str  # "" while waiting
    send_count: int
    special: bool  # a 特例転入's notice (its 転出地 is the one that sent the 転出証明書情報)
    held: str = ""  # why it cannot leave (the address without a 統一文字) and the remedy


@dataclass(frozen=True)
class CertificateLists:
    held: list[HeldRow]
    requests: list[RequestRow]
    sent: list[SentRow]
    notices: list[NoticeRow]


def certificate_lists(*, actor: Any, purpose: str) -> CertificateLists:
    """The newest ``MAX_ROWS`` of each list (audited as one view with the count)."""
    access.require(
        actor=actor,
        permission=Permission.CS_IDENTITY_CHECK,
        action=AuditAction.CS_CERTIFICATE_LIST,
        purpose=purpose,
        subject_type="cs_move_out_certificate",
    )
    visible = access.visible_items(actor)

    def code(value: str) -> str:
        return access.shown_resident_code(value, visible)

    held = [
        HeldRow(
            held_id=row.pk,
            resident_code=code(row.resident_code),
            sender_code=row.sender_code,
            received_at=_when(row.received_at),
            planned_date=row.planned_date.isoformat(),
            erase_on=row.erase_on.isoformat(),
            state=row.state,
            state_label=row.get_state_display(),
            card_checked=bool(row.card_serial),
            notice_sent=row.notice_sent_at is not None,
            continued_use_sent=row.continued_use_sent_at is not None,
            erase_reason=row.erase_reason,
        )
        for row in HeldCertificate.objects.order_by("-pk")[:MAX_ROWS]
    ]
    requests = [
        RequestRow(
            request_id=row.pk,
            resident_code=code(row.resident_code),
            sent_to=row.sent_to,
            requested_at=_when(row.requested_at),
            state_label=row.get_state_display(),
            reason=row.reason,
            remedy=row.remedy,
        )
        for row in CertificateRequest.objects.order_by("-pk")[:MAX_ROWS]
    ]
    sent = [
        SentRow(
            sent_id=row.pk,
            resident_code=code(row.resident_code),
            destination_code=row.destination_code,
            created_at=_when(row.created_at),
            sent_at=_when(row.sent_at),
            send_count=row.send_count,
            confirmed_at=_when(row.confirmed_at),
            held=_held_text(special_move_out.held_reason(row)),
        )
        for row in SentCertificate.objects.order_by("-pk")[:MAX_ROWS]
    ]
    notices = [
        NoticeRow(
            notice_id=row.pk,
            resident_code=code(row.resident_code),
            destination_code=row.destination_code,
            move_in_date=row.items["move_in_date"],
            created_at=_when(row.created_at),
            sent_at=_when(row.sent_at),
            send_count=row.send_count,
            special=row.items["special"],
            held=_held_text(move_in_notices.held_reason(row)),
        )
        # Waiting ones first: they are the clerk's work (転入通知未送信).
        for row in SentMoveInNotice.objects.order_by(F("sent_at").desc(nulls_first=True), "-pk")[:MAX_ROWS]
    ]
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_CERTIFICATE_LIST,
            subject_type="cs_move_out_certificate",
            purpose=purpose,
            result_count=len(held) + len(requests) + len(sent) + len(notices),
        )
    return CertificateLists(held=held, requests=requests, sent=sent, notices=notices)

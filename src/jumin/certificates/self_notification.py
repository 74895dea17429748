"""本人通知 (standard 8.1): registration, the notices produced on issuance, the list and the printed notice.

A resident registers (or withdraws) at the counter, identified like a certificate requester. While the
registration is active, every copy of them issued to a 代理人 or 第三者 produces one ``SelfNotice`` in the
issuing transaction (``notices_for``). The notice tells the person the date, the kind, the number of
copies and the class of requester; not the requester's name (that is for a disclosure request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event, record_results
from jumin.certificates.documents import Line
from jumin.certificates.models import Issuance, SelfNotice, SelfNotificationRegistration
from jumin.certificates.notices import NoticeDocument, render_notice
from jumin.domain.certificates import CertificateKind, IdentityCheck, RequesterClass
from jumin.domain.errors import refusal
from jumin.domain.wareki import to_wareki
from jumin.registry import certificate_sources

# Issuances that produce a 本人通知 (standard 8.1-a: copies to a 代理人 or a 第三者).
NOTIFIED_REQUESTERS = frozenset({RequesterClass.AGENT, RequesterClass.THIRD_PARTY})


def _authorize(
    actor: Any, action: AuditAction, purpose: str, subject_type: str, subject_id: str = ""
) -> None:
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        action=action,
        purpose=purpose,
        subject_type=subject_type,
        subject_id=subject_id,
    )


def _active(atena_number: str) -> SelfNotificationRegistration | None:
    return (
        SelfNotificationRegistration.objects.select_for_update()
        .filter(atena_number=atena_number, withdrawn_at__isnull=True)
        .first()
    )


def register_self_notification(
    *, actor: Any, purpose: str, atena_number: str, identity_check: IdentityCheck
) -> int:
    """Register a resident for 本人通知; refused when already registered. Returns the registration id."""
    atena_number = atena_number.strip()
    _authorize(actor, AuditAction.CERTIFICATE_SELF_NOTIFICATION_REGISTER, purpose, "resident", atena_number)
    with transaction.atomic():
        certificate_sources.people([atena_number])  # the person must exist (refused otherwise)
        if _active(atena_number) is not None:
            raise refusal(
                "atena_number",
                "この方は既に本人通知の登録をしています。",
                "登録の内容を確認してください。",
                "certificates.self_notification_registered",
            )
        registration = SelfNotificationRegistration.objects.create(
            atena_number=atena_number,
            registered_at=timezone.now(),
            registered_by=actor,
            identity_check=identity_check.value,
        )
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_SELF_NOTIFICATION_REGISTER,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
        )
    return registration.pk


def withdraw_self_notification(*, actor: Any, purpose: str, atena_number: str) -> None:
    """Close the active registration (the row stays, with who and when)."""
    atena_number = atena_number.strip()
    _authorize(actor, AuditAction.CERTIFICATE_SELF_NOTIFICATION_WITHDRAW, purpose, "resident", atena_number)
    with transaction.atomic():
        registration = _active(atena_number)
        if registration is None:
            raise refusal(
                "atena_number",
                "この方の本人通知の登録がありません。",
                "宛名番号を確認してください。",
                "certificates.self_notification_not_registered",
            )
        registration.withdrawn_at = timezone.now()
        registration.withdrawn_by = actor
        registration.save(update_fields=["withdrawn_at", "withdrawn_by"])
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_SELF_NOTIFICATION_WITHDRAW,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
        )


def notices_for(issuance: Issuance, *, requester_class: RequesterClass) -> int:
    """Create the 本人通知 an issuance owes, in the caller's (issuing) transaction; returns how many."""
    if requester_class not in NOTIFIED_REQUESTERS:
        return 0
    registrations = SelfNotificationRegistration.objects.filter(
        atena_number__in=list(issuance.subjects), withdrawn_at__isnull=True
    )
    now = timezone.now()
    created = SelfNotice.objects.bulk_create(
        SelfNotice(registration=r, issuance=issuance, atena_number=r.atena_number, created_at=now)
        for r in registrations
    )
    return len(created)


@dataclass(frozen=True)
class NoticeRow:
    """One notice in the list to send (no name here: the list is by 宛名番号, the PDF carries the rest)."""

    notice_id: int
    atena_number: str
    issued_at: datetime
    kind: str
    copies: int
    requester_class: str
    printed: bool


def _kind_label(value: str) -> str:
    try:
        return CertificateKind(value).label
    except ValueError:
        return value


def _requester_label(value: str) -> str:
    try:
        return RequesterClass(value).label
    except ValueError:
        return value


def notices_to_send(*, actor: Any, purpose: str, include_printed: bool = False) -> list[NoticeRow]:
    """The 本人通知 not yet printed (or all of them), oldest first; an audited list."""
    _authorize(actor, AuditAction.CERTIFICATE_SELF_NOTIFICATION_LIST, purpose, "self_notice")
    with transaction.atomic():
        query = SelfNotice.objects.select_related("issuance").order_by("created_at", "pk")
        if not include_printed:
            query = query.filter(printed_at__isnull=True)
        rows = [
            NoticeRow(
                notice_id=n.pk,
                atena_number=n.atena_number,
                issued_at=n.issuance.issued_at,
                kind=_kind_label(n.issuance.kind),
                copies=n.issuance.copies,
                requester_class=_requester_label(n.issuance.requester_class),
                printed=n.printed_at is not None,
            )
            for n in query
        ]
        record_results(
            actor,
            "resident",
            [r.atena_number for r in rows],
            purpose,
            "self_notices",
            action=AuditAction.CERTIFICATE_SELF_NOTIFICATION_LIST,
        )
    return rows


def print_self_notice(*, actor: Any, purpose: str, notice_id: int) -> bytes:
    """The signed PDF of one 本人通知, addressed to the person at their current address; marks it printed."""
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_SELF_NOTIFICATION_MANAGE,
        action=AuditAction.CERTIFICATE_NOTICE_PRINT,
        purpose=purpose,
        subject_type="self_notice",
        subject_id=str(notice_id),
    )
    with transaction.atomic():
        notice = (
            SelfNotice.objects.select_for_update().select_related("issuance").filter(pk=notice_id).first()
        )
        if notice is None:
            raise refusal(
                "notice_id",
                "該当する本人通知がありません。",
                "番号を確認してください。",
                "certificates.no_such_notice",
            )
        person = certificate_sources.people([notice.atena_number])[0]
        issuance = notice.issuance
        today = timezone.localdate()
        pdf = render_notice(
            NoticeDocument(
                title="本人通知書",
                addressee_address=f"{person.address}　{person.katagaki}".strip("　"),
                addressee_name=f"{person.surname}　{person.given_name}".strip("　"),
                lead="あなたが登録された本人通知制度に基づき、あなたの住民票の写し等を代理人または第三者に交付したことをお知らせします。",
                items=(
                    Line("交付年月日", to_wareki(issuance.issue_date).display()),
                    Line("証明書の種類", _kind_label(issuance.kind)),
                    Line("交付通数", f"{issuance.copies}通"),
                    Line("交付請求者の種別", _requester_label(issuance.requester_class)),
                ),
                remarks=(
                    "交付請求者の氏名等は、個人情報の開示請求により確認できます。",
                    "お心当たりのない場合は、住民記録担当へご連絡ください。",
                ),
            ),
            issue_date=today,
        )
        if notice.printed_at is None:
            notice.printed_at = timezone.now()
            notice.printed_by = actor
            notice.save(update_fields=["printed_at", "printed_by"])
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_NOTICE_PRINT,
            subject_type="self_notice",
            subject_id=str(notice.pk),
            purpose=purpose,
        )
    return pdf

"""交付履歴の照会 (standard 1.3.8-a): a person's issuance history, as an audited read.

Lists every issuance that printed the person (via ``IssuanceSubject``), the 住民票コード notices included,
newest first, with each copy's 発行番号 and whether it was voided (誤交付・廃棄). The read is authorised and
audited like any read of personal data; the list itself holds no names, only what the 交付履歴 records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.certificates.models import Issuance
from jumin.domain.certificates import CertificateKind, IssuedNoticeKind, RequesterClass
from jumin.domain.errors import refusal


@dataclass(frozen=True)
class HistoryCopy:
    """One copy: its 発行番号 and whether it was voided."""

    copy_number: str
    voided: bool


@dataclass(frozen=True)
class HistoryRow:
    """One issuance of the person's certificates."""

    issuance_id: int
    issued_at: datetime
    kind: str
    copies: int
    requester_class: str
    official_use: bool
    user_name: str
    issued_copies: tuple[HistoryCopy, ...]
    channel: str = "窓口"  # 請求の経路: the counter, or 広域交付 naming the municipality that asked

    @property
    def voided(self) -> bool:
        """Whether any copy of it was voided."""
        return any(c.voided for c in self.issued_copies)


def _label(enum: Any, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def _kind(value: str) -> str:
    try:
        return CertificateKind(value).label
    except ValueError:
        return _label(IssuedNoticeKind, value)


def _channel(issuance: Issuance) -> str:
    if issuance.channel == Issuance.Channel.WIDE_AREA:
        return f"広域交付（{issuance.requesting_municipality}）"
    if issuance.channel == Issuance.Channel.NOTICE:
        return "通知"
    if issuance.channel == Issuance.Channel.KIOSK:
        return "コンビニ交付"
    if issuance.at_commit_change is not None:
        # Printed in the 転出's flow, from its 本登録 (standard 4.1.3.0.3-a).
        return f"窓口（転出の本登録時、異動番号 {issuance.at_commit_change}）"
    return "窓口"


def issuance_history(*, actor: Any, purpose: str, atena_number: str) -> list[HistoryRow]:
    """The person's 交付履歴, newest first (audited read ``certificate:history:view``)."""
    atena_number = atena_number.strip()
    authorize(
        actor=actor,
        permission=Permission.CERTIFICATE_HISTORY_VIEW,
        action=AuditAction.CERTIFICATE_HISTORY_VIEW,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )
    if not atena_number:
        raise refusal(
            "atena_number",
            "宛名番号がありません。",
            "宛名番号を入力してください。",
            "certificates.no_subject",
        )
    with transaction.atomic():
        issuances = (
            Issuance.objects.filter(subject_rows__atena_number=atena_number)
            .prefetch_related("issued_copies__void")
            .order_by("-issued_at", "-pk")
            .distinct()
        )
        rows = [
            HistoryRow(
                issuance_id=i.pk,
                issued_at=i.issued_at,
                kind=_kind(i.kind),
                copies=i.copies,
                requester_class=_label(RequesterClass, i.requester_class) or "—",
                official_use=i.official_use,
                user_name=i.user_name,
                channel=_channel(i),
                issued_copies=tuple(
                    HistoryCopy(copy_number=c.copy_number, voided=hasattr(c, "void"))
                    for c in sorted(i.issued_copies.all(), key=lambda c: c.position)
                ),
            )
            for i in issuances
        ]
        record_event(
            actor=actor,
            action=AuditAction.CERTIFICATE_HISTORY_VIEW,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
            result_count=len(rows),
        )
    return rows

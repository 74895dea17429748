"""有効期限 renewal-target lists for a municipality's CS (std 7.1.1.4-a; docs/jukinet-national.md).

QUERY_RENEWAL_TARGETS: the 個人番号カード in use (運用中 or 一時停止) whose 有効期限 falls on or before the
asked day, of the persons whose 機構保存本人確認情報 names the asking municipality and who are not
消除者. Only a municipality (its CS) may ask, and only for itself. The answer carries the 住民票コード
and the 有効期限: the municipality matches it with its registry and sends the 送付先情報 for the notices.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from jumin.audit.actions import AuditAction
from jumin.jukinet.common.queries import MAX_RENEWAL_TARGETS
from jumin.jukinet.national.models import Card, IdentityRecord
from jumin.jukinet.national.services._common import audit, national_refusal
from jumin.messaging.envelope import Envelope

_IN_USE = (Card.Status.ACTIVE, Card.Status.SUSPENDED)


def answer_renewal_targets(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_RENEWAL_TARGETS (payload validated by messaging): at most 10,000 targets,
    earliest 有効期限 first; audited with the count."""
    if envelope.sender.kind != "municipality":
        raise national_refusal(
            "sender",
            "更新対象者一覧は市町村CSにだけ提供します。",
            "市町村CSから要求してください。",
            "sender_not_municipality",
        )
    payload = envelope.payload
    expiring_by = date.fromisoformat(payload["expiring_by"])
    residents = IdentityRecord.objects.filter(municipality_code=envelope.sender.code, removed=False).values(
        "resident_code"
    )
    cards = (
        Card.objects.filter(status__in=_IN_USE, valid_until__lte=expiring_by, resident_code__in=residents)
        .order_by("valid_until", "resident_code")
        .values_list("resident_code", "valid_until")[:MAX_RENEWAL_TARGETS]
    )
    targets = [{"resident_code": code, "valid_until": until.isoformat()} for code, until in cards]
    audit(
        AuditAction.NATIONAL_CARD_VIEW,
        subject_type="renewal_targets",
        subject_id=str(envelope.sender),
        reason=f"renewal targets by {payload['expiring_by']} to {envelope.sender} {payload['operator_id']}",
        terminal_id=payload["terminal_id"],
        result_count=len(targets),
    )
    return {"targets": targets}

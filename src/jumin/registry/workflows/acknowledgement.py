"""Alerts that must be acknowledged before a draft, a commit or a read goes ahead (standard 11.1-b, 11.1-c).

The one acknowledgment style of the registry (docs/workflows/review.md): an alert lets the action
through, but only once the clerk has said so, alert by alert. The caller sends back the codes of
the alerts it showed (API field and screen checkboxes ``acknowledged_alerts``, one per alert), and
the service records them in its audit entry, so the acknowledgment is explicit, precise and
audited in the same transaction as the action. 抑止 alerts (``services_restrictions``) follow it too.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from jumin.domain.errors import Alert, DomainError

ACKNOWLEDGED_FIELD = "acknowledged_alerts"


class UnacknowledgedAlertsError(DomainError):
    """Alerts were raised that the clerk has not acknowledged yet; nothing was written."""

    def __init__(self, alerts: Sequence[Alert]) -> None:
        self.alerts = tuple(alerts)
        listed = " ".join(f"{alert.message}（{alert.code}）" for alert in self.alerts)
        super().__init__(
            field=ACKNOWLEDGED_FIELD,
            reason=f"確認が必要な注意があります。{listed}",
            remedy="内容を確認し、確認したことを示して（注意のコードを添えて）もう一度登録してください。",
            code="registry.alerts_not_acknowledged",
        )


def require_acknowledged(alerts: Sequence[Alert], acknowledged: Collection[str]) -> str:
    """Refuse unless every alert's code is in ``acknowledged``; return the text for the audit entry."""
    pending = [alert for alert in alerts if alert.code not in set(acknowledged)]
    if pending:
        raise UnacknowledgedAlertsError(pending)
    codes = sorted({alert.code for alert in alerts})
    return f"acknowledged={','.join(codes)}" if codes else ""


def audit_reason(*parts: str) -> str:
    """Join the non-empty parts of an audit reason with 「; 」."""
    return "; ".join(part for part in parts if part)

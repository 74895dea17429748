"""The frame of every read of one identified person (照会): authorise, apply suppressions, audit.

Shared by jumin.registry.selectors and jumin.registry.inquiry (standard 3.1-b: a 照会 suppression
error refuses, an alert needs its code in ``acknowledged_alerts``; workflows/acknowledgement.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.registry import services_restrictions
from jumin.registry.restrictions import RestrictedProcess

#: The 30条の45 items that C-10 hides with the 在留資格 ("with its related items") without
#: FIELD_RESIDENCE_STATUS_VIEW, by their key in a snapshot's foreign items.
RESIDENCE_STATUS_ITEMS = ("residence_status", "period_of_stay", "stay_expiry_date")


def resident_not_found() -> DomainError:
    """The error of a 宛名番号 with no committed record."""
    return DomainError(
        field="atena_number",
        reason="該当する住民が見つかりません。",
        remedy="宛名番号を確認してください。",
        code="registry.resident_not_found",
    )


@contextmanager
def audited_inquiry(
    *,
    actor: Any,
    purpose: str,
    atena_number: str,
    action: AuditAction,
    acknowledged_alerts: Collection[str] = (),
    reason: str = "",
) -> Iterator[None]:
    """Run the block as an authorised, suppression-checked and audited read of one person.

    Before the block: ``RESIDENT_VIEW`` is authorised and the 照会 suppressions enforced (both
    audit their own refusals). The block runs in a transaction; when it returns, the acknowledged
    alerts and the read itself (``action``, with ``reason``) are audited in that same transaction.
    An error in the block writes nothing.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_VIEW,
        action=action,
        purpose=purpose,
        subject_type="resident",
        subject_id=atena_number,
    )
    restriction = services_restrictions.enforce_restrictions(
        actor=actor,
        purpose=purpose,
        atena_numbers=[atena_number],
        process=RestrictedProcess.INQUIRY,
        action=action,
        subject_type="resident",
        subject_id=atena_number,
        acknowledged=acknowledged_alerts,
    )
    with (
        services_restrictions.refusals_audited(
            actor=actor,
            purpose=purpose,
            action=action,
            subject_type="resident",
            subject_id=atena_number,
        ),
        transaction.atomic(),
    ):
        yield
        # A 一時解除 of 照会 lets one read through (issue 6).
        restriction = services_restrictions.consume_or_refuse(
            restriction, actor=actor, purpose=purpose, subject_type="resident", subject_id=atena_number
        )
        services_restrictions.acknowledge_alerts(
            restriction, actor=actor, purpose=purpose, subject_type="resident", subject_id=atena_number
        )
        record_event(
            actor=actor,
            action=action,
            subject_type="resident",
            subject_id=atena_number,
            purpose=purpose,
            reason=reason,
        )

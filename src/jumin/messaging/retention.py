"""Retention purge of finished messages (``jumin manage purge_messages``); docs/network.md "Retention".

Only finished rows go: outbox messages delivered, and inbox messages applied, before the cut-off
(``JUMIN_MESSAGE_RETENTION_DAYS``, default and floor 7 years). Pending, held and set-aside messages
are never purged, nor is the ordering state: ``OutboxSequence`` keeps each stream's 更新順番号 going, and
``InboxStream`` keeps each subject's high-water mark, so a purged message sent again is still refused
as a replay. ``receive`` refuses any message created before the cut-off, so every message young enough
to be accepted is still in the inbox for de-duplication by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.messaging import conf
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.services import audit_event


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or would remove, in a dry run), and the cut-off it used."""

    cutoff: datetime
    outbox: int
    inbox: int
    dry_run: bool


def purge_messages(*, now: datetime | None = None, dry_run: bool = False) -> PurgeReport:
    """Delete delivered outbox and applied inbox messages older than the retention period; audited.

    One transaction: the deletions and their audit entry (counts only, no message content, C-79)
    commit together. Idempotent: a second run finds nothing more to delete.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.retention_days())
    outbox = OutboxMessage.objects.filter(status=OutboxMessage.Status.DELIVERED, delivered_at__lt=cutoff)
    inbox = InboxMessage.objects.filter(status=InboxMessage.Status.APPLIED, applied_at__lt=cutoff)
    with transaction.atomic():
        counts = (outbox.count(), inbox.count())
        if not dry_run:
            outbox.delete()
            inbox.delete()
            audit_event(
                AuditAction.NODE_MESSAGE_PURGE,
                subject_id=f"before:{cutoff:%Y-%m-%d}",
                reason=(
                    f"retention {conf.retention_days()} days: {counts[0]} delivered outbox and "
                    f"{counts[1]} applied inbox messages deleted"
                ),
            )
    return PurgeReport(cutoff=cutoff, outbox=counts[0], inbox=counts[1], dry_run=dry_run)

"""The 交付履歴's retention purge (standard 1.3.8-a/b; controls.md C-45 and §13).

The municipality sets how long its 交付履歴 is kept (``JUMIN_ISSUANCE_RETENTION_YEARS``); before the end
the models refuse every deletion, after it the node deletes by itself, daily (the housekeeping job
registered below, docs/operations.md "Automatic deletions"). This module is the one deliberate path
past the models' refusal, and it deletes only what is past the period:

* every 交付 whose 交付日 is before the cut-off, with its copies, their 誤交付・廃棄 records, its
  対象者 index and its 本人通知 rows;
* except a 交付 whose 本人通知 has not been printed yet: the registered person has not been told, so
  it stays until the notice is printed (the next run takes it).

The audit entry carries the cut-off and the counts only: nothing of the people. The audit log itself
keeps the issuance events under its own, longer retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.certificates import conf
from jumin.certificates.models import CopyVoid, Issuance, IssuanceSubject, IssuedCopy, SelfNotice
from jumin.domain.retention import issuance_purge_cutoff
from jumin.messaging import housekeeping

SUBJECT_TYPE = "certificate_history"


@dataclass(frozen=True)
class HistoryPurge:
    """What one run deleted (or would delete, in a dry run) and what it kept for unprinted notices."""

    cutoff: date
    issuances: int
    copies: int
    kept_for_notices: int
    dry_run: bool


def _delete(queryset: models.QuerySet[Any]) -> int:
    # The models' managers refuse ``delete()`` (1.3.8-b); past the period the base QuerySet's is meant.
    deleted, _ = models.QuerySet.delete(queryset)
    return deleted


def purge_expired_history(
    *, today: date | None = None, actor: Any = None, dry_run: bool = False
) -> HistoryPurge:
    """Delete the 交付履歴 issued before the retention period's cut-off; audited with the counts.

    One transaction: the rows and the audit entry commit together. Idempotent: a second run on the
    same day finds nothing more. ``today`` defaults to the local date.
    """
    cutoff = issuance_purge_cutoff(today or timezone.localdate(), conf.issuance_retention_years())
    expired = Issuance.objects.filter(issue_date__lt=cutoff)
    unprinted = SelfNotice.objects.filter(printed_at__isnull=True).values("issuance_id")
    # Subqueries, not id lists: the first run after years of history may match more rows than a
    # statement may carry parameters; Django's collector batches what it has to fetch.
    purgeable = expired.exclude(pk__in=unprinted).values("pk")
    with transaction.atomic():
        kept = expired.filter(pk__in=unprinted).count()
        issuances = purgeable.count()
        copies = IssuedCopy.objects.filter(issuance_id__in=purgeable).count()
        if not dry_run:
            _delete(CopyVoid.objects.filter(copy__issuance_id__in=purgeable))
            _delete(SelfNotice.objects.filter(issuance_id__in=purgeable))
            _delete(IssuedCopy.objects.filter(issuance_id__in=purgeable))
            _delete(IssuanceSubject.objects.filter(issuance_id__in=purgeable))
            _delete(Issuance.objects.filter(pk__in=purgeable))
            record_event(
                actor=actor,
                action=AuditAction.CERTIFICATE_HISTORY_PURGE,
                subject_type=SUBJECT_TYPE,
                reason=(
                    f"issued before {cutoff.isoformat()}: {issuances} issuances, {copies} copies deleted; "
                    f"{kept} kept for unprinted 本人通知"
                ),
                result_count=issuances,
            )
    return HistoryPurge(
        cutoff=cutoff, issuances=issuances, copies=copies, kept_for_notices=kept, dry_run=dry_run
    )


# The municipality's node deletes expired 交付履歴 by itself, daily (controls.md §13: automatic purge).
housekeeping.register("certificates.purge_expired_history", purge_expired_history, kind="municipality")

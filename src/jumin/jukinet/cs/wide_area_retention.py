"""Retention purge of the 広域交付 issuance records this CS printed (``WideAreaIssuance``).

They are this municipality's certificate issuance log for other municipalities' residents, so they
follow the same municipal setting as the registry side's 交付履歴 (``JUMIN_ISSUANCE_RETENTION_YEARS``,
jumin.domain.retention; controls.md §13): never deleted within the period (the model refuses), deleted
by the node itself, daily, after it (registered in ``cs.messages``). The audit entry carries the
cut-off and the count only.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.retention import SETTING_ISSUANCE_RETENTION, issuance_purge_cutoff, issuance_retention_years
from jumin.jukinet.cs.models import WideAreaIssuance

SUBJECT_TYPE = "cs_wide_area_issuance"


def retention_years() -> int:
    """The municipality's 交付履歴 retention in years (default 5, minimum 1; a bad value is refused)."""
    return issuance_retention_years(
        getattr(settings, SETTING_ISSUANCE_RETENTION, os.environ.get(SETTING_ISSUANCE_RETENTION))
    )


def purge_expired_wide_area_issuances(*, today: date | None = None, actor: Any = None) -> int:
    """Delete the 広域交付 records whose 交付日 is before the cut-off; audited with the count.

    One transaction; idempotent. ``today`` defaults to the local date. Returns how many went.
    """
    cutoff = issuance_purge_cutoff(today or timezone.localdate(), retention_years())
    with transaction.atomic():
        # The model's manager refuses ``delete()`` within the period; past it the base QuerySet's is meant.
        deleted, _ = models.QuerySet.delete(WideAreaIssuance.objects.filter(issue_date__lt=cutoff))
        record_event(
            actor=actor,
            action=AuditAction.CS_WIDE_AREA_PURGE,
            subject_type=SUBJECT_TYPE,
            reason=f"issued before {cutoff.isoformat()}: {deleted} deleted",
            result_count=deleted,
        )
    return deleted

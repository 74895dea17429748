"""一括本登録: commit several selected drafts at once (standard 4.0.8-c; docs/workflows/review.md).

At most ``JUMIN_BULK_COMMIT_CAP`` drafts per call (default 50). Each draft goes through
``services.commit_change`` on its own: its own transaction, permission check, stale-draft and
抑止 checks and audit entry, so one refused draft never undoes or blocks the others. The result
lists the outcome per draft; a summary entry ``resident:change:bulk_commit`` records the counts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.accounts.authorization import AccessRefused, authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError
from jumin.registry import services
from jumin.registry.selectors_review import selected_ids


@dataclass(frozen=True)
class DraftOutcome:
    """What happened to one selected draft: committed, or refused with the code and the message."""

    change_id: int
    committed: bool
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class BulkResult:
    """Per-draft outcomes in the order the drafts were selected."""

    outcomes: tuple[DraftOutcome, ...]

    @property
    def committed(self) -> int:
        """How many drafts were committed."""
        return sum(1 for outcome in self.outcomes if outcome.committed)

    @property
    def refused(self) -> int:
        """How many drafts were refused (and are still drafts)."""
        return len(self.outcomes) - self.committed


def commit_drafts(
    *, actor: Any, purpose: str, change_ids: Sequence[int], acknowledged_alerts: Collection[str] = ()
) -> BulkResult:
    """一括本登録 of the selected drafts, each in its own transaction; returns the per-draft outcomes.

    Over the cap, nothing is committed (``registry.bulk_cap_exceeded``). ``acknowledged_alerts`` are
    the 抑止 alert codes the reviewer ticked on the confirmation screen; a draft with an alert not
    ticked is refused alone.
    """
    ids = selected_ids(change_ids)
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_COMMIT,
        action=AuditAction.RESIDENT_CHANGE_BULK_COMMIT,
        purpose=purpose,
        subject_type="change",
    )
    outcomes = []
    for change_id in ids:
        try:
            services.commit_change(
                actor=actor, purpose=purpose, change_id=change_id, acknowledged_alerts=acknowledged_alerts
            )
        except DomainError as error:
            outcomes.append(
                DraftOutcome(
                    change_id, committed=False, code=error.code, message=f"{error.reason}{error.remedy}"
                )
            )
        except AccessRefused as error:  # e.g. the reviewer entered this draft: audited by commit_change
            outcomes.append(
                DraftOutcome(change_id, committed=False, code=error.reason_code, message=error.message)
            )
        else:
            outcomes.append(DraftOutcome(change_id, committed=True))
    result = BulkResult(tuple(outcomes))
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.RESIDENT_CHANGE_BULK_COMMIT,
            subject_type="change",
            purpose=purpose,
            # Each draft's own commit entry names it; this one keeps the counts of the request.
            reason=f"selected={len(ids)}; committed={result.committed}; refused={result.refused}",
            result_count=result.committed,
        )
    return result

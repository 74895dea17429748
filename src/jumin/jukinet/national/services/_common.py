"""Helpers shared by the national services: the node-actor audit entry and refusals.

The search keys (name_key, kana_key) and years_before are jumin.jukinet.common.keys, shared with the
prefecture so both stores key names the same way.
"""

from __future__ import annotations

from datetime import date

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.national.models import IdentityHistory, IdentityRecord

#: Every 本人確認情報 history row and removed person is kept this long (controls.md C-69–C-71); the
#: same 150 years as the prefecture's (jukinet.prefecture.keys), which national may not import.
RETENTION_YEARS = 150


def audit(
    action: AuditAction,
    *,
    subject_type: str,
    subject_id: str,
    reason: str,
    outcome: Outcome = Outcome.DONE,
    outcome_reason: str = "",
    purpose: str = "",
    terminal_id: str = "",
    individual_number_used: bool = False,
    result_count: int = 0,
    concerning_code: str = "",
) -> None:
    """One audit entry with the node as the actor (messages and queries carry the remote operator).

    ``concerning_code``: the 住民票コード of the person the exchange concerned; the entry names their
    record in the national store (its id, never the code) so their 提供状況 lists it (issue 8 item 7).
    """
    record_event(
        actor=None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id[:64],
        purpose=purpose[:100],
        reason=reason[:400],
        outcome=outcome,
        outcome_reason=outcome_reason[:400],
        terminal_id=terminal_id[:64],
        individual_number_used=individual_number_used,
        result_count=result_count,
        concerning=person_record_ids(concerning_code) if concerning_code else (),
    )


def person_record_ids(resident_code: str) -> list[str]:
    """The national store record ids of a 住民票コード: its current record and any that once held it."""
    current = IdentityRecord.objects.filter(resident_code=resident_code).values_list("pk", flat=True)
    former = IdentityHistory.objects.filter(resident_code=resident_code).values_list("record_id", flat=True)
    return [str(pk) for pk in sorted({*current, *former})]


def national_refusal(field: str, reason: str, remedy: str, code: str) -> DomainError:
    """A refusal with a ``jukinet.national.`` code."""
    return refusal(field, reason, remedy, f"jukinet.national.{code}")


def add_years(day: date, years: int) -> date:
    """``day`` plus ``years`` calendar years (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)

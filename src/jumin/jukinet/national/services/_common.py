"""Helpers shared by the national services: the node-actor audit entry and refusals.

The search keys (name_key, kana_key) and years_before are jumin.jukinet.common.keys, shared with the
prefecture so both stores key names the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from jumin.accounts.context import reset_context, set_context
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event, record_results
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.common.queries import MAX_QUERY_RECORDS, query_summary
from jumin.jukinet.national.models import IdentityHistory, IdentityRecord
from jumin.messaging.envelope import Envelope

#: Every 本人確認情報 history row and removed person is kept this long (controls.md C-69–C-71); the
#: same 150 years as the prefecture's (jukinet.prefecture.keys), which national may not import.
RETENTION_YEARS = 150

RecordT = TypeVar("RecordT", bound=Model)


def filter_four_items(
    rows: QuerySet[RecordT], payload: dict[str, Any], *, address_field: str
) -> QuerySet[RecordT]:
    """The 4情報 matching rule of QUERY_IDENTITY and QUERY_FUHYO on a store with search keys: name
    exact after NFC without spaces, reading on the 清音化 key, birth date and sex exact, address by
    prefix (``address_field`` is the column or JSON path holding it)."""
    if payload["name"]:
        rows = rows.filter(name_key=name_key(payload["name"])[:200])
    if payload["name_kana"]:
        key = kana_key(payload["name_kana"])[:200]
        rows = rows.filter(kana_key=key) if key else rows.none()
    if payload["birth_date"]:
        rows = rows.filter(birth_date=payload["birth_date"])
    if payload["sex"]:
        rows = rows.filter(sex=payload["sex"])
    if payload["address"]:
        rows = rows.filter(**{f"{address_field}__startswith": payload["address"].strip()})
    return rows


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


def answer_listed(
    envelope: Envelope,
    matching: QuerySet[RecordT],
    *,
    action: AuditAction,
    subject_type: str,
    flag: str,
    number_shown: bool = False,
) -> tuple[list[RecordT], bool]:
    """The records a validated query answers (at most 50, in 住民票コード order) and the truncation flag,
    audited as one ``record_results`` entry (C-42): the purpose, the asking node, operator and remote
    terminal, the kinds of keys (never their values), ``flag`` (include_removed / include_deleted) and
    each record answered. ``number_shown``: the answer carries 個人番号 (when any record is shown)."""
    payload = envelope.payload
    found = list(matching.order_by("resident_code")[: MAX_QUERY_RECORDS + 1])
    shown = found[:MAX_QUERY_RECORDS]
    # The remote terminal goes in the entry's terminal field, the query's message id in its request id.
    tokens = set_context(terminal_id=payload["terminal_id"], request_id=envelope.id)
    try:
        record_results(
            None,
            subject_type,
            [str(row.pk) for row in shown],
            payload["purpose"][:100],
            query_summary(payload),
            action=action,
            reason=f"from {envelope.sender} operator {payload['operator_id']} {flag} {payload[flag]}",
            individual_number_used=number_shown and bool(shown),
        )
    finally:
        reset_context(tokens)
    return shown, len(found) > MAX_QUERY_RECORDS

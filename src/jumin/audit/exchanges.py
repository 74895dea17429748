"""A person's 住基ネット exchanges from this node's audit log (issue 8 item 7; controls.md C-46, C-47).

Each node writes its exchange entries with a per-person internal id (never the 住民票コード or the
個人番号, which stay out of the log): as the entry's subject, or among the entry's ``concerning``
rows when one exchange carries several persons (a household's updates, a search's results). The node
maps a 住民票コード to those ids and names the actions that are exchanges; this reader does the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.listings import newest_listed
from jumin.audit.models import EPOCH, AuditEntry
from jumin.audit.services import record_event
from jumin.domain.checkdigits import JuminhyoCodeRule, validate_juminhyo_code
from jumin.domain.errors import DomainError

#: At most this many exchanges are listed, newest first (a 開示 print names the total besides).
EXCHANGE_LIMIT = 500

_FIELDS = (
    "seq",
    "created_us",
    "node",
    "action",
    "outcome",
    "outcome_reason",
    "reason",
    "purpose",
    "individual_number_used",
    "actor_name",
)


@dataclass(frozen=True)
class Exchange:
    """One exchange that concerned the person, as the 提供状況 lists it (no personal data)."""

    seq: int
    created_at: datetime
    node: str
    action: str
    kind: str  # the Japanese name of the exchange
    outcome: str
    outcome_reason: str
    detail: str  # the counterpart node and message reference the service wrote in ``reason``
    purpose: str
    individual_number_used: bool  # whether the 個人番号 item was part of it (never its value)
    actor_name: str


def exchanges_concerning(
    *,
    person_ids: Sequence[str],
    kinds: Mapping[str, str],
    subject_type: str = "",
    limit: int = EXCHANGE_LIMIT,
) -> list[Exchange]:
    """The exchanges (actions in ``kinds``, action → Japanese name) that concerned one person, newest first.

    ``person_ids`` are the node's internal ids of the person (several after a 住民票コード change);
    an entry counts when it names one of them in its ``concerning`` rows or, with ``subject_type``,
    as its subject. Index scans (``listings.newest_listed``, ``audit_subject_idx``) merged by seq.
    The caller audits the reading.
    """
    ids = [str(person_id) for person_id in person_ids]
    if not ids:
        return []
    actions = list(kinds)
    listed = newest_listed(ids, _FIELDS, limit=limit, actions=actions)
    rows = {row["seq"]: row for row in listed}
    if subject_type:
        named = AuditEntry.objects.filter(action__in=actions, subject_type=subject_type, subject_id__in=ids)
        rows.update({row["seq"]: row for row in named.order_by("-seq").values(*_FIELDS)[:limit]})
    ordered = sorted(rows.values(), key=lambda row: row["seq"], reverse=True)[:limit]
    return [
        Exchange(
            seq=row["seq"],
            created_at=EPOCH + timedelta(microseconds=row["created_us"]),
            node=row["node"],
            action=row["action"],
            kind=kinds[row["action"]],
            outcome=row["outcome"],
            outcome_reason=row["outcome_reason"],
            detail=row["reason"],
            purpose=row["purpose"],
            individual_number_used=row["individual_number_used"],
            actor_name=row["actor_name"],
        )
        for row in ordered
    ]


def checked_person_code(
    resident_code: str,
    *,
    rule: JuminhyoCodeRule,
    actor: Any,
    action: AuditAction,
    purpose: str,
    subject_type: str,
) -> str:
    """The 住民票コード a 提供状況 request names, checked; a bad one is audited as refused, then raised."""
    try:
        return validate_juminhyo_code(resident_code.strip(), rule=rule, field="resident_code")
    except DomainError as error:
        with transaction.atomic():
            record_event(
                actor=actor,
                action=action,
                purpose=purpose,
                subject_type=subject_type,
                outcome=Outcome.REFUSED,
                outcome_reason=error.code,
            )
        raise


__all__ = ["EXCHANGE_LIMIT", "Exchange", "checked_person_code", "exchanges_concerning"]

"""Relays the CS runs for the registry (system.md M3 items 10–11): 個人番号 生成要求 and 住民票コード.

The registry never talks to the national node itself (system.md §1.5): it asks the CS, which asks
the national node and hands back the answer. The registry authorises its own use case; the CS
audits the relay with the purpose the registry's use case was authorised for (C-43).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.common.catalogue import (
    QUERY_INDIVIDUAL_NUMBER,
    QUERY_RENEWAL_TARGETS,
    QUERY_RESIDENT_CODES,
)
from jumin.jukinet.cs import number_requests
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL
from jumin.messaging.services import query


def request_individual_number(
    resident_code: str,
    *,
    change: bool,
    actor: Any,
    purpose: str,
    target: number_requests.RequestTarget | None = None,
) -> str:
    """個人番号 生成要求 (F06, F22): the national node's number for this 住民票コード.

    ``purpose`` is the duty the registry authorised its use case under, recorded with the relay (C-43).
    ``target`` names the registry change and row: the answer is then kept in the request list
    (std 7.1.1.1-c), in the caller's transaction.
    """
    operator_id, terminal_id = operator_ids(actor)
    answer = query(
        query_type=QUERY_INDIVIDUAL_NUMBER,
        receiver=NATIONAL,
        payload={
            "resident_code": resident_code,
            "change": change,
            "operator_id": operator_id,
            "terminal_id": terminal_id,
        },
        actor=actor,
    )
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_INDIVIDUAL_NUMBER_REQUEST,
            subject_type="cs_relay",
            purpose=purpose,
            reason="change" if change else "new",
            individual_number_used=True,
            result_count=1,
            concerning=person_ids([resident_code]),
        )
        if target is not None:
            number_requests.record_answered(target, str(answer["individual_number"]))
    return str(answer["individual_number"])


def fetch_resident_codes(count: int, *, actor: Any, purpose: str) -> list[str]:
    """Unused 住民票コード for the registry's pool (std 4.3.1), at most 1,000 per call; audited with
    the caller's ``purpose`` (C-43)."""
    operator_id, terminal_id = operator_ids(actor)
    answer = query(
        query_type=QUERY_RESIDENT_CODES,
        receiver=NATIONAL,
        payload={"count": count, "operator_id": operator_id, "terminal_id": terminal_id},
        actor=actor,
    )
    codes = [str(code) for code in answer["codes"]]
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_RESIDENT_CODE_FETCH,
            subject_type="cs_relay",
            purpose=purpose,
            reason=f"requested {count}",
            result_count=len(codes),
        )
    return codes


@dataclass(frozen=True)
class RenewalTarget:
    """One person of the national node's renewal-target list: 住民票コード and card 有効期限."""

    resident_code: str
    valid_until: date


def fetch_renewal_targets(expiring_by: date, *, actor: Any, purpose: str) -> list[RenewalTarget]:
    """The 有効期限 renewal-target list (std 7.1.1.4-a): this municipality's cards in use expiring on or
    before ``expiring_by``; audited naming each person with the caller's ``purpose`` (C-43)."""
    operator_id, terminal_id = operator_ids(actor)
    answer = query(
        query_type=QUERY_RENEWAL_TARGETS,
        receiver=NATIONAL,
        payload={
            "expiring_by": expiring_by.isoformat(),
            "operator_id": operator_id,
            "terminal_id": terminal_id,
        },
        actor=actor,
    )
    targets = [
        RenewalTarget(str(row["resident_code"]), date.fromisoformat(row["valid_until"]))
        for row in answer["targets"]
    ]
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_IDENTITY_QUERY,
            subject_type="cs_relay",
            purpose=purpose,
            reason=f"renewal targets by {expiring_by.isoformat()}",
            result_count=len(targets),
            concerning=person_ids([target.resident_code for target in targets]),
        )
    return targets

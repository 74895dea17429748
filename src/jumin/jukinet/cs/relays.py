"""Relays the CS runs for the registry (system.md M3 items 10–11): 個人番号 生成要求 and 住民票コード.

The registry never talks to the national node itself (system.md §1.5): it asks the CS, which asks
the national node and hands back the answer. The registry authorises its own use case; the CS
audits the relay.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jumin.accounts.context import current_terminal_id
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.common.catalogue import QUERY_INDIVIDUAL_NUMBER, QUERY_RESIDENT_CODES
from jumin.jukinet.cs.services import NATIONAL
from jumin.messaging.services import query


def _ids(actor: Any) -> tuple[str, str]:
    name = actor.get_username() if actor is not None else ""
    operator = "".join(c for c in name if c.isascii() and (c.isalnum() or c in "_.@-"))[:64] or "system"
    terminal = "".join(c for c in current_terminal_id() if c.isascii() and (c.isalnum() or c in "_.@-"))
    return operator, terminal[:64] or "cs-host"


def request_individual_number(resident_code: str, *, change: bool, actor: Any) -> str:
    """個人番号 生成要求 (F06, F22): the national node's number for this 住民票コード."""
    operator_id, terminal_id = _ids(actor)
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
            reason="change" if change else "new",
            individual_number_used=True,
            result_count=1,
        )
    return str(answer["individual_number"])


def fetch_resident_codes(count: int, *, actor: Any) -> list[str]:
    """Unused 住民票コード for the registry's pool (std 4.3.1), at most 1,000 per call."""
    operator_id, terminal_id = _ids(actor)
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
            reason=f"requested {count}",
            result_count=len(codes),
        )
    return codes

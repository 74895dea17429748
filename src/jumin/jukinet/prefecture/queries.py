"""QUERY_IDENTITY at the 都道府県サーバ: 検索 by 住民票コード, 個人番号 or 4情報 from the prefecture's CSs.

Only a municipality of this prefecture may ask (a CS escalates a search here when the person lives in
the same prefecture, system.md F12 step 4). Every answer is audited with the purpose, operator,
terminal and asking node, the kinds of keys used (never their values) and the number of records.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.jukinet.common.queries import MAX_QUERY_RECORDS, validate_identity_query
from jumin.jukinet.prefecture.models import IdentityRecord
from jumin.jukinet.prefecture.selectors import (
    notice_payload,
    record_by_individual_number,
    record_by_resident_code,
    records_by_four_items,
)
from jumin.jukinet.prefecture.updates import check_sender
from jumin.messaging import conf
from jumin.messaging.envelope import Envelope, NodeRef

_FOUR_ITEM_KEYS = ("name", "name_kana", "birth_date", "sex", "address")


def _summary(payload: dict[str, Any]) -> str:
    if payload["by"] != "four_items":
        return str(payload["by"])
    return "+".join(key for key in _FOUR_ITEM_KEYS if payload[key]) or "four_items"


def find_records(payload: dict[str, Any]) -> tuple[list[IdentityRecord], bool]:
    """The records a validated QUERY_IDENTITY payload asks for (at most 50) and the truncation flag."""
    include_removed = bool(payload["include_removed"])
    if payload["by"] == "resident_code":
        record = record_by_resident_code(payload["resident_code"], include_removed=include_removed)
        return ([record] if record else []), False
    if payload["by"] == "individual_number":
        record = record_by_individual_number(payload["individual_number"], include_removed=include_removed)
        return ([record] if record else []), False
    return records_by_four_items(
        **{key: payload[key] for key in _FOUR_ITEM_KEYS},
        include_removed=include_removed,
        limit=MAX_QUERY_RECORDS,
    )


def answer_query(payload: dict[str, Any], sender: NodeRef) -> dict[str, Any]:
    """Answer one QUERY_IDENTITY from ``sender`` (audited in the same transaction)."""
    validate_identity_query(payload)
    check_sender(sender, conf.local_node().ref)
    with transaction.atomic():
        records, truncated = find_records(payload)
        found = [notice_payload(record) for record in records]
        record_event(
            actor=None,
            action=AuditAction.PREFECTURE_IDENTITY_QUERY,
            subject_type="prefecture_identity",
            # One record: its id; a list: only the count (the audit subject id holds one id).
            subject_id=str(records[0].pk) if len(records) == 1 else "",
            purpose=str(payload["purpose"]),
            reason=f"query from {sender} operator {payload['operator_id']}"[:400],
            terminal_id=str(payload["terminal_id"]),
            query_summary=_summary(payload),
            result_count=len(records),
            individual_number_used=any(record["individual_number"] for record in found),
            # Each person answered about (issue 8 item 7: their 提供状況 lists the query).
            concerning=[str(record.pk) for record in records],
        )
    return {"records": found, "truncated": truncated}


def answer_identity_query(envelope: Envelope) -> dict[str, Any]:
    """Answerer of ``jukinet.query.identity`` at kind prefecture."""
    return answer_query(envelope.payload, envelope.sender)

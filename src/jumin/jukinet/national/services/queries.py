"""機構への情報照会 and 他都道府県の検索 (system.md N1 3–4, F12): answer QUERY_IDENTITY.

Each query is audited at the national node with its purpose, the remote operator and terminal, the
requesting node and the records it returned (controls.md C-42); a refused query is audited too.
"""

from __future__ import annotations

from typing import Any

from jumin.accounts.context import reset_context, set_context
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.crypto.models import filter_by_individual_number
from jumin.jukinet.common.keys import kana_key, name_key
from jumin.jukinet.common.queries import MAX_QUERY_RECORDS
from jumin.jukinet.national.models import IdentityRecord
from jumin.jukinet.national.services.identity import SUBJECT_TYPE, notice_payload
from jumin.messaging.envelope import Envelope

_SUMMARY_KEYS = {
    "name": "name",
    "name_kana": "kana_name",
    "birth_date": "birth_date",
    "sex": "sex",
    "address": "address",
}


def _summary(payload: dict[str, Any]) -> str:
    """The kinds of keys used (never their values), for the audit's query summary."""
    if payload["by"] == "resident_code":
        return "juminhyo_code"
    if payload["by"] == "individual_number":
        return "individual_number"
    return "+".join(label for key, label in _SUMMARY_KEYS.items() if payload[key]) or "four_items"


def _matching(payload: dict[str, Any]) -> Any:
    rows = IdentityRecord.objects.all()
    if not payload["include_removed"]:
        rows = rows.filter(removed=False)
    if payload["by"] == "resident_code":
        return rows.filter(resident_code=payload["resident_code"])
    if payload["by"] == "individual_number":
        return filter_by_individual_number(rows, payload["individual_number"])
    if payload["name"]:
        rows = rows.filter(name_key=name_key(payload["name"]))
    if payload["name_kana"]:
        key = kana_key(payload["name_kana"])
        rows = rows.filter(kana_key=key) if key else rows.none()
    if payload["birth_date"]:
        rows = rows.filter(birth_date=payload["birth_date"])
    if payload["sex"]:
        rows = rows.filter(sex=payload["sex"])
    if payload["address"]:
        rows = rows.filter(address__startswith=payload["address"].strip())
    return rows


def answer_identity_query(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_IDENTITY: up to 50 current (or, on request, removed) records, by key or 4情報."""
    # Validated by messaging before the answerer runs (too few 4情報 items included): a refusal never
    # reaches here, it is audited there as node:query:answer.
    payload = envelope.payload
    context = f"from {envelope.sender} operator {payload['operator_id']}"
    found = list(_matching(payload).order_by("resident_code")[: MAX_QUERY_RECORDS + 1])
    shown = found[:MAX_QUERY_RECORDS]
    # The remote terminal goes in the entry's terminal field, the query's message id in its request id.
    tokens = set_context(terminal_id=payload["terminal_id"], request_id=envelope.id)
    try:
        record_results(
            None,
            SUBJECT_TYPE,
            [str(row.pk) for row in shown],
            payload["purpose"][:100],
            _summary(payload),
            action=AuditAction.NATIONAL_IDENTITY_QUERY,
            reason=f"{context} include_removed {payload['include_removed']}",
            individual_number_used=bool(shown),
        )
    finally:
        reset_context(tokens)
    return {"records": [notice_payload(row) for row in shown], "truncated": len(found) > MAX_QUERY_RECORDS}

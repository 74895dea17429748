"""機構への情報照会 and 他都道府県の検索 (system.md N1 3–4, F12): answer QUERY_IDENTITY.

Each query is audited at the national node with its purpose, the remote operator and terminal, the
requesting node and the records it returned (controls.md C-42); a refused query is audited too.
"""

from __future__ import annotations

from typing import Any

from jumin.audit.actions import AuditAction
from jumin.crypto.models import filter_by_individual_number
from jumin.jukinet.national.models import IdentityRecord
from jumin.jukinet.national.services._common import answer_listed, filter_four_items
from jumin.jukinet.national.services.identity import SUBJECT_TYPE, notice_payload
from jumin.messaging.envelope import Envelope


def _matching(payload: dict[str, Any]) -> Any:
    rows = IdentityRecord.objects.all()
    if not payload["include_removed"]:
        rows = rows.filter(removed=False)
    if payload["by"] == "resident_code":
        return rows.filter(resident_code=payload["resident_code"])
    if payload["by"] == "individual_number":
        return filter_by_individual_number(rows, payload["individual_number"])
    return filter_four_items(rows, payload, address_field="address")


def answer_identity_query(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_IDENTITY: up to 50 current (or, on request, removed) records, by key or 4情報."""
    # Validated by messaging before the answerer runs (too few 4情報 items included): a refusal never
    # reaches here, it is audited there as node:query:answer.
    shown, truncated = answer_listed(
        envelope,
        _matching(envelope.payload),
        action=AuditAction.NATIONAL_IDENTITY_QUERY,
        subject_type=SUBJECT_TYPE,
        flag="include_removed",
        number_shown=True,
    )
    return {"records": [notice_payload(row) for row in shown], "truncated": truncated}

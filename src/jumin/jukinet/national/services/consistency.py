"""整合性確認 at the national node (system.md N1 5, F14): compare one chunk of a CS file.

The CS's current residents are compared with this node's records whose current municipality is the
CS's and which are not removed, by the digest stored beside each record (common.consistency).
"""

from __future__ import annotations

from typing import Any

from jumin.audit.actions import AuditAction
from jumin.jukinet.common.consistency import chunk_from_validated, compare
from jumin.jukinet.national.models import IdentityRecord
from jumin.jukinet.national.services._common import audit, national_refusal
from jumin.messaging.envelope import Envelope


def answer_consistency(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_CONSISTENCY: a CS may check only its own municipality's file."""
    chunk = chunk_from_validated(envelope.payload)
    if envelope.sender.kind != "municipality" or envelope.sender.code != chunk.municipality_code:
        raise national_refusal(
            "municipality_code",
            "自市町村以外の整合性確認はできません。",
            "自市町村のCSファイルで確認してください。",
            "consistency_foreign",
        )
    held = IdentityRecord.objects.filter(municipality_code=chunk.municipality_code, removed=False)
    if chunk.first:
        held = held.filter(resident_code__gt=chunk.first)
    if chunk.last:
        held = held.filter(resident_code__lte=chunk.last)
    rows = held.order_by("resident_code").values_list("resident_code", "consistency_digest")
    result = compare(chunk.entries, rows.iterator())
    audit(
        AuditAction.NATIONAL_CONSISTENCY_CHECK,
        subject_type="consistency_run",
        subject_id=chunk.run_id,
        reason=(
            f"chunk {chunk.chunk_no}{' final' if chunk.final else ''} from {envelope.sender} "
            f"operator {chunk.operator_id}: sent {len(chunk.entries)} missing {len(result.missing_here)} "
            f"extra {len(result.extra_here)} different {len(result.different)}"
        ),
        terminal_id=chunk.terminal_id,
        result_count=result.count,
    )
    return result.as_answer()

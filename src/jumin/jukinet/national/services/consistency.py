"""整合性確認 at the national node (system.md N1 5, F14): compare one chunk of a CS file.

The CS's current residents are compared with this node's records whose current municipality is the
CS's and which are not removed, by the digest stored beside each record (common.consistency); a
chunk's summary (QUERY_CONSISTENCY_DIGEST) is answered match or not from the same read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Value

from jumin.audit.actions import AuditAction
from jumin.jukinet.common.consistency import Entry, chunk_from_validated, compare, summary_from_payload
from jumin.jukinet.national.models import IdentityRecord
from jumin.jukinet.national.services import shared_cs
from jumin.jukinet.national.services._common import audit, national_refusal
from jumin.messaging.envelope import Envelope


def _check_sender(envelope: Envelope, municipality_code: str) -> None:
    if not shared_cs.may_act_for(envelope.sender, municipality_code):
        raise national_refusal(
            "municipality_code",
            "自市町村以外の整合性確認はできません。",
            "自市町村のCSファイルで確認してください。",
            "consistency_foreign",
        )


def held_entries(municipality_code: str, first: str, last: str) -> list[Entry]:
    """This node's (code, digest) of the municipality's current records in ``first < code ≤ last``."""
    # ``Value(False)``: ``removed=False`` is written ``NOT removed``, which SQLite cannot seek in the index.
    held = IdentityRecord.objects.filter(municipality_code=municipality_code, removed=Value(False))
    if first:
        held = held.filter(resident_code__gt=first)
    if last:
        held = held.filter(resident_code__lte=last)
    return list(held.order_by("resident_code").values_list("resident_code", "consistency_digest"))


def answer_consistency(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_CONSISTENCY: a CS may check only its own municipality's file."""
    chunk = chunk_from_validated(envelope.payload)
    _check_sender(envelope, chunk.municipality_code)
    result = compare(chunk.entries, held_entries(chunk.municipality_code, chunk.first, chunk.last))
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


def answer_consistency_digest(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_CONSISTENCY_DIGEST: whether this node holds exactly the summarised chunk."""
    summary = summary_from_payload(envelope.payload)
    _check_sender(envelope, summary.municipality_code)
    match = summary.matches(held_entries(summary.municipality_code, summary.first, summary.last))
    audit(
        AuditAction.NATIONAL_CONSISTENCY_CHECK,
        subject_type="consistency_run",
        subject_id=summary.run_id,
        reason=(
            f"chunk {summary.chunk_no}{' final' if summary.final else ''} from {envelope.sender} "
            f"operator {summary.operator_id}: sent {summary.count} digest {'match' if match else 'differs'}"
        ),
        terminal_id=summary.terminal_id,
        result_count=0,
    )
    return {"match": match}

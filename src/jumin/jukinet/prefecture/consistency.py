"""整合性確認 at the 都道府県サーバ (system.md F14): answer each chunk of a CS file and log the result.

The answer reads only (住民票コード, digest) of the municipality's current records in the chunk's range
through the covering index ``pref_record_consistency`` and merges them with the chunk
(``common.consistency.compare``). The run and every difference are logged per municipality.

A chunk's summary (QUERY_CONSISTENCY_DIGEST) is answered from the same read: when this node's pairs in
the range have the chunk's count and ``chunk_digest``, the chunk is logged as compared with no
difference; otherwise the answer is "differs" and nothing is logged until the chunk comes in full.

The 附票 file (QUERY_FUHYO_CONSISTENCY, 004 2-⑥ at the 附票都道府県サーバ) is answered the same way from
the current ``FuhyoRecord`` of that 附票管理市町村, each digested from its stored items as it is read.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.domain.errors import refusal
from jumin.jukinet.common.consistency import (
    ConsistencyChunk,
    ConsistencyFile,
    ConsistencyResult,
    ConsistencySummary,
    Entry,
    chunk_from_validated,
    compare,
    summary_from_payload,
)
from jumin.jukinet.common.fuhyo import FuhyoState, fuhyo_consistency_digest
from jumin.jukinet.prefecture.models import (
    ConsistencyDifference,
    ConsistencyRun,
    FuhyoRecord,
    IdentityRecord,
)
from jumin.jukinet.prefecture.shared_cs import may_act_for
from jumin.messaging import conf
from jumin.messaging.envelope import Envelope, NodeRef

SUBJECT_TYPE = "prefecture_consistency_run"
#: The audit reason names the 附票 file; the 本人確認情報 file keeps its original wording.
_FILE_PREFIX = {ConsistencyFile.IDENTITY: "", ConsistencyFile.FUHYO: "fuhyo "}


def held_entries(municipality_code: str, first: str, last: str) -> list[Entry]:
    """This node's current (not removed) (code, digest) of one municipality in ``first < code ≤ last``."""
    # ``Value(False)``: Django writes ``removed=False`` as ``NOT removed``, which SQLite cannot match against
    # the index, so it would scan the municipality's whole index and sort it for every chunk.
    rows = IdentityRecord.objects.filter(municipality_code=municipality_code, removed=Value(False))
    if first:
        rows = rows.filter(resident_code__gt=first)
    if last:
        rows = rows.filter(resident_code__lte=last)
    return list(rows.order_by("resident_code").values_list("resident_code", "consistency_digest"))


def held_fuhyo_entries(municipality_code: str, first: str, last: str) -> list[Entry]:
    """This node's current 附票 (code, digest) of one 附票管理市町村 in ``first < code ≤ last``."""
    rows = FuhyoRecord.objects.filter(fuhyo_municipality_code=municipality_code, state=FuhyoState.CURRENT)
    if first:
        rows = rows.filter(resident_code__gt=first)
    if last:
        rows = rows.filter(resident_code__lte=last)
    key = conf.local_node().consistency_key
    return [
        (code, fuhyo_consistency_digest(items, key=key))
        for code, items in rows.order_by("resident_code").values_list("resident_code", "items")
    ]


def compare_chunk(
    chunk: ConsistencyChunk, file: ConsistencyFile = ConsistencyFile.IDENTITY
) -> ConsistencyResult:
    """The differences between one chunk and this node's file (read-only)."""
    held = held_fuhyo_entries if file is ConsistencyFile.FUHYO else held_entries
    return compare(chunk.entries, held(chunk.municipality_code, chunk.first, chunk.last))


def _log(run: ConsistencyRun, chunk_no: int, entries: int, final: bool, result: ConsistencyResult) -> None:
    kinds = (
        (ConsistencyDifference.Kind.MISSING_HERE, result.missing_here),
        (ConsistencyDifference.Kind.EXTRA_HERE, result.extra_here),
        (ConsistencyDifference.Kind.DIFFERENT, result.different),
    )
    ConsistencyDifference.objects.bulk_create(
        [
            ConsistencyDifference(run=run, resident_code=code, kind=kind, chunk_no=chunk_no)
            for kind, codes in kinds
            for code in codes
        ],
        ignore_conflicts=True,  # a chunk sent twice logs its differences once
        batch_size=1000,
    )
    ConsistencyRun.objects.filter(pk=run.pk).update(
        chunks=F("chunks") + 1,
        entries=F("entries") + entries,
        missing_here=F("missing_here") + len(result.missing_here),
        extra_here=F("extra_here") + len(result.extra_here),
        different=F("different") + len(result.different),
        finished_at=timezone.now() if final else None,
    )


def _run_of(
    part: ConsistencyChunk | ConsistencySummary, sender: NodeRef, file: ConsistencyFile
) -> ConsistencyRun:
    """The run a chunk or summary belongs to (created by its first part), once the sender may send it."""
    if sender.kind != "municipality" or not may_act_for(sender, part.municipality_code):
        raise refusal(
            "municipality_code",
            "自市町村以外の整合性確認は受け付けません。",
            "自市町村のCSファイルだけを送ってください。",
            "jukinet.prefecture.consistency_sender",
        )
    run, _ = ConsistencyRun.objects.get_or_create(
        run_id=part.run_id,
        defaults={
            "file": file.value,
            "municipality_code": part.municipality_code,
            "sender_code": sender.code,
            "operator_id": part.operator_id,
            "terminal_id": part.terminal_id,
            "started_at": timezone.now(),
        },
    )
    if run.municipality_code != part.municipality_code or run.file != file.value:
        raise refusal(
            "run_id",
            "実行IDが別の市町村またはファイルの整合性確認に使われています。",
            "新しい実行IDで送ってください。",
            "jukinet.prefecture.consistency_run",
        )
    return run


def check_chunk(
    chunk: ConsistencyChunk, sender: NodeRef, file: ConsistencyFile = ConsistencyFile.IDENTITY
) -> ConsistencyResult:
    """Compare one chunk of ``file``, log it under its run and audit it; the caller holds the transaction."""
    run = _run_of(chunk, sender, file)
    result = compare_chunk(chunk, file)
    _log(run, chunk.chunk_no, len(chunk.entries), chunk.final, result)
    record_event(
        actor=None,
        action=AuditAction.PREFECTURE_CONSISTENCY_CHECK,
        subject_type=SUBJECT_TYPE,
        subject_id=str(run.pk),
        reason=f"{_FILE_PREFIX[file]}chunk {chunk.chunk_no} from {sender} operator {chunk.operator_id}"[:400],
        terminal_id=chunk.terminal_id,
        result_count=result.count,
    )
    return result


def check_summary(summary: ConsistencySummary, sender: NodeRef) -> bool:
    """Whether this node holds exactly the summarised chunk of the 本人確認情報 file; a match is logged
    as a compared chunk without differences, a mismatch only audited (the full chunk follows)."""
    run = _run_of(summary, sender, ConsistencyFile.IDENTITY)
    match = summary.matches(held_entries(summary.municipality_code, summary.first, summary.last))
    if match:
        _log(run, summary.chunk_no, summary.count, summary.final, ConsistencyResult())
    record_event(
        actor=None,
        action=AuditAction.PREFECTURE_CONSISTENCY_CHECK,
        subject_type=SUBJECT_TYPE,
        subject_id=str(run.pk),
        reason=(
            f"chunk {summary.chunk_no} digest {'match' if match else 'differs'} from {sender} "
            f"operator {summary.operator_id}"
        )[:400],
        terminal_id=summary.terminal_id,
        result_count=0,
    )
    return match


def answer_consistency(envelope: Envelope) -> dict[str, Any]:
    """Answerer of ``jukinet.query.consistency`` at kind prefecture."""
    chunk = chunk_from_validated(envelope.payload)  # validated by messaging before the answerer runs
    with transaction.atomic():
        return check_chunk(chunk, envelope.sender).as_answer()


def answer_fuhyo_consistency(envelope: Envelope) -> dict[str, Any]:
    """Answerer of ``jukinet.query.fuhyo_consistency`` at kind prefecture (the 附票都道府県サーバ)."""
    chunk = chunk_from_validated(envelope.payload)  # validated by messaging before the answerer runs
    with transaction.atomic():
        return check_chunk(chunk, envelope.sender, ConsistencyFile.FUHYO).as_answer()


def answer_consistency_digest(envelope: Envelope) -> dict[str, Any]:
    """Answerer of ``jukinet.query.consistency_digest`` at kind prefecture."""
    summary = summary_from_payload(envelope.payload)  # a few fields: checking them again costs nothing
    with transaction.atomic():
        return {"match": check_summary(summary, envelope.sender)}

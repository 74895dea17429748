"""Audit-log figures of performance.md: P7 (chain verification rate) and P9 (overhead per read)."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from jumin.audit.actions import AuditAction
from jumin.audit.chain import CHAINED_FIELDS, entry_hash
from jumin.audit.models import AuditChainHead, AuditEntry
from jumin.audit.selectors import verify_chain
from jumin.audit.services import record_event
from jumin.cli.bench import percentiles, timed


def _fill_chain(count: int, *, batch: int = 5000) -> None:
    """Append `count` synthetic entries with valid hashes, in bulk (set-up, not measured)."""
    head = AuditChainHead.objects.get(id=1)
    seq, prev = head.last_seq, head.last_hash
    now_us = time.time_ns() // 1000
    pending: list[AuditEntry] = []
    with transaction.atomic():
        for _ in range(count):
            seq += 1
            fields: dict[str, object] = dict.fromkeys(CHAINED_FIELDS, "")
            fields.update(
                seq=seq,
                created_us=now_us + seq,
                actor_id=None,
                node="bench:000000",
                action="resident:record:view",
                subject_type="resident",
                subject_id=str(seq % 100_000),
                purpose="bench",
                individual_number_used=False,
                outcome="done",
            )
            digest = entry_hash(fields, prev)
            pending.append(AuditEntry(**fields, prev_hash=prev, entry_hash=digest))
            prev = digest
            if len(pending) >= batch:
                AuditEntry.objects.bulk_create(pending)
                pending.clear()
        AuditEntry.objects.bulk_create(pending)
        AuditChainHead.objects.filter(id=1).update(last_seq=seq, last_hash=prev)


def measure_chain_verification(count: int) -> dict[str, Any]:
    """P7: entries verified per second over a chain of `count` entries (target ≥ 200,000/s)."""
    existing = AuditEntry.objects.count()
    if existing < count:
        _fill_chain(count - existing)
    start = time.perf_counter()
    verdict = verify_chain()
    elapsed = time.perf_counter() - start
    rate = verdict.entries / elapsed
    return {
        "what": "audit chain verification",
        "entries": verdict.entries,
        "intact": verdict.intact,
        "seconds": round(elapsed, 3),
        "rate_per_s": round(rate),
        "target": ">= 200000 entries/s",
        "met": verdict.intact and rate >= 200_000,
    }


def measure_audit_overhead(count: int = 2000) -> dict[str, Any]:
    """P9: the cost one read request pays for its audit entry (target ≤ 1 ms)."""

    def audited_read() -> None:
        with transaction.atomic():
            record_event(
                actor=None,
                action=AuditAction.RESIDENT_RECORD_VIEW,
                subject_type="bench",
                subject_id="1",
                purpose="bench",
            )

    stats = percentiles(timed(audited_read, warmup=200, count=count))
    return {
        "what": "audit entry written in the request's transaction",
        **stats,
        "target": "<= 1 ms per request",
        "met": stats["p95_ms"] <= 1.0,
    }

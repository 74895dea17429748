"""整合性確認 from the CS (system.md M3 item 6, F14; controls.md C-68; performance.md P6).

The CS streams (住民票コード, stored digest) of its current residents in code order — no record is
rebuilt, no 個人番号 decrypted — in chunks of up to 20,000 (``common.consistency``), asks the
prefecture and/or the national node to compare each chunk, and stores the run and every differing
code as a worklist for the clerks (F14 step 4: resolved by amendment, F08). Each chunk goes digest
first (QUERY_CONSISTENCY_DIGEST: its range, count and ``chunk_digest``); only a chunk the receiver
does not hold identically goes in full (QUERY_CONSISTENCY), and the receiver names its differing
codes. Memory stays at about two chunks whatever the file size.

The 附票 file (target ``fuhyo``; 004 2-⑥) goes the same way to the prefecture's 附票都道府県サーバ only
(QUERY_FUHYO_CONSISTENCY): its current records of this 附票管理市町村, each digested from its stored
items as it is read (``common.fuhyo.fuhyo_consistency_digest``; the 附票 file has no stored digest and
no P6 target). Differences there are resolved by a corrected update from the 戸籍附票 system.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from django.db import transaction
from django.db.models import Value
from django.db.models.sql.constants import MULTI
from django.utils import timezone

from jumin import runtime
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import (
    QUERY_CONSISTENCY,
    QUERY_CONSISTENCY_DIGEST,
    QUERY_FUHYO_CONSISTENCY,
)
from jumin.jukinet.common.consistency import (
    MAX_ENTRIES,
    ConsistencyChunk,
    ConsistencyFile,
    ConsistencyResult,
    Entry,
    summarise,
)
from jumin.jukinet.common.fuhyo import FuhyoState, fuhyo_consistency_digest
from jumin.jukinet.cs import access
from jumin.jukinet.cs.models import (
    ConsistencyDifference,
    ConsistencyRun,
    CsFuhyo,
    CsIdentity,
    DifferenceKind,
)
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.services import NATIONAL, local_municipality_code, prefecture_of
from jumin.messaging import conf
from jumin.messaging.envelope import NodeRef
from jumin.messaging.services import query

#: ``fuhyo``: the 附票 file against the prefecture's 附票都道府県サーバ; the others: the 本人確認情報 file.
TARGETS = ("prefecture", "national", "both", "fuhyo")
_READ_BATCH = 5_000
_PAGE = MAX_ENTRIES
#: A receiver that does not answer the digest query yet (an older node): its chunks go in full.
_DIGEST_NOT_ANSWERED = frozenset({"messaging.query_not_handled", "messaging.unknown_type"})


def current_entries(municipality_code: str) -> Iterator[Entry]:
    """(住民票コード, digest) of the municipality's current residents in code order, streamed."""
    return chain.from_iterable(_current_pages(municipality_code))


def _current_pages(municipality_code: str) -> Iterator[list[Entry]]:
    # One ordered query read in pages of rows (a server-side cursor on PostgreSQL), each page a list the
    # chunks are cut from in C: no Python step per row as with ``QuerySet.iterator`` (performance.md P6).
    # Not keyset pages: without fresh statistics PostgreSQL plans each ``code > last … LIMIT`` page as a
    # bitmap scan of every later row plus a sort, quadratic over the file.
    # ``Value(False)``: ``removed=False`` is written ``NOT removed``, which SQLite cannot seek in the index
    # (it would sort the whole municipality in a temporary B-tree instead of reading the index in order).
    rows = (
        CsIdentity.objects.filter(municipality_code=municipality_code, removed=Value(False))
        .order_by("resident_code")
        .values_list("resident_code", "digest")
    )
    compiler = rows.query.get_compiler(using=rows.db)
    pages: Iterator[list[Entry]] = compiler.execute_sql(MULTI, chunked_fetch=True, chunk_size=_PAGE)
    return pages


def current_fuhyo_entries(municipality_code: str) -> Iterator[Entry]:
    """(住民票コード, digest) of the CS 附票 file's current records of this 附票管理市町村, in code order."""
    key = conf.local_node().consistency_key
    rows = (
        CsFuhyo.objects.filter(fuhyo_municipality_code=municipality_code, state=FuhyoState.CURRENT)
        .order_by("resident_code")
        .values_list("resident_code", "current__items")
    )
    return (
        (code, fuhyo_consistency_digest(items, key=key))
        for code, items in rows.iterator(chunk_size=_READ_BATCH)
    )


def chunks(
    entries: Iterable[Entry],
    *,
    run_id: str,
    municipality_code: str,
    operator_id: str,
    terminal_id: str,
    size: int = MAX_ENTRIES,
) -> Iterator[ConsistencyChunk]:
    """Split a streamed, ascending file into chunks whose ranges together cover every code."""
    if not 1 <= size <= MAX_ENTRIES:
        raise ValueError("chunk size out of range")
    stream = iter(entries)
    part = tuple(islice(stream, size))
    first, chunk_no = "", 1
    while True:
        following = tuple(islice(stream, size))  # one chunk of lookahead tells whether this is the last
        final = not following
        last = "" if final else part[-1][0]
        yield ConsistencyChunk(
            run_id=run_id,
            municipality_code=municipality_code,
            chunk_no=chunk_no,
            first=first,
            last=last,
            entries=part,
            final=final,
            operator_id=operator_id,
            terminal_id=terminal_id,
        )
        if final:
            return
        first, part, chunk_no = last, following, chunk_no + 1


def _receivers(target: str, municipality_code: str) -> list[NodeRef]:
    if target not in TARGETS:
        raise refusal(
            "target",
            "整合性確認の相手が不正です。",
            "prefecture、national、both、fuhyo（附票）のいずれかです。",
            "jukinet.cs.consistency",
        )
    prefecture = prefecture_of(municipality_code)
    return {
        "prefecture": [prefecture],
        "national": [NATIONAL],
        "both": [prefecture, NATIONAL],
        "fuhyo": [prefecture],
    }[target]


@dataclass
class _Asker:
    """Asks one receiver about each chunk: digest first when the file has a digest query."""

    actor: Any
    receiver: NodeRef
    query_type: str
    digest_first: bool

    def differences(self, chunk: ConsistencyChunk) -> dict[str, Any]:
        """The receiver's answer for the chunk (missing_here, extra_here, different)."""
        summary = summarise(chunk) if self.digest_first else None
        if summary is not None:
            try:
                answer = query(
                    query_type=QUERY_CONSISTENCY_DIGEST,
                    receiver=self.receiver,
                    payload=summary.as_payload(),
                    actor=self.actor,
                )
            except DomainError as error:
                if error.code not in _DIGEST_NOT_ANSWERED:
                    raise
                self.digest_first = False  # nothing was logged there: the refusal changed nothing
            else:
                if answer["match"]:
                    return ConsistencyResult().as_answer()
        return query(
            query_type=self.query_type, receiver=self.receiver, payload=chunk.as_payload(), actor=self.actor
        )


def _run_one(
    actor: Any, purpose: str, receiver: NodeRef, municipality_code: str, size: int, file: ConsistencyFile
) -> ConsistencyRun:
    run = ConsistencyRun.objects.create(
        run_id=str(uuid.uuid4()),
        target=str(receiver),
        file=file.value,
        municipality_code=municipality_code,
        started_at=timezone.now(),
    )
    fuhyo = file is ConsistencyFile.FUHYO
    entries = current_fuhyo_entries(municipality_code) if fuhyo else current_entries(municipality_code)
    # The 附票 file goes in full: its receiver digests each record as it reads it, and it has no
    # digest query (nor a time target).
    asker = _Asker(
        actor, receiver, QUERY_FUHYO_CONSISTENCY if fuhyo else QUERY_CONSISTENCY, digest_first=not fuhyo
    )
    operator_id, terminal_id = operator_ids(actor)
    kinds = (
        ("missing_here", DifferenceKind.MISSING),
        ("extra_here", DifferenceKind.EXTRA),
        ("different", DifferenceKind.DIFFERENT),
    )
    try:
        for chunk in chunks(
            entries,
            run_id=run.run_id,
            municipality_code=municipality_code,
            operator_id=operator_id,
            terminal_id=terminal_id,
            size=size,
        ):
            answer = asker.differences(chunk)
            ConsistencyDifference.objects.bulk_create(
                (
                    ConsistencyDifference(run=run, resident_code=code, kind=kind)
                    for key, kind in kinds
                    for code in answer[key]
                ),
                batch_size=5_000,
            )
            run.records += len(chunk.entries)
            run.chunks += 1
            run.differences += sum(len(answer[key]) for key, _ in kinds)
        run.status = "done"
    except DomainError as error:
        run.status, run.error = "failed", f"{error.reason}（{error.remedy}）"[:400]
    run.finished_at = timezone.now()
    prefix = "fuhyo " if fuhyo else ""  # the 本人確認情報 run keeps its original wording
    with transaction.atomic():
        run.save()
        record_event(
            actor=actor,
            action=AuditAction.CS_CONSISTENCY_RUN,
            subject_type="cs_consistency",
            subject_id=run.run_id,
            purpose=purpose,
            reason=f"{prefix}to {receiver}: records {run.records} differences {run.differences}",
            outcome=Outcome.DONE if run.status == "done" else Outcome.REFUSED,
            outcome_reason="" if run.status == "done" else "query_failed",
            result_count=run.differences,
            # Each person with a difference: the run compared their record with the receiver's.
            concerning=person_ids(
                ConsistencyDifference.objects.filter(run=run).values_list("resident_code", flat=True)
            ),
        )
    return run


def run_consistency(
    *, actor: Any, purpose: str, target: str = "both", size: int = MAX_ENTRIES
) -> list[ConsistencyRun]:
    """整合性確認 of this CS's current residents with the prefecture, the national node or both; target
    ``fuhyo``: of this CS's 附票 file with the prefecture (附票都道府県サーバ)."""
    access.require(
        actor=actor,
        permission=Permission.CS_CONSISTENCY,
        action=AuditAction.CS_CONSISTENCY_RUN,
        purpose=purpose,
        subject_type="cs_consistency",
    )
    municipality_code = local_municipality_code()
    file = ConsistencyFile.FUHYO if target == "fuhyo" else ConsistencyFile.IDENTITY
    receivers = _receivers(target, municipality_code)
    # Each record decodes into about ten short-lived containers: full collections would walk the
    # long-lived heap again and again (more than half of a run's CPU, performance.md P6).
    with runtime.heap_set_aside():
        return [_run_one(actor, purpose, receiver, municipality_code, size, file) for receiver in receivers]


def recent_runs(*, actor: Any, purpose: str, limit: int = 50) -> list[ConsistencyRun]:
    """The latest runs, newest first (identifiers and counts only); audited as a view."""
    access.require(
        actor=actor,
        permission=Permission.CS_CONSISTENCY,
        action=AuditAction.CS_CONSISTENCY_VIEW,
        purpose=purpose,
        subject_type="cs_consistency",
    )
    with transaction.atomic():
        runs = list(ConsistencyRun.objects.order_by("-started_at")[:limit])
        record_event(
            actor=actor,
            action=AuditAction.CS_CONSISTENCY_VIEW,
            subject_type="cs_consistency",
            purpose=purpose,
            result_count=len(runs),
        )
    return runs


@dataclass(frozen=True)
class DifferenceRow:
    """One differing person of a run; the 住民票コード masked without FIELD_JUMINHYO_CODE_VIEW (C-10)."""

    resident_code: str
    kind: str
    kind_label: str


def differences_of(*, actor: Any, purpose: str, run_id: str, limit: int = 1000) -> list[DifferenceRow]:
    """The differing 住民票コード of one run (the worklist); audited as a view of that run."""
    access.require(
        actor=actor,
        permission=Permission.CS_CONSISTENCY,
        action=AuditAction.CS_CONSISTENCY_VIEW,
        purpose=purpose,
        subject_type="cs_consistency",
        subject_id=run_id[:64],
    )
    with transaction.atomic():
        rows = list(
            ConsistencyDifference.objects.filter(run__run_id=run_id).order_by("resident_code", "kind")[:limit]
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_CONSISTENCY_VIEW,
            subject_type="cs_consistency",
            subject_id=run_id[:64],
            purpose=purpose,
            result_count=len(rows),
        )
    visible = access.visible_items(actor)
    return [
        DifferenceRow(
            resident_code=access.shown_resident_code(row.resident_code, visible),
            kind=row.kind,
            kind_label=str(DifferenceKind(row.kind).label),
        )
        for row in rows
    ]

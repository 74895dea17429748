"""P6 of performance.md: 整合性確認 of a CS file against its prefecture (1,000,000 records ≤ 30 s, 2 cores).

``bench_consistency(records)`` bulk-inserts N synthetic prefecture records of one municipality, builds
the CS side from the same data with a few differences planted (changed, missing, extra), and times the
prefecture answering the whole chunk sequence exactly as the query answerer does (payload validation,
index read of (code, digest), merge, result log, audit). For scale it also times a plain sorted scan
of both sides. Everything runs in one transaction that is rolled back, so the database is left as it
was. Needs a configured Django with a migrated database.
"""

from __future__ import annotations

import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from jumin.domain.checkdigits import JuminhyoCodeRule, check_digit_for
from jumin.jukinet.common.consistency import Entry, build_chunks, chunk_from_payload
from jumin.jukinet.prefecture.consistency import check_chunk
from jumin.jukinet.prefecture.models import IdentityRecord
from jumin.messaging.envelope import NodeRef

MUNICIPALITY = NodeRef("municipality", "422029")
#: Differences planted on the CS side: this many changed, missing at the prefecture and extra there.
PLANTED = 5
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _code(serial: int) -> str:
    base = f"8{serial:09d}"
    return base + check_digit_for("juminhyo", base, juminhyo_rule=JuminhyoCodeRule.M11W27_CANDIDATE)


def _digest() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(22))


def _insert(entries: list[Entry]) -> None:
    now = timezone.now()
    notice = {"synthetic": True}  # the answerer reads only code and digest
    IdentityRecord.objects.bulk_create(
        (
            IdentityRecord(
                resident_code=code,
                municipality_code=MUNICIPALITY.code,
                update_seq=1,
                name_key="ベンチ",
                birth_date="20000101",
                sex="female",
                address="長崎県佐世保市",
                change_reason="出生",
                notice=notice,
                consistency_digest=digest,
                received_at=now,
                received_on=now.date(),
                sender_code=MUNICIPALITY.code,
            )
            for code, digest in entries
        ),
        batch_size=5000,
    )


def _cs_side(held: list[Entry], serial_end: int) -> list[Entry]:
    """The same file with PLANTED changed digests, PLANTED missing here and PLANTED extra there."""
    cs = list(held)
    step = max(1, len(cs) // (3 * PLANTED + 1))
    for index in range(PLANTED):
        code, _ = cs[(index + 1) * step]
        cs[(index + 1) * step] = (code, _digest())
    for index in range(PLANTED):
        del cs[(PLANTED + index + 1) * step - index]
    cs.extend((_code(serial_end + index), _digest()) for index in range(PLANTED))
    return sorted(cs)


def bench_consistency(records: int) -> dict[str, Any]:
    """Time the prefecture's answers to a whole CS file of ``records`` (see the module docstring)."""
    if records < 3 * PLANTED + 2:
        raise ValueError("too few records for the planted differences")
    held = [(_code(serial), _digest()) for serial in range(1, records + 1)]
    cs = _cs_side(held, records + 1)
    result: dict[str, Any] = {"records": records, "started": datetime.now(UTC).isoformat(timespec="seconds")}
    with transaction.atomic():
        _insert(held)
        run_id = str(uuid.uuid4())
        started = time.perf_counter()
        differences = 0
        for chunk in build_chunks(
            cs, run_id=run_id, municipality_code=MUNICIPALITY.code, operator_id="bench", terminal_id="bench"
        ):
            received = chunk_from_payload(chunk.as_payload())  # what the answerer validates
            differences += check_chunk(received, MUNICIPALITY).count
        result["seconds"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        scanned = list(
            IdentityRecord.objects.filter(municipality_code=MUNICIPALITY.code)
            .order_by("resident_code")
            .values_list("resident_code", "consistency_digest")
        )
        sorted(cs)
        result["scan_seconds"] = round(time.perf_counter() - started, 3)
        result["scanned"] = len(scanned)
        transaction.set_rollback(True)
    result["ratio"] = round(result["seconds"] / result["scan_seconds"], 2) if result["scan_seconds"] else None
    result["differences_found"] = differences
    result["differences_planted"] = 3 * PLANTED
    return result

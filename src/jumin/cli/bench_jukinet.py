"""P6 of performance.md: 整合性確認 of a CS file against its prefecture (1,000,000 records ≤ 30 s, 2 cores).

``bench_consistency(records)`` bulk-inserts N synthetic prefecture records of one municipality, builds
the CS side from the same data with a few differences planted (changed, missing, extra), and times the
prefecture answering the whole chunk sequence exactly as the query answerer does (payload validation,
index read of (code, digest), merge, result log, audit). For scale it also times a plain sorted scan
of both sides. Everything runs in one transaction that is rolled back, so the database is left as it
was. Needs a configured Django with a migrated database.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
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


# --- P6 end to end: the CS's own run against its prefecture ------------------------------------------

#: The CS of the end-to-end figure: 長崎市, so that the CS records the registry figures (P3) create for
#: 佐世保市 in the same bench database are not part of its file.
CS_NODE = NodeRef("municipality", "422011")
PREFECTURE = NodeRef("prefecture", "420000")
_CS_SERIAL = 300_000_000  # codes 83xxxxxxxx…: clear of bench_consistency's and P10's synthetic codes
_CS_BATCH = 5_000


def _fast_digest(code: str) -> str:
    """A valid 22-character digest, cheap to compute a million times (the run never rebuilds it)."""
    return base64.urlsafe_b64encode(hashlib.sha256(code.encode("ascii")).digest()[:16]).decode()[:22]


def _raw_insert(template: Any, varying: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Insert rows like the model instance ``template`` with the ``varying`` attributes from each row.

    The build is not timed, but at 1,000,000 records the ORM's ``bulk_create`` of these 40-column
    models took about 1.5 ms per record on the shared machine (over 25 minutes): the template's
    values are prepared by the model fields once, and the rows go in with a plain ``executemany``.
    """
    from django.db import connection

    # The primary key is left to the database unless given (PostgreSQL refuses NULL in an identity column).
    fields = [f for f in type(template)._meta.concrete_fields if not f.primary_key or f.attname in varying]
    base = [field.get_db_prep_save(getattr(template, field.attname), connection) for field in fields]
    positions = [[field.attname for field in fields].index(name) for name in varying]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(type(template)._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        batch: list[list[Any]] = []
        for values in rows:
            row = list(base)
            for position, value in zip(positions, values, strict=True):
                row[position] = value
            batch.append(row)
            if len(batch) == _CS_BATCH:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _insert_cs(entries: list[Entry], municipality_code: str) -> None:
    """CS records: a version and the current row each, laid out by the CS models (``_raw_insert``)."""
    from django.db.models import Max

    from jumin.jukinet.cs.models import CsIdentity, CsIdentityVersion, RecordStatus

    now = timezone.now()
    today = timezone.localdate(now)
    version = CsIdentityVersion(
        name="試験\u3000太郎",
        birth_date="19800401",
        sex="male",
        municipality_code=municipality_code,
        address="長崎県長崎市桜町2番22号",
        change_reason="国内転入",
        change_date=today.isoformat(),
        request_number="bench",
        operator_id="bench",
        terminal_id="bench",
        update_seq=1,
        record_status=RecordStatus.CURRENT,
        timestamp=now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        retain_until=today.replace(year=today.year + 150, day=min(today.day, 28)),  # 150 years (C-70)
        created_at=now,
    )
    first = (CsIdentityVersion.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    _raw_insert(
        version,
        ("id", "resident_code", "digest"),
        ((first + i, code, digest) for i, (code, digest) in enumerate(entries)),
    )
    current = CsIdentity(
        update_seq=1,
        municipality_code=municipality_code,
        name=version.name,
        birth_date=version.birth_date,
        sex=version.sex,
        address=version.address,
    )
    _raw_insert(
        current,
        ("current_id", "resident_code", "digest", "items_digest"),
        ((first + i, code, digest, digest) for i, (code, digest) in enumerate(entries)),
    )


def _insert_held(entries: list[Entry], municipality_code: str) -> None:
    """The prefecture's records of the municipality (only code and digest vary; ``_raw_insert``)."""
    now = timezone.now()
    record = IdentityRecord(
        municipality_code=municipality_code,
        update_seq=1,
        name_key="ベンチ",
        birth_date="20000101",
        sex="female",
        address="長崎県長崎市",
        change_reason="国内転入",
        notice={"synthetic": True},  # the answerer reads only code and digest
        received_at=now,
        received_on=now.date(),
        sender_code=municipality_code,
    )
    _raw_insert(record, ("resident_code", "consistency_digest"), entries)


def _plain_scan(municipality_code: str) -> int:
    """The ratio's baseline: (code, digest) of both tables in code order with plain SQL, nothing else."""
    from django.db import connection

    from jumin.jukinet.cs.models import CsIdentity

    rows = 0
    with connection.cursor() as cursor:
        for table, column in ((CsIdentity._meta.db_table, "digest"),
                              (IdentityRecord._meta.db_table, "consistency_digest")):  # fmt: skip
            cursor.execute(
                f"SELECT resident_code, {column} FROM {table} "  # noqa: S608 (model table names)
                "WHERE municipality_code = %s AND removed = %s ORDER BY resident_code",
                [municipality_code, False],
            )
            while batch := cursor.fetchmany(_CS_BATCH):
                rows += len(batch)
    return rows


def bench_cs_consistency(records: int, base_dir: Path) -> dict[str, Any]:
    """P6 as the CS runs it: ``run_consistency`` of a CS file of ``records`` against its prefecture.

    The CS (長崎市) and the prefecture (長崎県) are an in-process ``TestFederation`` in this database:
    each chunk is signed by the CS, verified and answered by the prefecture's real query answerer
    (validation, index read, merge, run log, audit), and the signed answer is verified and its
    differences stored as the CS's worklist — only the socket is left out. The prefecture holds the
    same records with PLANTED changed digests, PLANTED missing and PLANTED extra. Timed: the whole
    ``run_consistency`` call; for the ratio, a plain sorted SQL scan of both tables. Everything is
    rolled back at the end; ``base_dir`` receives the two nodes' throwaway keys.
    """
    from jumin.cli.bench_provision import _staff
    from jumin.jukinet.cs.consistency import run_consistency
    from jumin.messaging.testing import TestFederation

    if records < 3 * PLANTED + 2:
        raise ValueError("too few records for the planted differences")
    cs = [(code, _fast_digest(code)) for code in map(_code, range(_CS_SERIAL, _CS_SERIAL + records))]
    held = list(cs)
    step = max(1, records // (3 * PLANTED + 1))
    for index in range(PLANTED):  # changed at the prefecture
        code, _ = held[(index + 1) * step]
        held[(index + 1) * step] = (code, _fast_digest(code + "x"))
    for index in range(PLANTED):  # missing at the prefecture
        del held[(PLANTED + index + 1) * step - index]
    held.extend((_code(_CS_SERIAL + records + i), _digest()) for i in range(PLANTED))  # extra there
    result: dict[str, Any] = {"records": records, "differences_planted": 3 * PLANTED}
    shutil.rmtree(base_dir, ignore_errors=True)
    with transaction.atomic(), TestFederation(base_dir, [CS_NODE, PREFECTURE]) as federation:
        started = time.perf_counter()
        _insert_cs(cs, CS_NODE.code)
        _insert_held(held, CS_NODE.code)
        result["build_seconds"] = round(time.perf_counter() - started, 3)
        operator = _staff("cs_operator", "cs")
        with federation.acting_as(CS_NODE):
            started, cpu_started = time.perf_counter(), time.process_time()
            (run,) = run_consistency(actor=operator, purpose="cs_operator", target="prefecture")
            result["seconds"] = round(time.perf_counter() - started, 3)
            result["cpu_seconds"] = round(time.process_time() - cpu_started, 3)
        started = time.perf_counter()
        result["scanned"] = _plain_scan(CS_NODE.code)
        result["scan_seconds"] = round(time.perf_counter() - started, 3)
        result.update(status=run.status, chunks=run.chunks, differences_found=run.differences)
        if run.error:
            result["error"] = run.error
        transaction.set_rollback(True)
    shutil.rmtree(base_dir, ignore_errors=True)
    ratio = result["seconds"] / result["scan_seconds"] if result["scan_seconds"] else None
    result.update(
        ratio=round(ratio, 2) if ratio is not None else None,
        target=30,
        met=run.status == "done" and result["seconds"] <= 30 and records >= 1_000_000,
        ratio_target=3,
        ratio_met=ratio is not None and ratio <= 3,
    )
    return result

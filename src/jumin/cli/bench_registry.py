"""Registry figures of performance.md: P1 (bulk load rate) and P3 (one 転入 committed).

Each ratio is measured in the same run, back to back, against the bare inserts of the same rows.
"""

from __future__ import annotations

import multiprocessing
import secrets
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.color import no_style
from django.db import connection, connections, transaction
from django.db.models import Max

from jumin.accounts.models import StaffPerson, User
from jumin.cli.bench import bench_dir, percentiles
from jumin.cli.demo_staff import provision_staff
from jumin.domain.checkdigits import check_digit_for
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import PersonFacts, ResidentKind, Sex
from jumin.domain.wareki import WarekiDate
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.population import write_population
from jumin.registry import numbering
from jumin.registry.importer import SNAPSHOT_COLUMNS, _Table, import_population
from jumin.registry.models import Change, Household, Resident, ResidentSearchKey, ResidentSnapshot
from jumin.registry.services import Address, MoveIn, commit_change, record_move_in

PURPOSE_COUNTER = "resident_counter"
PURPOSE_REVIEW = "resident_review"


def _bench_admin() -> User:
    user = User.objects.filter(username="bench-admin").first()
    if user is None:
        person = StaffPerson.objects.create(staff_number="BENCH-ADMIN", name="ベンチ管理者")
        user = User(username="bench-admin", display_name="ベンチ管理者", person=person, is_superuser=True)
        user.set_unusable_password()
        user.save()
    return user


def population_file(residents: int, *, seed: int = 1, municipality: str = "422029") -> tuple[Path, float]:
    """The synthetic import file for this size, generated once and reused, and the seconds spent on it."""
    path = bench_dir() / f"population-{municipality}-{residents}-s{seed}.jsonl"
    if path.exists():
        return path, 0.0
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        write_population(out, residents, municipality, seed=seed)
    partial.rename(path)
    return path, time.perf_counter() - started


def _rows(model: Any, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    quote = connection.ops.quote_name
    names = [quote(model._meta.get_field(c).column) for c in columns]
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(names)} FROM {table} ORDER BY id")  # noqa: S608 (model names only)
        return list(cursor.fetchall())


class _Rollback(Exception):  # noqa: N818 (control flow, not an error)
    pass


def measure_bulk_load(residents: int) -> dict[str, Any]:
    """P1: residents/s loaded from the import layout, and the ratio to raw executemany of the same rows."""
    path, generated_s = population_file(residents)
    started = time.perf_counter()
    result = import_population(path, actor=_bench_admin())
    elapsed = time.perf_counter() - started
    rate = result.residents / elapsed

    # Every table the load writes, every column: the baseline inserts exactly the same rows.
    tables = [
        (model, tuple(field.name for field in model._meta.concrete_fields))
        for model in (Household, Resident, ResidentSnapshot, ResidentSearchKey)
    ]
    data = [(model, columns, _rows(model, columns)) for model, columns in tables]
    raw_s = 0.0
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Raw deletes: foreign keys are deferred until commit, which never comes (rolled back).
                for model, _, _ in reversed(data):
                    table = connection.ops.quote_name(model._meta.db_table)
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a model's table name)
                start_raw = time.perf_counter()
                for model, columns, rows in data:
                    cursor.executemany(_Table(model, columns).sql, rows)
                raw_s = time.perf_counter() - start_raw
            raise _Rollback
    except _Rollback:
        pass
    ratio = elapsed / raw_s if raw_s else None
    return {
        "what": "bulk load from the import layout (snapshots, search keys, encrypted 個人番号, audit)",
        "residents": result.residents,
        "seconds": round(elapsed, 2),
        "rate_per_s": round(rate),
        "raw_executemany_seconds": round(raw_s, 2),
        "ratio": round(ratio, 2) if ratio else None,
        "file_generation_seconds": round(generated_s, 1),
        "target": ">= 20000 residents/s; ratio <= 3",
        "met": rate >= 20_000 and ratio is not None and ratio <= 3,
    }


def _household(serial: int) -> list[PersonFacts]:
    def member(given: str, kana: str, relation: str, born: WarekiDate, sex: Sex) -> PersonFacts:
        return PersonFacts(
            kind=ResidentKind.JAPANESE,
            surname="青木",
            given_name=given,
            surname_kana="アオキ",
            given_name_kana=kana,
            birth_date=born,
            sex=sex,
            relationship=parse_relationship(relation),
            honseki="長崎県佐世保市八幡町1番地",
            hittousha="青木　太郎",
        )

    return [
        member("太郎", "タロウ", "世帯主", WarekiDate("showa", 35 + serial % 20, 4, 1), Sex.MALE),
        member("花子", "ハナコ", "妻", WarekiDate("showa", 37 + serial % 20, 8, 15), Sex.FEMALE),
        member("三奈", "ミナ", "子", WarekiDate("heisei", 4 + serial % 20, 9, 9), Sex.FEMALE),
    ]


def _clerk_pair(admin: User) -> tuple[User, User]:
    """A counter clerk who enters and a reviewer who commits, each with a real grant of their duty."""
    suffix = secrets.token_hex(3)
    clerk = provision_staff(
        admin=admin,
        username=f"bench-clerk-{suffix}",
        name="窓口 一郎",
        staff_number=f"BC-{suffix}",
        duty=PURPOSE_COUNTER,
    ).user
    reviewer = provision_staff(
        admin=admin,
        username=f"bench-review-{suffix}",
        name="審査 二郎",
        staff_number=f"BR-{suffix}",
        duty=PURPOSE_REVIEW,
    ).user
    return clerk, reviewer


def _move_in_runner(clerk: User, reviewer: User, *, first_serial: int = 0) -> Callable[[], None]:
    """One 転入 per call: the clerk enters a new household's draft, the reviewer commits it."""
    serial = first_serial

    def one_move_in() -> None:
        nonlocal serial
        serial += 1
        draft = record_move_in(
            actor=clerk,
            purpose=PURPOSE_COUNTER,
            move_in=MoveIn(
                members=_household(serial),
                address=Address(address=f"長崎県佐世保市相生町{serial}番1号", postal_code="8570044"),
                move_in_date=date(2026, 11, 1),
                notification_date=date(2026, 11, 5),
                previous_address="東京都日野市神明1丁目1番1号",
            ),
        )
        commit_change(actor=reviewer, purpose=PURPOSE_REVIEW, change_id=draft.change_id)

    return one_move_in


def measure_move_in(count: int = 300, warmup: int = 20, clients: int = 0) -> dict[str, Any]:
    """P3: one 転入 of a 3-person household entered and committed (two services, audit, pool), p50/p95/p99.

    ``clients`` > 1 also measures the sustained rate of that many processes entering 転入 at once
    (``measure_concurrent_move_ins``), reported under ``concurrent``.
    """
    admin = _bench_admin()
    clerk, reviewer = _clerk_pair(admin)
    numbering.load_code_pool([_pool_code() for _ in range((count + warmup) * 3 + 100)])
    one_move_in = _move_in_runner(clerk, reviewer)
    for _ in range(warmup):
        one_move_in()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        one_move_in()
        samples.append((time.perf_counter() - started) * 1000)
    stats = percentiles(samples)
    bare = percentiles(_bare_inserts(count))
    ratio = stats["p95_ms"] / bare["p95_ms"] if bare["p95_ms"] else None
    result: dict[str, Any] = {
        "what": "転入 of a 3-person household: draft + commit (snapshots, numbers, code pool, audit)",
        **stats,
        "bare_inserts_p95_ms": bare["p95_ms"],
        "ratio": round(ratio, 2) if ratio else None,
        "target": "p95 <= 50 ms; ratio <= 4 (and >= 100/s sustained on PostgreSQL)",
        "sustained_per_s": round(1000 / stats["p50_ms"], 1),
        "met": stats["p95_ms"] <= 50 and ratio is not None and ratio <= 4,
    }
    if clients > 1:
        result["concurrent"] = measure_concurrent_move_ins(count, clients=clients, warmup=warmup)
    return result


def measure_concurrent_move_ins(count: int, *, clients: int, warmup: int = 20) -> dict[str, Any]:
    """P3 sustained: ``clients`` processes, each with its own two clerks, enter ``count`` 転入 in all.

    The processes start together after their warm-up; the rate is the 転入 committed over the time
    from the start to the last process's end. A refused or failed 転入 (a lock timeout, a deadlock)
    is counted by its error, not retried, so the rate only counts what was committed.
    """
    admin = _bench_admin()
    pairs = [_clerk_pair(admin) for _ in range(clients)]
    numbering.load_code_pool([_pool_code() for _ in range((count + warmup * clients) * 3 + 100)])
    per_client = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]
    context = multiprocessing.get_context("fork")  # the children keep Django's set-up
    start = context.Barrier(clients + 1)
    results = context.Queue()
    connections.close_all()  # never share a database connection with a child
    workers = [
        context.Process(
            target=_concurrent_client,
            args=(clerk, reviewer, (i + 1) * 1_000_000, warmup, n, start, results),
        )
        for i, ((clerk, reviewer), n) in enumerate(zip(pairs, per_client, strict=True))
    ]
    for worker in workers:
        worker.start()
    start.wait()
    started = time.perf_counter()
    reports = [results.get() for _ in workers]
    elapsed = max(report["ended"] for report in reports) - started
    for worker in workers:
        worker.join()
    samples = [sample for report in reports for sample in report["samples_ms"]]
    errors: dict[str, int] = {}
    for report in reports:
        for name, n in report["errors"].items():
            errors[name] = errors.get(name, 0) + n
    rate = len(samples) / elapsed if elapsed else 0.0
    return {
        "clients": clients,
        **(percentiles(samples) if len(samples) > 1 else {"count": len(samples)}),
        "seconds": round(elapsed, 2),
        "rate_per_s": round(rate, 1),
        "cpu_ms_per_move_in": round(sum(r["cpu_s"] for r in reports) / max(len(samples), 1) * 1000, 1),
        "errors": errors,
        "target": ">= 100/s sustained on PostgreSQL",
        "met": rate >= 100 and not errors,
    }


def _concurrent_client(
    clerk: User,
    reviewer: User,
    first_serial: int,
    warmup: int,
    count: int,
    start: Any,
    results: Any,
) -> None:
    """One process of ``measure_concurrent_move_ins``: warm up, wait for the others, measure."""
    one_move_in = _move_in_runner(clerk, reviewer, first_serial=first_serial)
    for _ in range(warmup):
        one_move_in()
    start.wait()
    cpu_started = time.process_time()
    samples: list[float] = []
    errors: dict[str, int] = {}
    for _ in range(count):
        started = time.perf_counter()
        try:
            one_move_in()
        except Exception as error:  # counted and reported: the figure's errors
            name = getattr(error, "code", None) or type(error).__name__
            errors[str(name)] = errors.get(str(name), 0) + 1
            continue
        samples.append((time.perf_counter() - started) * 1000)
    report = {
        "samples_ms": samples,
        "errors": errors,
        "cpu_s": time.process_time() - cpu_started,
        "ended": time.perf_counter(),
    }
    connections.close_all()
    results.put(report)


def _pool_code() -> str:
    """A random 住民票コード passing the CS's check digit, so each 転入 goes to the CS as in production.

    Before 2026-11-24 the pool held eleven random digits; most failed the CS's check, so a measured commit
    wrote a CS未連携 row instead of the CS update (P3 under-counted a real 転入 by 3–6 statements).
    """
    base = f"{secrets.randbelow(10**10):010d}"
    return base + check_digit_for("juminhyo", base, juminhyo_rule=RESIDENT_CODE_RULE)


def _bare_inserts(count: int) -> list[float]:
    """The rows one 転入 writes (change, household, 3 people, 3 snapshots), raw, one transaction each."""
    template_change = Change.objects.order_by("-id").first()
    assert template_change is not None
    snapshots = _rows(ResidentSnapshot, SNAPSHOT_COLUMNS)[-3:]
    change_columns = (
        "id",
        "reason",
        "state",
        "change_date",
        "notification_date",
        "notification_kind",
        "made_by",
        "made_at",
        "reviewed_by",
        "reviewed_at",
        "terminal_id",
    )
    change_row = _rows(Change, change_columns)[-1]
    change_table, household_table = (
        _Table(Change, change_columns),
        _Table(Household, ("id", "number", "created_at")),
    )
    resident_table = _Table(Resident, ("id", "atena_number", "kind", "created_at", "current"))
    snapshot_table = _Table(ResidentSnapshot, SNAPSHOT_COLUMNS)
    run = secrets.token_hex(3)  # bare rows are committed, like the measured ones: keep numbers unique per run
    samples = []
    for i in range(count):
        ids = {
            m: int(m._default_manager.aggregate(last=Max("id"))["last"] or 0) + 1
            for m in (Change, Household, Resident, ResidentSnapshot)
        }
        started = time.perf_counter()
        with transaction.atomic():
            change_table.insert([(ids[Change], *change_row[1:])])
            household_table.insert([(ids[Household], f"B{run}{i:06d}", change_row[7])])
            resident_table.insert(
                [
                    (ids[Resident] + k, f"B{run}{i:05d}{k}", "J", change_row[7], ids[ResidentSnapshot] + k)
                    for k in range(3)
                ]
            )
            snapshot_table.insert(
                [
                    (
                        ids[ResidentSnapshot] + k,
                        ids[Resident] + k,
                        ids[Change],
                        1,
                        *row[4:18],
                        ids[Household],
                        *row[19:],
                    )
                    for k, row in enumerate(snapshots)
                ]
            )
        samples.append((time.perf_counter() - started) * 1000)
    _move_id_sequences_past(Change, Household, Resident, ResidentSnapshot)
    return samples


def _move_id_sequences_past(*models: Any) -> None:
    """PostgreSQL: the bare rows carry explicit ids, so later ORM inserts (P4) must start after them."""
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)

"""Benchmark P2 (performance.md): warm 4情報 / kana-folded searches through ``search_residents``.

``measure_search`` assumes the database already holds a bulk-imported population
(``importer.import_population``). It times realistic searches through the real selector (real
actor, real grant, authorisation and the audit entry each search writes) and, back to back, the
equivalent raw indexed SELECT alone, and reports the ratio and the sizes of the search-key indexes.
"""

from __future__ import annotations

import random
import secrets
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.db import connection

from jumin.accounts import clock
from jumin.accounts.models import Grant, GrantApplication, GrantRegisterEntry, StaffPerson, User
from jumin.accounts.permissions import Permission
from jumin.audit import listings
from jumin.domain.resident import ResidentStatus
from jumin.registry.models import ResidentSearchKey
from jumin.registry.search import NameMatch, SearchCriteria, search_residents

__all__ = ["measure_search"]

PURPOSE = "resident_counter"
_LIMIT = 200


def _user(username: str, name: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        person = StaffPerson.objects.create(staff_number=f"B-{secrets.token_hex(4)}", name=name)
        user = User(username=username, display_name=name, person=person)
        user.set_unusable_password()
        user.save()
    return user


def bench_searcher() -> User:
    """A staff account holding a real approved grant of RESIDENT_SEARCH (as tests/helpers/accounts.py)."""
    suffix = secrets.token_hex(3)
    user = _user(f"bench-search-{suffix}", "検索 三郎")
    requester = _user("bench-search-section-head", "係長 一郎")
    approver = _user("bench-search-it-head", "情報政策課長 二郎")
    today = clock.today()
    application = GrantApplication.objects.create(
        grantee=user,
        duty=PURPOSE,
        starts_on=today,
        ends_on=clock.fiscal_year_end(today),
        requested_by=requester,
        status=GrantApplication.Status.APPROVED,
        decided_by=approver,
        decided_at=clock.now(),
    )
    grant = Grant.objects.create(
        application=application,
        user=user,
        duty=PURPOSE,
        permissions=[Permission.RESIDENT_SEARCH.value],
        starts_on=application.starts_on,
        ends_on=application.ends_on,
    )
    GrantRegisterEntry.objects.create(
        kind=GrantRegisterEntry.Kind.GRANTED,
        grant=grant,
        staff_number=user.person.staff_number if user.person else "",
        duty=PURPOSE,
        permissions=grant.permissions,
        starts_on=grant.starts_on,
        ends_on=grant.ends_on,
        reason="benchmark P2",
    )
    return user


def _percentiles(samples_ms: list[float]) -> dict[str, float | int]:
    cuts = statistics.quantiles(sorted(samples_ms), n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49], 4),
        "p95_ms": round(cuts[94], 4),
        "p99_ms": round(cuts[98], 4),
        "count": len(samples_ms),
    }


_Query = tuple[SearchCriteria, str, list[object]]


def _queries(sample: int, seed: int) -> list[_Query]:
    """Realistic searches built from living people: (criteria, raw WHERE clause, raw parameters)."""
    rows = list(
        ResidentSearchKey.objects.filter(kind="name", is_current_name=True, status=ResidentStatus.RESIDENT)
        .exclude(full_key="")
        .exclude(address_code="")
        .order_by("id")
        .values_list(
            "full_key",
            "surname_key",
            "birth_sort_date",
            "address_code",
            "variant_key",
            "snapshot__surname",
            "snapshot__given_name",
        )[: sample * 20]
    )
    # A kana prefix needs two characters to be a valid search (one-character surnames such as イ exist).
    rows = [row for row in rows if len(row[1]) >= 2 and len(row[0]) >= 2]
    if not rows:
        raise RuntimeError("P2 needs a bulk-imported population (jumin bench loads one first)")
    chosen = random.Random(seed).sample(rows, min(sample, len(rows)))  # noqa: S311 (not security)
    postgres = connection.vendor == "postgresql"
    prefix_sql = "k.full_key LIKE %s" if postgres else "k.full_key >= %s AND k.full_key < %s"

    def prefix(value: str) -> list[object]:
        return [value + "%"] if postgres else [value, value + "\U0010ffff"]

    queries: list[_Query] = []
    for n, (full, surname, born, code, variant, kanji_surname, kanji_given) in enumerate(chosen):
        born_day: date = born
        shape = n % 4
        if shape == 0:  # full kana name + birth date
            criteria = SearchCriteria(kana_name=full, birth_date=born_day.isoformat(), limit=_LIMIT)
            queries.append(
                (
                    criteria,
                    "k.full_key = %s AND k.birth_sort_date BETWEEN %s AND %s",
                    [full, born_day, born_day],
                )
            )
        elif shape == 1:  # surname prefix + birth year
            head = surname[:2]
            start, end = date(born_day.year, 1, 1), date(born_day.year, 12, 31)
            criteria = SearchCriteria(
                kana_name=head, name_mode=NameMatch.PREFIX, birth_date=str(born_day.year), limit=_LIMIT
            )
            queries.append(
                (
                    criteria,
                    f"{prefix_sql} AND k.birth_sort_date BETWEEN %s AND %s",
                    [*prefix(head), start, end],
                )
            )
        elif shape == 2:  # address code + kana prefix
            head = full[:2]
            criteria = SearchCriteria(
                kana_name=head, name_mode=NameMatch.PREFIX, address_code=code, limit=_LIMIT
            )
            queries.append((criteria, f"k.address_code = %s AND {prefix_sql}", [code, *prefix(head)]))
        else:  # kanji name (variant-folded) + birth date
            criteria = SearchCriteria(
                kanji_name=kanji_surname + kanji_given, birth_date=born_day.isoformat(), limit=_LIMIT
            )
            queries.append(
                (
                    criteria,
                    "k.variant_key = %s AND k.birth_sort_date BETWEEN %s AND %s",
                    [variant, born_day, born_day],
                )
            )
    return queries


def _raw_runner() -> Callable[[str, list[object]], None]:
    quote = connection.ops.quote_name
    key = quote(ResidentSearchKey._meta.db_table)
    snapshot = quote("registry_residentsnapshot")
    resident = quote("registry_resident")
    household = quote("registry_household")
    # Table names come from the models, never from input.
    head = (
        "SELECT r.atena_number, s.surname, s.given_name, s.surname_kana, s.given_name_kana, s.birth_date, "  # noqa: S608
        f"s.sex, s.address, s.katagaki, s.status, h.number FROM {key} k "
        f"JOIN {snapshot} s ON s.id = k.snapshot_id JOIN {resident} r ON r.id = k.resident_id "
        f"JOIN {household} h ON h.id = k.household_id WHERE "
    )
    # The same row filters search_residents adds: current address rows, no 除票.
    tail = f" AND k.is_current_address = %s AND k.status <> %s LIMIT {_LIMIT + 1}"

    def run(where: str, params: list[object]) -> None:
        values: list[Any] = [*params, True, ResidentStatus.REMOVED.value]
        with connection.cursor() as cursor:
            cursor.execute(head + where + tail, values)
            cursor.fetchall()

    return run


def _index_sizes_mib() -> dict[str, float]:
    table = ResidentSearchKey._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, pg_relation_size(quote_ident(indexname)::regclass) FROM pg_indexes "
                "WHERE tablename = %s UNION ALL SELECT %s, pg_relation_size(%s::regclass)",
                [table, table, table],
            )
            sizes = cursor.fetchall()
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE tbl_name = %s", [table])
            names = [row[0] for row in cursor.fetchall()]
            try:
                cursor.execute(
                    f"SELECT name, SUM(pgsize) FROM dbstat WHERE name IN ({', '.join(['%s'] * len(names))}) "  # noqa: S608
                    "GROUP BY name",
                    names,
                )
                sizes = cursor.fetchall()
            except Exception:  # dbstat is a compile-time option of SQLite
                cursor.execute("PRAGMA page_size")
                page = cursor.fetchone()[0]
                cursor.execute("PRAGMA page_count")
                total = cursor.fetchone()[0] * page
                sizes = [("whole database (dbstat unavailable)", total)]
    return {str(name): round(int(size or 0) / 2**20, 2) for name, size in sizes}


@contextmanager
def _listing_indexer(interval: float = 0.5) -> Iterator[list[int]]:
    """Run ``listings.index_listed`` in a thread every ``interval`` seconds; yields [rows copied]."""
    stop = threading.Event()
    copied = [0]

    def run() -> None:
        try:
            while not stop.wait(interval):
                copied[0] += listings.index_listed(max_batches=listings.BATCHES_PER_ROUND)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=run, name="listing-indexer", daemon=True)
    thread.start()
    try:
        yield copied
    finally:
        stop.set()
        thread.join()


def measure_search(
    count: int = 600, *, warmup: int = 60, seed: int = 2, minimum: int = 500, index_listings: bool = False
) -> dict[str, Any]:
    """P2: p50/p95/p99 of warm searches through ``search_residents`` and the ratio to the raw SELECT.

    Four realistic shapes in rotation: full kana name + birth date; surname prefix + birth year;
    address code + kana prefix; kanji name (variant-folded) + birth date. Each timed search authorises,
    reads and writes its audit entry. Each query is timed once through the selector and once raw, back
    to back, in alternating order (the first of the two pays for reading the rows' pages).
    With ``index_listings`` (``jumin bench``) a thread copies the searches' result lists into the
    per-person index meanwhile, every half second, as a node's worker does (``audit.listings``): its
    write transactions compete with the searches' as they would in service.
    ``minimum`` (500 for P2) is lowered only by the smoke test.
    """
    if index_listings:
        with _listing_indexer() as copied:
            result = measure_search(count, warmup=warmup, seed=seed, minimum=minimum)
        return {**result, "listed_rows_indexed_meanwhile": copied[0]}
    count = max(count, minimum)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(ResidentSearchKey._meta.db_table)}")
    actor = bench_searcher()
    queries = _queries(min(count, 3000), seed)
    raw = _raw_runner()
    for criteria, where, params in queries[:warmup]:
        search_residents(actor=actor, purpose=PURPOSE, criteria=criteria)
        raw(where, params)
    search_ms: list[float] = []
    raw_ms: list[float] = []
    for n in range(count):
        criteria, where, params = queries[n % len(queries)]

        def timed_search(criteria: SearchCriteria = criteria) -> None:
            started = time.perf_counter()
            search_residents(actor=actor, purpose=PURPOSE, criteria=criteria)
            search_ms.append((time.perf_counter() - started) * 1000)

        def timed_raw(where: str = where, params: list[object] = params) -> None:
            started = time.perf_counter()
            raw(where, params)
            raw_ms.append((time.perf_counter() - started) * 1000)

        # Whichever runs first reads the pages of its rows from the OS into SQLite's small page cache and
        # the second finds them there; alternating gives each side the cold first read half the time.
        first, second = (timed_search, timed_raw) if n % 2 == 0 else (timed_raw, timed_search)
        first()
        second()
    stats = _percentiles(search_ms)
    raw_stats = _percentiles(raw_ms)
    ratio = stats["p95_ms"] / raw_stats["p95_ms"] if raw_stats["p95_ms"] else None
    return {
        "what": "住民検索 through search_residents (authorise, read, marks, audit, sealed history): "
        "kana name + birth date; surname prefix + birth year; address code + kana prefix; "
        "kanji name + birth date",
        **stats,
        "raw_p95_ms": raw_stats["p95_ms"],
        "raw_p50_ms": raw_stats["p50_ms"],
        "ratio": round(ratio, 2) if ratio else None,
        "index_sizes_mib": _index_sizes_mib(),
        "engine": connection.vendor,
        "target": "p95 <= 20 ms; ratio <= 2",
        "met": stats["p95_ms"] <= 20 and ratio is not None and ratio <= 2,
    }

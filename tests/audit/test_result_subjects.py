"""A search's result list as audit rows (C-48): written in order in one statement, checked as a whole,
and tied to an existing entry on both engines (PostgreSQL: one check per statement, audit 0010)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from jumin.audit.chain import SEPARATOR
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.audit.services import AuditFieldError, record_results

pytestmark = pytest.mark.django_db

TABLE = AuditResultSubject._meta.db_table


def _listed(entry: AuditEntry) -> list[str]:
    return list(entry.result_subjects.order_by("position").values_list("subject_id", flat=True))


def test_the_list_is_kept_in_order_with_any_plain_text() -> None:
    ids = [f"{n:012d}" for n in range(300)] + ['quote"d', "back\\slash", "宛名-1", "x" * 64]
    entry = record_results(None, "resident", ids, "resident_counter", "atena_number")
    assert _listed(entry) == ids
    assert list(entry.result_subjects.order_by("position").values_list("position", flat=True)) == list(
        range(len(ids))
    )


@pytest.mark.parametrize("bad", ["", "x" * 65, "a\x00b", f"a{SEPARATOR}b"])
def test_one_bad_id_refuses_the_whole_list_and_writes_nothing(bad: str) -> None:
    before = (AuditEntry.objects.count(), AuditResultSubject.objects.count())
    with pytest.raises(AuditFieldError), transaction.atomic():
        record_results(
            None, "resident", ["000000000019", bad, "000000000027"], "resident_counter", "atena_number"
        )
    assert (AuditEntry.objects.count(), AuditResultSubject.objects.count()) == before


def _insert_rows(rows: list[tuple[int, int, str]]) -> None:
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (entry_id, position, subject_id) VALUES {values}",  # noqa: S608 (fixed name)
            [value for row in rows for value in row],
        )
    # SQLite's foreign key is deferred to the commit: check it now, as the commit would.
    connection.check_constraints(table_names=[TABLE])


def test_a_row_naming_no_entry_is_refused() -> None:
    entry = record_results(None, "resident", ["000000000019"], "resident_counter", "atena_number")
    missing = entry.pk + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_rows([(missing, 0, "000000000027")])
    assert not AuditResultSubject.objects.filter(entry_id=missing).exists()


def test_one_orphan_row_refuses_the_whole_statement() -> None:
    entry = record_results(None, "resident", ["000000000019"], "resident_counter", "atena_number")
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_rows([(entry.pk, 1, "000000000027"), (entry.pk + 1000, 0, "000000000035")])
    assert _listed(entry) == ["000000000019"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's check is a statement trigger")
def test_postgresql_checks_per_statement_not_per_row() -> None:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE]
        )
        triggers = {row[0] for row in cursor.fetchall()}
    assert not [name for name, info in constraints.items() if info["foreign_key"]]
    assert "audit_result_entry_exists" in triggers

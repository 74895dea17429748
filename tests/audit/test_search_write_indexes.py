"""The tables a search writes carry no redundant index (audit 0009, registry 0047; P2), and dropping
the index left the result table's append-only guard in place (a table rebuild would have lost it)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from jumin.audit.models import AuditResultSubject
from jumin.audit.services import record_results
from jumin.registry.models import SearchHistoryEntry

pytestmark = pytest.mark.django_db


def _indexes(table: str) -> dict[str, dict[str, object]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name: info for name, info in constraints.items() if info["index"] or info["unique"]}


@pytest.mark.parametrize(
    ("model", "column", "covering"),
    [
        (AuditResultSubject, "entry_id", ["entry_id", "position"]),
        (SearchHistoryEntry, "user_id", ["user_id", "created_at"]),
    ],
)
def test_the_foreign_key_is_served_by_the_wider_index_only(
    model: type, column: str, covering: list[str]
) -> None:
    indexes = _indexes(model._meta.db_table)
    assert [name for name, info in indexes.items() if info["columns"] == [column]] == []
    assert any(info["columns"] == covering for info in indexes.values())


def test_result_rows_are_still_append_only(django_user_model: type) -> None:
    actor = django_user_model.objects.create(username="index-check")
    entry = record_results(actor, "resident", ["000000000019"], "resident_counter", "atena_number")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditResultSubject.objects.filter(entry=entry).update(subject_id="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditResultSubject.objects.filter(entry=entry).delete()
    assert list(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)) == [
        "000000000019"
    ]

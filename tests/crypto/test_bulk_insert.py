"""``insert_objects``: rows as ``bulk_create`` writes them (encrypted 個人番号 included), keys set."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from jumin.bulk_insert import insert_objects
from jumin.crypto.individual_number import blind_index
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion
from tests.crypto.conftest import TEST_NUMBER, valid_number
from tests.crypto.testapp.models import IndividualNumberTestRecord

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)


def test_encrypted_numbers_are_stored_as_the_orm_stores_them() -> None:
    records = []
    for n in range(3):
        record = IndividualNumberTestRecord(label=f"r{n}")
        record.set_individual_number(valid_number(f"{12345678900 + n:011d}"))
        records.append(record)
    insert_objects(records)
    assert all(record.pk is not None and not record._state.adding for record in records)
    for n, record in enumerate(records):
        reloaded = IndividualNumberTestRecord.objects.get(pk=record.pk)
        assert reloaded.label == f"r{n}"
        assert reloaded.get_individual_number() == valid_number(f"{12345678900 + n:011d}")
    found = IndividualNumberTestRecord.objects.filter_by_individual_number(TEST_NUMBER)  # the second one's
    assert list(found.values_list("pk", flat=True)) == [records[1].pk]
    with connection.cursor() as cursor:  # never the plain digits in the column
        cursor.execute(f"SELECT individual_number FROM {IndividualNumberTestRecord._meta.db_table}")  # noqa: S608
        assert all(not str(value).isdigit() for (value,) in cursor.fetchall())
    assert records[0].individual_number_index == blind_index(valid_number("12345678900"))


def _record(code: str) -> IdentityRecord:
    return IdentityRecord(
        resident_code=code,
        municipality_code="422029",
        update_seq=1,
        name_key="シケン",
        birth_date="19800401",
        sex="male",
        address="長崎県佐世保市相生町1番1号",
        change_reason="国内転入",
        notice={"name": "試験\u3000太郎", "update_seq": 1},
        consistency_digest="d" * 22,
        received_at=NOW,
        received_on=NOW.date(),
        sender_code="422029",
    )


def test_more_rows_than_one_statement_takes_get_their_own_keys_and_related_keys() -> None:
    records = [_record(f"{70000000000 + n}") for n in range(250)]  # 999 parameters hold about 40 rows
    versions = [
        IdentityVersion(
            record=record,
            resident_code=record.resident_code,
            municipality_code="422029",
            update_seq=1,
            change_reason="国内転入",
            notice=record.notice,
            consistency_digest=record.consistency_digest,
            message_id=f"00000000-0000-4000-8000-{n:012d}",
            sender_code="422029",
            received_at=NOW,
        )
        for n, record in enumerate(records)
    ]
    insert_objects(records)
    insert_objects(versions)  # the versions were built while their records had no key yet
    assert len({record.pk for record in records}) == 250
    stored = dict(IdentityRecord.objects.values_list("resident_code", "pk"))
    assert all(stored[record.resident_code] == record.pk for record in records)
    for version, record in zip(versions, records, strict=True):
        assert version.record_id == record.pk
    pairs = set(IdentityVersion.objects.values_list("record__resident_code", "record_id"))
    assert pairs == {(record.resident_code, record.pk) for record in records}
    assert IdentityRecord.objects.get(pk=records[7].pk).notice == {"name": "試験\u3000太郎", "update_seq": 1}


def test_objects_of_two_models_are_refused_and_nothing_is_written() -> None:
    with pytest.raises(TypeError):
        insert_objects([_record("70000000001"), IndividualNumberTestRecord(label="x")])
    assert not IdentityRecord.objects.exists()


def _stored_rows(model: type[IdentityRecord] | type[IdentityVersion]) -> list[tuple[object, ...]]:
    columns = [field.column for field in model._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)} ORDER BY id"  # noqa: S608
        )
        return [tuple(row) for row in cursor.fetchall()]


def test_the_stored_values_equal_bulk_create_s_for_plain_and_prepared_fields() -> None:
    """Plain str/int/bool values skip the field machinery; the columns must still hold what the ORM writes."""

    def batch(offset: int) -> list[IdentityRecord]:
        records = [_record(f"{70000000000 + offset + n}") for n in range(3)]
        records[1].update_seq = True  # not the column's plain type: goes through the field (stored as 1)
        records[2].address = ""
        records[2].removed_at = NOW
        return records

    IdentityRecord.objects.bulk_create(batch(0))
    by_orm = _stored_rows(IdentityRecord)
    IdentityRecord.objects.all().delete()
    insert_objects(batch(0))
    assert _stored_rows(IdentityRecord) == by_orm

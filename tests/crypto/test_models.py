"""HasIndividualNumber, the two fields, lookup by blind index, and the crypto.E001 system check."""

from __future__ import annotations

import pytest
from django.db import connection, models
from django.test.utils import isolate_apps

from jumin.crypto.checks import check_no_plaintext_individual_number_columns, plaintext_column_errors
from jumin.crypto.fields import IndividualNumberField, IndividualNumberIndexField
from jumin.crypto.individual_number import DecryptionError, EncryptedIndividualNumber, blind_index
from jumin.crypto.models import HasIndividualNumber, filter_by_individual_number
from jumin.domain.errors import DomainError
from tests.crypto.conftest import OTHER_NUMBER, TEST_NUMBER
from tests.crypto.testapp.models import IndividualNumberTestRecord, OtherPurposeRecord

pytestmark = pytest.mark.django_db


def raw_column(model: type[models.Model], pk: object, column: str = "individual_number") -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def make(number: str | None = TEST_NUMBER, label: str = "") -> IndividualNumberTestRecord:
    record = IndividualNumberTestRecord(label=label)
    record.set_individual_number(number)
    record.save()
    return record


def test_a_saved_number_decrypts_after_reloading() -> None:
    record = make()
    reloaded = IndividualNumberTestRecord.objects.get(pk=record.pk)
    assert isinstance(reloaded.individual_number, EncryptedIndividualNumber)
    assert reloaded.get_individual_number() == TEST_NUMBER
    assert reloaded.has_individual_number


def test_the_raw_column_holds_ciphertext_not_the_number() -> None:
    record = make()
    stored = raw_column(IndividualNumberTestRecord, record.pk)
    assert stored.startswith("v1:")
    assert TEST_NUMBER not in stored
    index = raw_column(IndividualNumberTestRecord, record.pk, "individual_number_index")
    assert index == blind_index(TEST_NUMBER)
    assert TEST_NUMBER not in index


def test_no_number_stores_nulls() -> None:
    record = make(None)
    reloaded = IndividualNumberTestRecord.objects.get(pk=record.pk)
    assert reloaded.individual_number is None
    assert reloaded.individual_number_index is None
    assert reloaded.get_individual_number() is None
    assert not reloaded.has_individual_number


def test_lookup_by_number_uses_the_blind_index() -> None:
    wanted = make(TEST_NUMBER, "wanted")
    make(OTHER_NUMBER, "other")
    make(None, "none")
    found = filter_by_individual_number(IndividualNumberTestRecord.objects.all(), "1234-5678-9018")
    assert list(found) == [wanted]
    assert list(IndividualNumberTestRecord.objects.filter_by_individual_number(TEST_NUMBER)) == [wanted]
    assert not filter_by_individual_number(IndividualNumberTestRecord.objects.all(), "222222222225").exists()


def test_an_invalid_number_is_refused_and_leaves_the_record_unchanged() -> None:
    record = make()
    before = record.individual_number
    with pytest.raises(DomainError):
        record.set_individual_number("123456789012")
    assert record.individual_number == before


def test_plaintext_is_refused_on_save_and_in_filters() -> None:
    record = IndividualNumberTestRecord(label="plain")
    record.individual_number = TEST_NUMBER  # type: ignore[assignment]
    with pytest.raises(ValueError, match="平文") as caught:
        record.save()
    assert TEST_NUMBER not in str(caught.value)
    with pytest.raises(ValueError, match="平文"):
        IndividualNumberTestRecord.objects.filter(individual_number=TEST_NUMBER).exists()
    with pytest.raises(ValueError, match="blind_index"):
        IndividualNumberTestRecord.objects.filter(individual_number_index=TEST_NUMBER).exists()
    with pytest.raises(ValueError, match="平文"):
        IndividualNumberTestRecord.objects.update(individual_number=TEST_NUMBER)


def test_each_model_binds_its_values_to_its_own_purpose() -> None:
    record = make()
    other = OtherPurposeRecord()
    other.set_individual_number(TEST_NUMBER)
    other.save()
    assert OtherPurposeRecord.individual_number_purpose() == "crypto_testapp.other"
    assert OtherPurposeRecord.objects.get(pk=other.pk).get_individual_number() == TEST_NUMBER
    # Copying the ciphertext into a column with another purpose does not make it readable there.
    OtherPurposeRecord.objects.filter(pk=other.pk).update(individual_number=record.individual_number)
    with pytest.raises(DecryptionError):
        OtherPurposeRecord.objects.get(pk=other.pk).get_individual_number()


def test_repr_and_str_never_show_the_number() -> None:
    record = make(label="x")
    texts = [repr(record), str(record), repr(record.individual_number), str(record.individual_number)]
    texts.append(repr(IndividualNumberTestRecord.objects.all()))
    for text in texts:
        assert TEST_NUMBER not in text
    assert repr(record) == f"<IndividualNumberTestRecord pk={record.pk!r}>"


def test_the_fields_deconstruct_without_defaults_and_keep_the_purpose() -> None:
    field = IndividualNumberField(purpose="registry.resident", null=True)
    _, path, _, kwargs = field.deconstruct()
    assert path == "jumin.crypto.fields.IndividualNumberField"
    assert kwargs == {"purpose": "registry.resident", "null": True}
    assert IndividualNumberIndexField().deconstruct()[3] == {}
    assert IndividualNumberField().formfield() is None


def test_the_shipped_models_pass_the_plaintext_column_check() -> None:
    assert check_no_plaintext_individual_number_columns() == []


@isolate_apps("tests.crypto.testapp")
def test_a_plain_column_named_like_a_number_fails_the_system_check() -> None:
    class PlainNumber(models.Model):  # noqa: DJ008
        mynumber = models.CharField(max_length=12)
        individual_number_text = models.TextField()
        kojin_bango = models.BigIntegerField()
        hidden = models.CharField(max_length=12, db_column="my_number")
        individual_number_used = models.BooleanField(default=False)

        class Meta:
            app_label = "crypto_testapp"

    class Encrypted(HasIndividualNumber):
        class Meta:
            app_label = "crypto_testapp"

    errors = plaintext_column_errors([PlainNumber, Encrypted])
    flagged = {error.obj.name for error in errors}  # type: ignore[attr-defined]
    assert flagged == {"mynumber", "individual_number_text", "kojin_bango", "hidden"}
    assert {error.id for error in errors} == {"crypto.E001"}

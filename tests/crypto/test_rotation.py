"""rotate_individual_number_keys: re-encryption of every row, resumption, retirement, audit."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.crypto.keys import get_keyring, update_keyring
from jumin.crypto.services import encrypted_columns, key_usage, reencrypt_all
from tests.crypto.conftest import OTHER_NUMBER, TEST_NUMBER, valid_number
from tests.crypto.testapp.models import IndividualNumberTestRecord, OtherPurposeRecord

pytestmark = pytest.mark.django_db


def populate(count: int) -> list[str]:
    numbers = [valid_number(f"{i:011d}") for i in range(1, count + 1)]
    for number in numbers:
        record = IndividualNumberTestRecord(label="r")
        record.set_individual_number(number)
        record.save()
    IndividualNumberTestRecord.objects.create(label="no number")
    other = OtherPurposeRecord()
    other.set_individual_number(TEST_NUMBER)
    other.previous_individual_number = other.individual_number.__class__.parse(  # type: ignore[union-attr]
        _encrypt_previous(OTHER_NUMBER)
    )
    other.save()
    return numbers


def _encrypt_previous(number: str) -> str:
    from jumin.crypto.individual_number import encrypt_individual_number

    return encrypt_individual_number(number, purpose="crypto_testapp.previous").token


def run(*args: str) -> str:
    out = StringIO()
    call_command("rotate_individual_number_keys", *args, stdout=out)
    return out.getvalue()


def key_ids_in_use() -> set[str]:
    return {key_id for key_id, count in key_usage().items() if count}


def test_every_encrypted_column_is_discovered() -> None:
    labels = {f"{model._meta.label}.{field.name}" for model, field in encrypted_columns()}
    assert labels >= {
        "crypto_testapp.IndividualNumberTestRecord.individual_number",
        "crypto_testapp.OtherPurposeRecord.individual_number",
        "crypto_testapp.OtherPurposeRecord.previous_individual_number",
    }


def test_rotation_reencrypts_every_row_and_they_still_decrypt() -> None:
    numbers = populate(7)
    old_key = get_keyring().current_id
    indexes_before = list(
        IndividualNumberTestRecord.objects.order_by("pk").values_list("individual_number_index")
    )
    output = run("--batch-size", "3", "--key-id", "dk-second", "--reason", "定期更新")
    assert get_keyring().current_id == "dk-second"
    assert old_key in get_keyring().key_ids
    assert "合計 9件" in output
    assert key_ids_in_use() == {"dk-second"}
    records = IndividualNumberTestRecord.objects.exclude(individual_number=None).order_by("pk")
    assert [record.get_individual_number() for record in records] == numbers
    assert all(record.individual_number.key_id == "dk-second" for record in records)  # type: ignore[union-attr]
    other = OtherPurposeRecord.objects.get()
    assert other.get_individual_number() == TEST_NUMBER
    assert other.previous_individual_number.key_id == "dk-second"  # type: ignore[union-attr]
    # The blind index is not touched by data-key rotation.
    after = list(IndividualNumberTestRecord.objects.order_by("pk").values_list("individual_number_index"))
    assert after == indexes_before
    entries = AuditEntry.objects.filter(action=AuditAction.CRYPTO_KEY_ROTATE).order_by("seq")
    assert [entry.subject_id for entry in entries] == ["dk-second", "dk-second"]
    assert entries[0].reason == "定期更新"
    assert "re-encrypted 9 values" in entries[1].outcome_reason
    assert not any(entry.individual_number_used for entry in entries)


def test_a_second_run_with_resume_has_nothing_left_to_do() -> None:
    populate(3)
    run()
    assert "合計 0件" in run("--resume")


def test_an_interrupted_rotation_is_resumed() -> None:
    populate(5)
    old_key = get_keyring().current_id
    # Simulate an interruption: the new key is current but no row has been re-encrypted yet.
    update_keyring(lambda keyring: keyring.with_new_key("dk-resume"))
    assert key_ids_in_use() == {old_key}
    output = run("--resume")
    assert "合計 7件" in output
    assert key_ids_in_use() == {"dk-resume"}


def test_an_existing_key_can_be_made_current() -> None:
    populate(2)
    first = get_keyring().current_id
    run("--key-id", "dk-b")
    run("--use-key", first)
    assert get_keyring().current_id == first
    assert key_ids_in_use() == {first}


def test_retiring_a_key_is_refused_while_rows_use_it_then_allowed() -> None:
    populate(3)
    old_key = get_keyring().current_id
    update_keyring(lambda keyring: keyring.with_new_key("dk-new"))
    with pytest.raises(CommandError, match="5 件残っている"):
        run("--retire", old_key)
    assert old_key in get_keyring().key_ids
    refused = AuditEntry.objects.get(action=AuditAction.CRYPTO_KEY_ROTATE, outcome="refused")
    assert refused.subject_id == old_key
    rewritten = reencrypt_all(batch_size=2)
    # Columns of other apps (the registry) are discovered too; here they hold no rows.
    assert {label: count for label, count in rewritten.items() if count} == {
        "crypto_testapp.IndividualNumberTestRecord.individual_number": 3,
        "crypto_testapp.OtherPurposeRecord.individual_number": 1,
        "crypto_testapp.OtherPurposeRecord.previous_individual_number": 1,
    }
    run("--retire", old_key)
    assert get_keyring().key_ids == ("dk-new",)
    assert AuditEntry.objects.filter(action=AuditAction.CRYPTO_KEY_ROTATE, outcome="done").count() == 1
    records = IndividualNumberTestRecord.objects.exclude(individual_number=None)
    assert all(record.get_individual_number() for record in records)


def test_the_current_key_cannot_be_retired() -> None:
    with pytest.raises(CommandError, match="現在の鍵"):
        run("--retire", get_keyring().current_id)


def test_an_unknown_key_cannot_be_retired_or_used() -> None:
    with pytest.raises(CommandError, match="dk-nothing"):
        run("--retire", "dk-nothing")
    with pytest.raises(CommandError, match="dk-nothing"):
        run("--use-key", "dk-nothing")


def test_status_counts_values_per_key() -> None:
    populate(2)
    current = get_keyring().current_id
    assert f"{current}（現在）: 4件" in run("--status")


def test_a_value_under_a_missing_key_stops_rotation_with_the_row_id_only() -> None:
    populate(1)
    record = IndividualNumberTestRecord.objects.exclude(individual_number=None).get()
    IndividualNumberTestRecord.objects.filter(pk=record.pk).update(
        individual_number="v1:dk-gone:" + record.individual_number.token.split(":")[2]  # type: ignore[union-attr]
    )
    with pytest.raises(CommandError, match=f"pk={record.pk}") as caught:
        run()
    assert TEST_NUMBER not in str(caught.value)

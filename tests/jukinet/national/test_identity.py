"""機構保存本人確認情報: applying notices from a prefecture, history with the 保存期間フラグ, the purge."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from jumin.audit.models import AuditEntry
from jumin.crypto.models import filter_by_individual_number
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE
from jumin.jukinet.common.keys import years_before
from jumin.jukinet.common.notice import consistency_digest, notice_from_payload
from jumin.jukinet.national.models import (
    IdentityHistory,
    IdentityRecord,
    IndividualNumberRegister,
    ResidentCode,
)
from jumin.jukinet.national.services.identity import (
    apply_identity_update,
    notice_payload,
    purge_expired_identity,
)
from jumin.messaging import conf
from tests.jukinet.national.helpers import envelope, notice

pytestmark = pytest.mark.django_db


def apply(payload: dict, seq: int = 1) -> None:
    with transaction.atomic():
        apply_identity_update(envelope(IDENTITY_UPDATE, payload, seq=seq))


def test_a_notice_becomes_the_current_record_with_one_history_row() -> None:
    payload = notice()
    apply(payload)
    record = IdentityRecord.objects.get(resident_code=payload["resident_code"])
    assert notice_payload(record) == payload
    assert record.consistency_digest == consistency_digest(
        notice_from_payload(payload), key=conf.local_node().consistency_key
    )
    assert record.sender_code == "420000"
    (history,) = IdentityHistory.objects.filter(record=record)
    assert history.retention_flag is False
    assert history.retained_from is None
    assert history.get_individual_number() == payload["individual_number"]
    entry = AuditEntry.objects.filter(action="national:identity:update").latest("seq")
    assert entry.outcome == "done"
    assert entry.subject_id == str(record.pk)
    assert entry.individual_number_used


def test_the_individual_number_is_stored_encrypted_only() -> None:
    payload = notice()
    apply(payload)
    record = IdentityRecord.objects.get(resident_code=payload["resident_code"])
    assert "individual_number" not in record.notice
    with connection.cursor() as cursor:
        for table in (
            IdentityRecord._meta.db_table,
            IdentityHistory._meta.db_table,
            IndividualNumberRegister._meta.db_table,
        ):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
            assert payload["individual_number"] not in repr(cursor.fetchall())
    assert (
        filter_by_individual_number(IdentityRecord.objects.all(), payload["individual_number"]).get()
        == record
    )


def test_a_later_notice_supersedes_and_flags_the_previous_snapshot() -> None:
    first = notice()
    apply(first)
    moved = {**first, "address": "長崎県試験市本町二丁目2番地", "change_reason": "転居", "update_seq": 2}
    apply(moved, seq=2)
    record = IdentityRecord.objects.get(resident_code=first["resident_code"])
    assert record.address == moved["address"]
    assert record.update_seq == 2
    old, new = IdentityHistory.objects.filter(record=record).order_by("update_seq")
    assert old.retention_flag
    assert old.retained_from is not None
    assert not new.retention_flag
    assert new.notice["address"] == moved["address"]


def test_the_numbers_in_a_notice_are_registered_as_seen() -> None:
    payload = notice()
    apply(payload)
    assert ResidentCode.objects.get(code=payload["resident_code"]).source == "seen"
    row = filter_by_individual_number(
        IndividualNumberRegister.objects.all(), payload["individual_number"]
    ).get()
    assert (row.resident_code, row.status, row.source) == (payload["resident_code"], "current", "seen")


def test_a_replayed_message_changes_nothing() -> None:
    payload = notice()
    message = envelope(IDENTITY_UPDATE, payload)
    with transaction.atomic():
        apply_identity_update(message)
        apply_identity_update(message)
    assert IdentityHistory.objects.filter(resident_code=payload["resident_code"]).count() == 1


def test_a_removal_starts_the_150_years_of_the_last_snapshot() -> None:
    payload = notice()
    apply(payload)
    apply({**payload, "change_reason": "死亡", "removed": True, "update_seq": 2}, seq=2)
    record = IdentityRecord.objects.get(resident_code=payload["resident_code"])
    assert record.removed
    assert record.get_individual_number() == payload["individual_number"]  # kept after death (C-71)
    assert IdentityHistory.objects.filter(record=record, retention_flag=True).count() == 2


def _age(resident_code: str, delta: timedelta) -> None:
    """Move the retention start of every flagged row of the person to 150 years ago + ``delta``."""
    IdentityHistory.objects.filter(resident_code=resident_code, retention_flag=True).update(
        retained_from=years_before(timezone.now(), 150) + delta
    )


def test_the_purge_keeps_rows_one_day_short_of_150_years() -> None:
    payload = notice()
    apply(payload)
    apply({**payload, "change_reason": "死亡", "removed": True, "update_seq": 2}, seq=2)
    _age(payload["resident_code"], timedelta(days=1))
    result = purge_expired_identity()
    assert (result.history_rows, result.removed_records) == (0, 0)
    assert IdentityRecord.objects.filter(resident_code=payload["resident_code"]).exists()


def test_the_purge_deletes_a_removed_person_past_150_years_and_audits_counts_only() -> None:
    gone, living = notice(), notice()
    apply(gone)
    apply({**gone, "change_reason": "死亡", "removed": True, "update_seq": 2}, seq=2)
    apply(living)
    apply({**living, "address": "長崎県試験市本町三丁目", "change_reason": "転居", "update_seq": 2}, seq=2)
    _age(gone["resident_code"], -timedelta(days=1))
    _age(living["resident_code"], -timedelta(days=1))
    assert purge_expired_identity(dry_run=True).history_rows == 3
    assert IdentityHistory.objects.count() == 4
    result = purge_expired_identity()
    assert (result.history_rows, result.removed_records) == (3, 1)
    assert not IdentityRecord.objects.filter(resident_code=gone["resident_code"]).exists()
    # The living person keeps the current record and its current snapshot.
    assert IdentityHistory.objects.filter(resident_code=living["resident_code"]).count() == 1
    entry = AuditEntry.objects.filter(action="national:identity:purge").latest("seq")
    assert "history 3 removed 1" in entry.reason
    assert gone["resident_code"] not in entry.reason
    assert purge_expired_identity().history_rows == 0  # idempotent


def test_the_purge_command_prints_its_counts() -> None:
    out = StringIO()
    call_command("purge_national_identity", "--dry-run", stdout=out)
    assert "PURGED HISTORY 0 REMOVED 0" in out.getvalue()

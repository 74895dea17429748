"""附票全国サーバ (N2): applying forwarded 附票 updates, history with the 保存期間フラグ, the purge, the
read for national staff (synthetic data only)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import FUHYO_UPDATE
from jumin.jukinet.common.fuhyo import FUHYO_FIELDS, validate_fuhyo_payload
from jumin.jukinet.common.keys import years_before
from jumin.jukinet.national.models import FuhyoHistory, FuhyoRecord
from jumin.jukinet.national.services.fuhyo import apply_fuhyo_update, purge_expired_fuhyo
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.national.helpers import envelope
from tests.jukinet.prefecture.helpers import fuhyo

pytestmark = pytest.mark.django_db
SUBJECT = "pfh-1"


def apply(payload: dict[str, Any], seq: int = 1, subject: str = SUBJECT) -> None:
    with transaction.atomic():
        apply_fuhyo_update(envelope(FUHYO_UPDATE, payload, seq=seq, subject=subject))


def deleted(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "notice_type": "delete", "state": "deleted"}


def test_a_new_entry_becomes_the_current_record_with_one_history_row() -> None:
    payload = fuhyo()
    apply(payload)

    record = FuhyoRecord.objects.get(resident_code=payload["resident_code"])
    assert record.items == payload
    assert (record.state, record.sender_code, record.subject_key, record.update_seq) == (
        "current",
        "420000",
        SUBJECT,
        1,
    )
    (history,) = FuhyoHistory.objects.filter(record=record)
    assert (history.notice_type, history.retention_flag, history.retained_from) == ("new", False, None)
    entry = AuditEntry.objects.get(action="national:fuhyo:update")
    assert (entry.outcome, entry.subject_id) == ("done", str(record.pk))
    assert payload["resident_code"] not in entry.reason
    assert not entry.individual_number_used


def test_the_18_items_hold_no_individual_number_and_the_schema_refuses_one() -> None:
    assert "individual_number" not in FUHYO_FIELDS
    with pytest.raises(DomainError):
        validate_fuhyo_payload({**fuhyo(), "individual_number": "123456789018"})
    payload = fuhyo()
    apply(payload)
    with connection.cursor() as cursor:
        for model in (FuhyoRecord, FuhyoHistory):
            columns = [field.column for field in model._meta.concrete_fields]
            assert not any("individual_number" in column or "honseki" in column for column in columns)
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            assert "individual_number" not in repr(cursor.fetchall())


def test_a_change_supersedes_and_flags_the_previous_snapshot() -> None:
    first = fuhyo()
    apply(first)
    changed = {**first, "notice_type": "change", "address": "カナダ", "change_date": "2026-05-01"}
    apply(changed, seq=2)

    record = FuhyoRecord.objects.get(resident_code=first["resident_code"])
    assert (record.items["address"], record.update_seq) == ("カナダ", 2)
    old, new = FuhyoHistory.objects.filter(record=record).order_by("pk")
    assert old.retention_flag
    assert old.retained_from is not None
    assert not new.retention_flag


def test_a_delete_keeps_the_record_and_starts_the_150_years_at_once() -> None:
    payload = fuhyo()
    apply(payload)
    apply(deleted(payload), seq=2)

    record = FuhyoRecord.objects.get(resident_code=payload["resident_code"])
    assert record.state == "deleted"
    assert record.deleted_at is not None
    assert FuhyoHistory.objects.filter(record=record, retention_flag=True).count() == 2


def test_a_replayed_message_changes_nothing() -> None:
    payload = fuhyo()
    message = envelope(FUHYO_UPDATE, payload, subject=SUBJECT)
    with transaction.atomic():
        apply_fuhyo_update(message)
        apply_fuhyo_update(message)
    assert FuhyoHistory.objects.filter(resident_code=payload["resident_code"]).count() == 1
    assert AuditEntry.objects.filter(action="national:fuhyo:update").count() == 1


def _age(resident_code: str, delta: timedelta) -> None:
    """Move the retention start of every flagged row of the person to 150 years ago + ``delta``."""
    FuhyoHistory.objects.filter(resident_code=resident_code, retention_flag=True).update(
        retained_from=years_before(timezone.now(), 150) + delta
    )


def test_the_purge_keeps_rows_one_day_short_of_150_years() -> None:
    payload = fuhyo()
    apply(payload)
    apply(deleted(payload), seq=2)
    _age(payload["resident_code"], timedelta(days=1))

    result = purge_expired_fuhyo()

    assert (result.history_rows, result.deleted_records) == (0, 0)
    assert FuhyoHistory.objects.filter(resident_code=payload["resident_code"]).count() == 2


def test_the_purge_deletes_a_deleted_person_past_150_years_and_audits_counts_only() -> None:
    gone, living = fuhyo(), fuhyo()
    apply(gone, subject="pfh-1")
    apply(deleted(gone), seq=2, subject="pfh-1")
    apply(living, subject="pfh-2")
    apply({**living, "notice_type": "change", "address": "カナダ"}, seq=2, subject="pfh-2")
    _age(gone["resident_code"], -timedelta(days=1))
    _age(living["resident_code"], -timedelta(days=1))
    assert purge_expired_fuhyo(dry_run=True).history_rows == 3
    assert FuhyoHistory.objects.count() == 4

    result = purge_expired_fuhyo()

    assert (result.history_rows, result.deleted_records) == (3, 1)
    assert not FuhyoRecord.objects.filter(resident_code=gone["resident_code"]).exists()
    # The living person keeps the current record and its current snapshot.
    assert FuhyoHistory.objects.filter(resident_code=living["resident_code"]).count() == 1
    entry = AuditEntry.objects.filter(action="national:fuhyo:purge").latest("seq")
    assert "history 3 deleted 1" in entry.reason
    assert gone["resident_code"] not in entry.reason
    assert purge_expired_fuhyo().history_rows == 0  # idempotent


def test_the_purge_command_purges_the_fuhyo_store_too() -> None:
    out = StringIO()
    call_command("purge_national_identity", "--dry-run", stdout=out)
    assert "PURGED HISTORY 0 REMOVED 0" in out.getvalue()
    assert "PURGED FUHYO HISTORY 0 DELETED 0" in out.getvalue()
    assert AuditEntry.objects.filter(action="national:fuhyo:purge").exists()


# --- the read for national staff ---------------------------------------------------------------------


@pytest.fixture
def person() -> dict[str, Any]:
    payload = fuhyo()
    apply(payload)
    apply({**payload, "notice_type": "change", "address": "カナダ"}, seq=2)
    return payload


def test_the_lookup_needs_the_permission_and_is_audited(
    make_staff: Callable[..., Any], person: dict[str, Any]
) -> None:
    code = person["resident_code"]
    assert_permission_triple(
        make_staff, "post", reverse("jukinet_national:fuhyo_lookup"), Permission.NATIONAL_FUHYO_VIEW,
        data={"resident_code": code},
    )  # fmt: skip
    assert_permission_triple(
        make_staff, "post", "/api/jukinet/national/fuhyo/lookup", Permission.NATIONAL_FUHYO_VIEW,
        data=json.dumps({"resident_code": code}), content_type="application/json",
    )  # fmt: skip


def test_the_lookup_shows_the_items_and_the_history(
    make_staff: Callable[..., Any], person: dict[str, Any]
) -> None:
    client = make_staff([Permission.NATIONAL_FUHYO_VIEW])
    code = person["resident_code"]

    body = client.post("/api/jukinet/national/fuhyo/lookup", data=json.dumps({"resident_code": code}),
                       content_type="application/json").json()  # fmt: skip
    page = client.post(reverse("jukinet_national:fuhyo_lookup"), {"resident_code": code}).content.decode()

    assert body["items"]["address"] == "カナダ"
    assert [h["notice_type"] for h in body["history"]] == ["new", "change"]
    assert "individual_number" not in body["items"]
    assert person["name"] in page
    assert "カナダ" in page
    entry = AuditEntry.objects.filter(action="national:fuhyo:view", outcome="done").latest("seq")
    assert entry.subject_id == str(FuhyoRecord.objects.get().pk)
    assert code not in entry.reason


def test_the_form_needs_the_permission(make_staff: Callable[..., Any]) -> None:
    assert (
        make_staff([Permission.NATIONAL_MONITOR]).get(reverse("jukinet_national:fuhyo_lookup")).status_code
        == 403
    )
    assert AuditEntry.objects.filter(action="national:fuhyo:view", outcome="refused").count() == 1
    page = make_staff([Permission.NATIONAL_FUHYO_VIEW]).get(reverse("jukinet_national:fuhyo_lookup"))
    assert page.status_code == 200
    assert "住民票コード" in page.content.decode()


def test_a_bad_or_unknown_code_is_explained_and_nothing_is_read(make_staff: Callable[..., Any]) -> None:
    client = make_staff([Permission.NATIONAL_FUHYO_VIEW])
    response = client.post("/api/jukinet/national/fuhyo/lookup", data=json.dumps({"resident_code": "12"}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["field"] == "resident_code"
    unknown = fuhyo()["resident_code"]
    response = client.post(reverse("jukinet_national:fuhyo_lookup"), {"resident_code": unknown})
    assert response.status_code == 400
    assert "該当する附票本人確認情報がありません" in response.content.decode()
    assert AuditEntry.objects.filter(action="national:fuhyo:view", outcome="done").count() == 0


def test_the_monitor_counts_the_fuhyo_store_without_personal_data(
    make_staff: Callable[..., Any], person: dict[str, Any]
) -> None:
    client = make_staff([Permission.NATIONAL_MONITOR])

    data = client.get("/api/jukinet/national/overview").json()
    page = client.get(reverse("jukinet_national:overview")).content.decode()

    assert (data["fuhyo_current"], data["fuhyo_deleted"], data["fuhyo_history_rows"]) == (1, 0, 2)
    assert data["fuhyo_updates_today"] == [{"prefecture_code": "420000", "applied": 2, "refused": 0}]
    assert data["updates_today"] == []
    assert "附票全国サーバ" in page
    for value in (person["resident_code"], person["name"], "カナダ"):
        assert value not in page
        assert value not in json.dumps(data, ensure_ascii=False)

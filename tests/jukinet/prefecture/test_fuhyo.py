"""附票本人確認情報 updates and the temporary 個人番号 area of the 附票都道府県サーバ (F21)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import FUHYO_UPDATE, IDENTITY_UPDATE_REJECTED
from jumin.jukinet.prefecture.fuhyo import forward_pending_fuhyo
from jumin.jukinet.prefecture.models import (
    FuhyoRecord,
    FuhyoVersion,
    IdentityRecord,
    RefusedUpdate,
    TemporaryIndividualNumber,
)
from jumin.jukinet.prefecture.temporary_numbers import (
    confirm_delivery,
    fetch_number_for_overseas,
    list_temporary_numbers,
    purge_temporary_numbers,
    read_temporary_number,
)
from jumin.messaging.envelope import decode_verified
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.prefecture.helpers import (
    CHIYODA,
    NAGASAKI,
    NATIONAL,
    SASEBO,
    PrefectureNode,
    fuhyo,
    notice,
    outbox,
)

pytestmark = pytest.mark.django_db
PURPOSE = "prefecture_fuhyo_number"


def test_a_new_fuhyo_entry_is_stored_without_any_family_register_item(prefecture: PrefectureNode) -> None:
    payload = fuhyo()
    receipt = prefecture.send_fuhyo(SASEBO, payload)

    assert receipt.status == "applied"
    record = FuhyoRecord.objects.get()
    assert record.items == payload
    assert "honseki" not in record.items
    assert FuhyoVersion.objects.filter(record=record).count() == 1


def test_a_family_register_item_is_refused_by_the_schema(prefecture: PrefectureNode) -> None:
    receipt = prefecture.send_fuhyo(SASEBO, {**fuhyo(), "honseki": "長崎県佐世保市"})

    assert receipt.status == "refused"
    assert receipt.reason == "schema"
    assert not FuhyoRecord.objects.exists()


def test_a_delete_for_someone_already_deleted_is_refused_and_returned(prefecture: PrefectureNode) -> None:
    payload = fuhyo()
    prefecture.send_fuhyo(SASEBO, payload, subject="fh-1", seq=1)
    deleted = {**payload, "notice_type": "delete", "state": "deleted"}
    prefecture.send_fuhyo(SASEBO, deleted, subject="fh-1", seq=2)
    prefecture.send_fuhyo(SASEBO, deleted, subject="fh-1", seq=3)

    refused = RefusedUpdate.objects.get()
    assert refused.kind == RefusedUpdate.Kind.FUHYO
    assert refused.code == "jukinet.prefecture.fuhyo_already_deleted"
    [reply] = outbox(IDENTITY_UPDATE_REJECTED, SASEBO)
    assert decode_verified(reply.token).payload["update_seq"] == 3
    record = FuhyoRecord.objects.get()
    assert record.state == "deleted"
    assert record.deleted_at is not None
    assert record.versions.count() == 2


@pytest.mark.parametrize(
    ("sender", "changes", "code"),
    [
        (CHIYODA, {"fuhyo_municipality_code": CHIYODA.code}, "jukinet.prefecture.outside_prefecture"),
        (NAGASAKI, {}, "jukinet.prefecture.fuhyo_municipality_mismatch"),
        (SASEBO, {"notice_type": "change"}, "jukinet.prefecture.fuhyo_unknown_person"),
    ],
)
def test_a_bad_fuhyo_sender_or_unknown_person_is_refused(
    prefecture: PrefectureNode, sender: Any, changes: dict[str, Any], code: str
) -> None:
    prefecture.send_fuhyo(sender, fuhyo(**changes))

    assert RefusedUpdate.objects.get().code == code
    assert not FuhyoRecord.objects.exists()


def test_an_accepted_update_is_forwarded_unchanged_and_a_refused_one_is_not(
    prefecture: PrefectureNode,
) -> None:
    payload = fuhyo()
    prefecture.send_fuhyo(SASEBO, payload, subject="fh-1", seq=1)
    prefecture.send_fuhyo(
        SASEBO, {**payload, "fuhyo_municipality_code": NAGASAKI.code}, subject="fh-1", seq=2
    )

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.fuhyo_municipality_mismatch"
    [forward] = outbox(FUHYO_UPDATE, NATIONAL)
    envelope = decode_verified(forward.token)
    record = FuhyoRecord.objects.get()
    assert envelope.payload == payload
    assert (envelope.subject, envelope.seq) == (f"pfh-{record.pk}", 1)
    assert FuhyoVersion.objects.get().forward_message_id == str(forward.message_id)


def test_without_the_national_peer_fuhyo_updates_wait_and_leave_in_order(
    lonely_prefecture: PrefectureNode,
) -> None:
    payload = fuhyo()
    lonely_prefecture.send_fuhyo(SASEBO, payload, subject="fh-1", seq=1)
    lonely_prefecture.send_fuhyo(
        SASEBO, {**payload, "notice_type": "change", "address": "カナダ"}, subject="fh-1", seq=2
    )
    assert FuhyoVersion.objects.filter(forward_message_id="").count() == 2
    assert forward_pending_fuhyo() == 0

    lonely_prefecture.list_peer(NATIONAL)
    out = StringIO()
    call_command("prefecture_forward", stdout=out)

    assert "附票 2件" in out.getvalue()
    envelopes = [decode_verified(row.token) for row in outbox(FUHYO_UPDATE, NATIONAL)]
    assert [e.payload["notice_type"] for e in envelopes] == ["new", "change"]
    assert [e.seq for e in envelopes] == [1, 2]
    assert not FuhyoVersion.objects.filter(forward_message_id="").exists()
    assert AuditEntry.objects.filter(action="prefecture:fuhyo:forward").count() == 2
    assert forward_pending_fuhyo() == 0


def overseas_person(prefecture: PrefectureNode) -> dict[str, Any]:
    """Someone moved abroad: removed by 国外転出 in the 本人確認情報 store and kept in the 附票 file."""
    person = notice()
    prefecture.send(SASEBO, person)
    prefecture.send(SASEBO, {**person, "change_reason": "国外転出", "removed": True, "update_seq": 2})
    prefecture.send_fuhyo(SASEBO, fuhyo(resident_code=person["resident_code"]))
    return person


@pytest.fixture
def number_clerk(db: None) -> Any:
    user = make_user()
    grant_permissions(user, [Permission.PREFECTURE_FUHYO_NUMBER])
    return user


def test_the_number_is_copied_to_the_temporary_area_and_deleted_on_delivery(
    prefecture: PrefectureNode, number_clerk: Any
) -> None:
    person = overseas_person(prefecture)

    held = fetch_number_for_overseas(person["resident_code"], actor=number_clerk, purpose=PURPOSE)

    assert read_temporary_number(held.pk, actor=number_clerk, purpose=PURPOSE) == person["individual_number"]
    assert [row["pk"] for row in list_temporary_numbers(actor=number_clerk, purpose=PURPOSE)] == [held.pk]
    assert "individual_number" not in FuhyoRecord.objects.get().items
    assert confirm_delivery(held.pk) is True
    assert not TemporaryIndividualNumber.objects.exists()
    assert confirm_delivery(held.pk) is False
    with pytest.raises(DomainError):
        read_temporary_number(held.pk, actor=number_clerk, purpose=PURPOSE)
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"prefecture:fuhyo_number:fetch", "prefecture:fuhyo_number:delete"} <= actions


def test_without_the_permission_no_number_is_fetched(prefecture: PrefectureNode) -> None:
    person = overseas_person(prefecture)
    user = make_user()
    grant_permissions(user, [Permission.PREFECTURE_MONITOR])

    with pytest.raises(AccessRefused):
        fetch_number_for_overseas(person["resident_code"], actor=user, purpose=PURPOSE)

    assert not TemporaryIndividualNumber.objects.exists()
    assert AuditEntry.objects.filter(action="prefecture:fuhyo_number:fetch", outcome="refused").exists()


def test_only_a_person_removed_by_moving_abroad_qualifies(
    prefecture: PrefectureNode, number_clerk: Any
) -> None:
    resident = notice()
    prefecture.send(SASEBO, resident)
    prefecture.send_fuhyo(SASEBO, fuhyo(resident_code=resident["resident_code"]))

    with pytest.raises(DomainError) as caught:
        fetch_number_for_overseas(resident["resident_code"], actor=number_clerk, purpose=PURPOSE)

    assert caught.value.code == "jukinet.prefecture.not_overseas"
    assert not TemporaryIndividualNumber.objects.exists()
    refused = AuditEntry.objects.get(action="prefecture:fuhyo_number:fetch")
    assert (refused.outcome, refused.outcome_reason) == ("refused", "jukinet.prefecture.not_overseas")
    assert refused.subject_id == str(IdentityRecord.objects.get().pk)
    assert not refused.individual_number_used


def test_the_purge_deletes_every_number_held_a_year_but_keeps_newer_ones(
    prefecture: PrefectureNode, number_clerk: Any
) -> None:
    person = overseas_person(prefecture)
    old = fetch_number_for_overseas(person["resident_code"], actor=number_clerk, purpose=PURPOSE)
    new = fetch_number_for_overseas(person["resident_code"], actor=number_clerk, purpose=PURPOSE)
    TemporaryIndividualNumber.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=365)
    )

    assert purge_temporary_numbers() == 1

    assert list(TemporaryIndividualNumber.objects.values_list("pk", flat=True)) == [new.pk]
    assert AuditEntry.objects.filter(action="prefecture:fuhyo_number:purge").exists()

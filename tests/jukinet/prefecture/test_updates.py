"""本人確認情報の更新 at the 都道府県サーバ: logic checks, storage, forwarding and refusals (F13)."""

from __future__ import annotations

import json

import pytest

from jumin.audit.models import AuditEntry
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE, IDENTITY_UPDATE_REJECTED
from jumin.jukinet.common.notice import IdentityNotice, consistency_digest
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion, RefusedUpdate
from jumin.jukinet.prefecture.updates import forward_pending
from jumin.messaging import conf
from jumin.messaging.envelope import decode_verified
from tests.jukinet.prefecture.helpers import (
    CHIYODA,
    NAGASAKI,
    NATIONAL,
    SASEBO,
    PrefectureNode,
    notice,
    outbox,
)
from tests.jukinet.synthetic import individual_number

pytestmark = pytest.mark.django_db


def rejection_payloads() -> list[dict[str, object]]:
    return [decode_verified(row.token).payload for row in outbox(IDENTITY_UPDATE_REJECTED, SASEBO)]


def test_an_accepted_update_is_stored_with_its_history_and_forwarded_unchanged(
    prefecture: PrefectureNode,
) -> None:
    payload = notice()
    receipt = prefecture.send(SASEBO, payload, subject="cs-a1")

    assert receipt.status == "applied"
    record = IdentityRecord.objects.get(resident_code=payload["resident_code"])
    assert record.get_individual_number() == payload["individual_number"]
    assert payload["individual_number"] not in json.dumps(record.notice)
    assert record.consistency_digest == consistency_digest(
        IdentityNotice(**payload), key=conf.local_node().consistency_key
    )
    assert record.received_on is not None
    assert record.sender_code == SASEBO.code
    assert IdentityVersion.objects.filter(record=record, superseded_at__isnull=True).count() == 1
    forwarded = outbox(IDENTITY_UPDATE, NATIONAL)
    assert len(forwarded) == 1
    envelope = decode_verified(forwarded[0].token)
    assert envelope.payload == payload
    assert envelope.subject == f"pf-{record.pk}"
    assert AuditEntry.objects.filter(action="prefecture:identity:update", subject_id=str(record.pk)).exists()


def test_a_move_in_for_a_current_resident_is_refused_and_returned_to_the_cs(
    prefecture: PrefectureNode,
) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    again = notice(resident_code=first["resident_code"], change_reason="国内転入", update_seq=2)

    prefecture.send(SASEBO, again, subject="cs-b2")

    refused = RefusedUpdate.objects.get()
    assert refused.code == "jukinet.prefecture.already_resident"
    [reply] = rejection_payloads()
    assert reply["code"] == "jukinet.prefecture.already_resident"
    assert reply["rejected_subject"] == "cs-b2"
    assert reply["update_seq"] == 2
    assert refused.reply_message_id
    assert IdentityVersion.objects.count() == 1
    assert len(outbox(IDENTITY_UPDATE, NATIONAL)) == 1
    assert (
        AuditEntry.objects.filter(action="prefecture:identity:update_refuse", outcome="refused").count() == 1
    )


def test_a_move_within_that_changes_more_than_the_address_is_refused(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    moved = notice(
        resident_code=first["resident_code"],
        individual_number=first["individual_number"],
        change_reason="転居",
        address="長崎県佐世保市試験町九丁目9番地",
        name="別名　花子",
        update_seq=2,
    )

    prefecture.send(SASEBO, moved)

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.move_within_changes_more"
    record = IdentityRecord.objects.get()
    assert record.address == first["address"]


def test_a_move_within_that_changes_only_the_address_is_accepted(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    moved = {**first, "change_reason": "転居", "address": "長崎県佐世保市試験町九丁目9番地", "update_seq": 2}

    prefecture.send(SASEBO, moved)

    assert not RefusedUpdate.objects.exists()
    record = IdentityRecord.objects.get()
    assert record.address == moved["address"]
    assert record.versions.count() == 2
    assert record.versions.filter(superseded_at__isnull=False).count() == 1


def test_a_move_within_that_changes_the_individual_number_is_refused(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    moved = {**first, "change_reason": "転居", "individual_number": individual_number(), "update_seq": 2}

    prefecture.send(SASEBO, moved)

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.move_within_changes_more"


def test_an_update_from_a_municipality_outside_the_prefecture_is_refused_with_a_reason(
    prefecture: PrefectureNode,
) -> None:
    payload = notice(municipality_code=CHIYODA.code)

    prefecture.send(CHIYODA, payload, subject="cs-out")

    refused = RefusedUpdate.objects.get()
    assert refused.code == "jukinet.prefecture.outside_prefecture"
    assert refused.sender_code == CHIYODA.code
    [reply] = outbox(IDENTITY_UPDATE_REJECTED, CHIYODA)
    assert decode_verified(reply.token).payload["rejected_subject"] == "cs-out"
    assert not IdentityRecord.objects.exists()


def test_an_update_out_of_order_is_refused(prefecture: PrefectureNode) -> None:
    first = notice(update_seq=5)
    prefecture.send(SASEBO, first)
    stale = {**first, "change_reason": "職権修正", "name": "訂正　花子", "update_seq": 5}

    prefecture.send(SASEBO, stale)

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.out_of_order"
    assert IdentityRecord.objects.get().notice["name"] == first["name"]


def test_an_invalid_code_is_refused_by_the_schema_before_any_handler(prefecture: PrefectureNode) -> None:
    payload = notice()
    payload["resident_code"] = payload["resident_code"][:-1] + str(
        (int(payload["resident_code"][-1]) + 1) % 10
    )

    receipt = prefecture.send(SASEBO, payload)

    assert receipt.status == "refused"
    assert receipt.reason == "schema"
    assert not IdentityRecord.objects.exists()


def test_an_item_the_law_does_not_list_is_refused(prefecture: PrefectureNode) -> None:
    payload = {**notice(), "honseki": "長崎県佐世保市"}

    receipt = prefecture.send(SASEBO, payload)

    assert receipt.status == "refused"
    assert receipt.reason == "schema"
    assert not IdentityRecord.objects.exists()


def test_a_removal_for_an_unknown_person_is_refused(prefecture: PrefectureNode) -> None:
    prefecture.send(SASEBO, notice(change_reason="死亡", removed=True))

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.unknown_person"


def test_a_removal_twice_is_refused_and_a_later_move_in_elsewhere_is_accepted(
    prefecture: PrefectureNode,
) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    out = {**first, "change_reason": "国内転出", "removed": True, "update_seq": 2}
    prefecture.send(SASEBO, out)
    prefecture.send(SASEBO, {**out, "update_seq": 3})
    moved_in = {
        **first,
        "change_reason": "国内転入",
        "municipality_code": NAGASAKI.code,
        "address": "長崎県長崎市試験町1番地",
        "update_seq": 1,
    }
    prefecture.send(NAGASAKI, moved_in)

    assert list(RefusedUpdate.objects.values_list("code", flat=True)) == [
        "jukinet.prefecture.already_removed"
    ]
    record = IdentityRecord.objects.get()
    assert record.municipality_code == NAGASAKI.code
    assert not record.removed
    assert record.removed_at is None


def test_an_update_for_another_municipalitys_resident_is_refused(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    amend = {**first, "municipality_code": NAGASAKI.code, "change_reason": "職権修正", "update_seq": 9}

    prefecture.send(NAGASAKI, amend)

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.not_resident_here"


def test_a_removal_sets_the_deletion_and_retention_flags(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first)
    prefecture.send(SASEBO, {**first, "change_reason": "死亡", "removed": True, "update_seq": 2})

    record = IdentityRecord.objects.get()
    assert record.removed
    assert record.retention_flag
    assert record.removed_at is not None
    assert record.get_individual_number() == first["individual_number"]


def test_without_the_national_peer_updates_wait_and_leave_in_order(lonely_prefecture: PrefectureNode) -> None:
    first = notice()
    lonely_prefecture.send(SASEBO, first)
    second = {**first, "change_reason": "転居", "address": "長崎県佐世保市試験町三丁目3番地", "update_seq": 2}
    lonely_prefecture.send(SASEBO, second)
    assert IdentityVersion.objects.filter(forward_message_id="").count() == 2
    assert forward_pending() == 0

    lonely_prefecture.list_peer(NATIONAL)

    assert forward_pending() == 2
    payloads = [decode_verified(row.token) for row in outbox(IDENTITY_UPDATE, NATIONAL)]
    assert [p.payload["update_seq"] for p in payloads] == [1, 2]
    assert [p.seq for p in payloads] == [1, 2]


def test_a_returning_resident_may_restart_the_update_sequence(prefecture: PrefectureNode) -> None:
    first = notice(update_seq=3)
    prefecture.send(SASEBO, first)
    prefecture.send(SASEBO, {**first, "change_reason": "国内転出", "removed": True, "update_seq": 4})

    prefecture.send(SASEBO, {**first, "change_reason": "国内転入", "update_seq": 1})

    assert not RefusedUpdate.objects.exists()
    assert IdentityRecord.objects.get().removed is False


def test_a_changed_resident_code_is_accepted_under_the_new_code(prefecture: PrefectureNode) -> None:
    prefecture.send(SASEBO, notice(change_reason="住民票コードの変更"))

    assert not RefusedUpdate.objects.exists()
    assert IdentityRecord.objects.count() == 1

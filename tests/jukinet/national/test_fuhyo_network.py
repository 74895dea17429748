"""附票 end to end in the in-process federation (F21a): 本籍地 CS → 附票都道府県サーバ → 附票全国サーバ,
the prefecture's refusals not forwarded, and each refusal of the national node sent back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.jukinet.common import catalogue
from jumin.jukinet.cs.models import UpdateRejection
from jumin.jukinet.national.models import FuhyoHistory, FuhyoRecord, FuhyoRefusal
from jumin.jukinet.national.services.fuhyo import apply_fuhyo_update
from jumin.jukinet.prefecture import models as prefecture
from jumin.messaging import services
from jumin.messaging.envelope import NodeRef, new_envelope
from jumin.messaging.models import InboxMessage
from jumin.messaging.testing import TestFederation
from tests.jukinet.national.helpers import MUNICIPALITY, NATIONAL, OTHER_PREFECTURE, PREFECTURE
from tests.jukinet.national.test_network import rejections
from tests.jukinet.prefecture.helpers import fuhyo

pytestmark = pytest.mark.django_db

SASEBO = MUNICIPALITY  # 佐世保市 422029, 長崎県 420000
CHIYODA = NodeRef("municipality", "131016")  # 千代田区, 東京都 130001


def send(
    federation: TestFederation,
    payload: dict[str, Any],
    *,
    sender: NodeRef = SASEBO,
    receiver: NodeRef = PREFECTURE,
    subject: str = "cs-fh1",
) -> None:
    """Enqueue one FUHYO_UPDATE as ``sender`` and deliver everything."""
    with federation.acting_as(sender), transaction.atomic():
        services.enqueue(
            message_type=catalogue.FUHYO_UPDATE, receiver=receiver, subject=subject, payload=payload
        )
    federation.pump()


def deleted(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "notice_type": "delete", "state": "deleted"}


def national_inbox() -> list[InboxMessage]:
    return list(
        InboxMessage.objects.filter(
            type=catalogue.FUHYO_UPDATE, receiver_kind=NATIONAL.kind, receiver_code=NATIONAL.code
        ).order_by("pk")
    )


def test_an_update_from_the_honseki_municipality_reaches_the_national_store(
    federation: TestFederation,
) -> None:
    payload = fuhyo()
    send(federation, payload)
    send(federation, {**payload, "notice_type": "change", "address": "カナダ"})
    send(federation, deleted({**payload, "address": "カナダ"}))

    at_prefecture = prefecture.FuhyoRecord.objects.get(resident_code=payload["resident_code"])
    versions = list(prefecture.FuhyoVersion.objects.filter(record=at_prefecture).order_by("pk"))
    assert all(v.forward_message_id for v in versions)
    arrived = national_inbox()
    assert [m.subject_key for m in arrived] == [f"pfh-{at_prefecture.pk}"] * 3
    assert [m.seq for m in arrived] == [1, 2, 3]
    assert [str(m.message_id) for m in arrived] == [v.forward_message_id for v in versions]
    record = FuhyoRecord.objects.get(resident_code=payload["resident_code"])
    assert record.items == deleted({**payload, "address": "カナダ"})
    assert (record.state, record.sender_code, record.update_seq) == ("deleted", PREFECTURE.code, 3)
    history = FuhyoHistory.objects.filter(record=record).order_by("pk")
    assert [h.notice_type for h in history] == ["new", "change", "delete"]
    assert not FuhyoRefusal.objects.exists()


def test_an_update_the_prefecture_refuses_is_not_forwarded(federation: TestFederation) -> None:
    payload = fuhyo()
    send(federation, {**payload, "notice_type": "change"})  # unknown at the prefecture

    assert prefecture.RefusedUpdate.objects.get().code == "jukinet.prefecture.fuhyo_unknown_person"
    assert national_inbox() == []
    assert not FuhyoRecord.objects.exists()
    with federation.acting_as(SASEBO):
        assert UpdateRejection.objects.get().code == "jukinet.prefecture.fuhyo_unknown_person"


def test_a_repeated_delete_is_refused_by_the_prefecture_and_reaches_the_national_node_once(
    federation: TestFederation,
) -> None:
    payload = fuhyo()
    send(federation, payload)
    send(federation, deleted(payload))
    send(federation, deleted(payload))

    assert prefecture.RefusedUpdate.objects.get().code == "jukinet.prefecture.fuhyo_already_deleted"
    assert len(national_inbox()) == 2
    assert FuhyoHistory.objects.count() == 2


def _national_refusal(code: str, sender: NodeRef) -> FuhyoRefusal:
    """The one refusal stored at the national node, checked against its audit entry and its reply."""
    refusal = FuhyoRefusal.objects.get()
    assert refusal.code == code
    entry = AuditEntry.objects.get(action="national:fuhyo:update", outcome="refused")
    assert entry.outcome_reason == code
    (reply,) = rejections(sender)
    assert reply["code"] == code
    assert reply["rejected_message_id"] == str(refusal.message_id)
    assert reply["reason"]
    assert reply["remedy"]
    return refusal


def test_a_municipality_cannot_update_the_national_store_directly(federation: TestFederation) -> None:
    send(federation, fuhyo(), receiver=NATIONAL)

    _national_refusal("jukinet.national.sender_not_prefecture", SASEBO)
    assert not FuhyoRecord.objects.exists()


def test_a_fuhyo_kept_outside_the_sending_prefecture_is_refused(federation: TestFederation) -> None:
    payload = fuhyo()  # kept by 佐世保市 (長崎県), sent by 東京都
    send(federation, payload, sender=OTHER_PREFECTURE, receiver=NATIONAL, subject="tokyo1")

    refusal = _national_refusal("jukinet.national.outside_prefecture", OTHER_PREFECTURE)
    assert refusal.subject_key == "tokyo1"
    assert payload["resident_code"] not in str(rejections(OTHER_PREFECTURE))
    assert not FuhyoRecord.objects.exists()


def test_a_change_for_an_unknown_person_is_refused(federation: TestFederation) -> None:
    send(federation, fuhyo(notice_type="change"), sender=PREFECTURE, receiver=NATIONAL, subject="pfh-x")

    _national_refusal("jukinet.national.fuhyo_unknown_person", PREFECTURE)
    assert not FuhyoRecord.objects.exists()


def test_a_delete_for_someone_already_deleted_is_refused(federation: TestFederation) -> None:
    payload = fuhyo()
    for _ in range(3):  # the prefecture itself would refuse the third: sent directly here
        send(
            federation,
            deleted(payload) if _ else payload,
            sender=PREFECTURE,
            receiver=NATIONAL,
            subject="pfh-x",
        )

    _national_refusal("jukinet.national.fuhyo_already_deleted", PREFECTURE)
    assert FuhyoHistory.objects.count() == 2


def test_an_out_of_order_update_is_refused_and_the_record_kept(federation: TestFederation) -> None:
    payload = fuhyo()
    send(federation, payload, sender=PREFECTURE, receiver=NATIONAL, subject="pfh-x")
    send(federation, {**payload, "notice_type": "change", "address": "カナダ"}, sender=PREFECTURE,
         receiver=NATIONAL, subject="pfh-x")  # fmt: skip
    # The inbox never hands a handler an old sequence number; a restored backup replaying could.
    late = new_envelope(
        type=catalogue.FUHYO_UPDATE, sender=PREFECTURE, receiver=NATIONAL, subject="pfh-x", seq=1,
        payload={**payload, "notice_type": "change", "address": "ブラジル"},
    )  # fmt: skip
    with federation.acting_as(NATIONAL), transaction.atomic():
        apply_fuhyo_update(late)

    _national_refusal("jukinet.national.out_of_order", PREFECTURE)
    assert FuhyoRecord.objects.get().items["address"] == "カナダ"


def test_a_delete_from_the_former_honseki_after_a_transfer_is_refused_and_relayed_to_its_cs(
    federation: TestFederation,
) -> None:
    """転籍 from 佐世保市 to 千代田区: the old 本籍地's late delete must not delete the new 附票."""
    payload = fuhyo()
    send(federation, payload)
    moved = {**payload, "fuhyo_municipality_code": CHIYODA.code, "change_date": "2026-06-01"}
    # As 東京都 forwards it (sent directly: the federation's prefectures share one database).
    send(federation, moved, sender=OTHER_PREFECTURE, receiver=NATIONAL, subject="pfh-tokyo")
    send(federation, deleted(payload), subject="cs-fh1")

    record = FuhyoRecord.objects.get(resident_code=payload["resident_code"])
    assert (record.state, record.fuhyo_municipality_code) == ("current", CHIYODA.code)
    assert FuhyoRefusal.objects.get().code == "jukinet.national.fuhyo_not_kept_there"
    # The prefecture accepted the delete; the national refusal goes back to 佐世保市's CS about its message.
    delete_at_prefecture = prefecture.FuhyoVersion.objects.filter(notice_type="delete").get()
    assert AuditEntry.objects.filter(
        action="prefecture:fuhyo:update_refuse", outcome_reason="jukinet.national.fuhyo_not_kept_there"
    ).exists()
    with federation.acting_as(SASEBO):
        rejection = UpdateRejection.objects.get()
    assert rejection.rejected_message_id == str(delete_at_prefecture.message_id)
    assert rejection.code == "jukinet.national.fuhyo_not_kept_there"
    assert rejection.update_seq == 2  # the CS's own sequence number of the delete, not the forward's

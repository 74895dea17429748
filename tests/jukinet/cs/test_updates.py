"""本人確認情報の更新 at the CS: history, notifiability, 送信待ち and the notice (system.md F13 steps 1–3)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from django.db import connection

from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE
from jumin.jukinet.common.notice import consistency_digest, notice_from_payload
from jumin.jukinet.cs import operators, services
from jumin.jukinet.cs.models import CsIdentity, CsIdentityVersion, PendingNotice
from jumin.jukinet.cs.updates import gaiji_count, seion_kana
from jumin.messaging import conf
from jumin.messaging.envelope import NodeRef
from tests.jukinet.cs.factories import then as later
from tests.jukinet.cs.factories import update

pytestmark = pytest.mark.django_db


def versions(code: str) -> list[CsIdentityVersion]:
    return list(CsIdentityVersion.objects.filter(resident_code=code).order_by("update_seq"))


def test_a_move_in_creates_the_record_keeps_it_as_history_and_waits_without_a_prefecture_peer() -> None:
    request = update()
    result = services.accept_update(request, actor=None)
    assert (result.accepted, result.queued, result.pending) == (1, 0, 1)
    identity = CsIdentity.objects.get(resident_code=request.resident_code)
    version = identity.current
    assert (identity.update_seq, identity.removed, version.update_seq, version.notifiable) == (
        1,
        False,
        1,
        True,
    )
    assert version.get_individual_number() == request.individual_number
    assert identity.digest == consistency_digest(
        services.notice_of(version), key=conf.local_node().consistency_key
    )
    assert PendingNotice.objects.get().version == version
    entry = AuditEntry.objects.get(action="cs:identity:update")
    assert entry.individual_number_used
    assert entry.result_count == 1


def test_the_individual_number_is_stored_encrypted_and_never_in_plain_text() -> None:
    request = update()
    services.accept_update(request, actor=None)
    table = CsIdentityVersion._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT individual_number FROM {table}")  # noqa: S608
        (raw,) = cursor.fetchone()
    assert request.individual_number not in raw
    assert CsIdentity.objects.get().individual_number_index


def test_a_move_within_appends_a_version_and_the_earlier_state_stays_unchanged() -> None:
    first = update()
    services.accept_update(first, actor=None)
    services.accept_update(
        later(first, change_reason="転居", address="長崎県佐世保市島瀬町1番1号", aza_code="002000"),
        actor=None,
    )
    old, new = versions(first.resident_code)
    assert (old.address, old.update_seq, new.address, new.update_seq) == (
        first.address,
        1,
        "長崎県佐世保市島瀬町1番1号",
        2,
    )
    assert CsIdentity.objects.get().current == new
    assert PendingNotice.objects.count() == 2


def test_a_cs_only_change_updates_the_relationship_and_queues_no_notice() -> None:
    first = update()
    services.accept_update(first, actor=None)
    services.accept_update(later(first, change_reason="世帯変更", relationship="父"), actor=None)
    old, new = versions(first.resident_code)
    assert (old.relationship, new.relationship, new.notifiable) == ("世帯主", "父", False)
    assert PendingNotice.objects.count() == 1


def test_a_removal_is_notifiable_and_marks_the_record_removed() -> None:
    first = update()
    services.accept_update(first, actor=None)
    services.accept_update(later(first, change_reason="死亡", removed=True), actor=None)
    identity = CsIdentity.objects.get()
    assert identity.removed
    assert identity.current.record_status == "removed"
    assert services.notice_of(identity.current).removed
    assert PendingNotice.objects.count() == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resident_code", "12345678901"),
        ("birth_date", "19801301"),
        ("sex", "x"),
        ("municipality_code", "422020"),
        ("change_reason", "転居取消"),
        ("change_date", "2026-02-30"),
        ("operator_id", "職員"),
        ("individual_number", "123456789012"),
        ("name", ""),
    ],
)
def test_a_malformed_update_is_refused_and_writes_nothing(field: str, value: Any) -> None:
    with pytest.raises(DomainError) as raised:
        services.accept_update(update(**{field: value}), actor=None)
    assert raised.value.field in (field, "juminhyo_code", "local_government_code", "operator_id")
    assert not value or value not in raised.value.reason
    assert (CsIdentity.objects.count(), CsIdentityVersion.objects.count(), PendingNotice.objects.count()) == (
        0,
        0,
        0,
    )


def test_with_the_prefecture_as_peer_the_notice_is_queued_in_the_same_transaction() -> None:
    request = update()
    with (
        mock.patch.object(services, "peer_configured", return_value=True),
        mock.patch.object(services, "enqueue") as enqueue,
    ):
        enqueue.return_value.message_id = "00000000-0000-0000-0000-000000000001"
        result = services.accept_update(request, actor=None)
    assert (result.queued, result.pending) == (1, 0)
    kwargs = enqueue.call_args.kwargs
    assert (kwargs["message_type"], kwargs["receiver"]) == (IDENTITY_UPDATE, NodeRef("prefecture", "420000"))
    assert kwargs["subject"] == CsIdentity.objects.get().subject_key
    assert request.resident_code not in kwargs["subject"]
    notice = notice_from_payload(kwargs["payload"])
    assert (notice.update_seq, notice.change_reason, notice.name_kana_seion) == (
        1,
        "国内転入",
        seion_kana("シケン　タロウ"),
    )
    assert not PendingNotice.objects.exists()


def test_waiting_notices_are_sent_in_order_once_the_prefecture_is_a_peer() -> None:
    first = update()
    services.accept_update(first, actor=None)
    services.accept_update(
        later(first, change_reason="転居", address="長崎県佐世保市島瀬町2番2号"), actor=None
    )
    assert services.send_pending_notices() == 0  # still no peer: they keep waiting
    with (
        mock.patch.object(services, "peer_configured", return_value=True),
        mock.patch.object(services, "enqueue") as enqueue,
    ):
        enqueue.return_value.message_id = "00000000-0000-0000-0000-000000000002"
        assert services.send_pending_notices() == 2
        seqs = [call.kwargs["payload"]["update_seq"] for call in enqueue.call_args_list]
        assert seqs == [1, 2]
        # A later update of the same person now goes straight out, behind them.
        services.accept_update(
            later(first, change_reason="転居", address="長崎県佐世保市島瀬町3番3号"), actor=None
        )
        assert enqueue.call_args.kwargs["payload"]["update_seq"] == 3
    assert not PendingNotice.objects.filter(sent_at__isnull=True).exists()
    assert not CsIdentity.objects.get().has_pending


def test_the_prefecture_of_a_municipality_carries_its_check_digit() -> None:
    assert services.prefecture_of("422029") == NodeRef("prefecture", "420000")
    assert services.prefecture_of("131016") == NodeRef("prefecture", "130001")


def test_the_cs_computes_gaiji_counts_and_the_seion_reading() -> None:
    assert gaiji_count("山田\u3000太郎") == 0
    assert gaiji_count("𠮷田") == 1
    assert gaiji_count("葛\U000e0100城") == 1
    assert seion_kana("ガッコウ\u3000ジロウ") != "ガッコウ\u3000ジロウ"
    assert seion_kana("") == ""


def test_sending_waiting_notices_asks_once_per_prefecture_whether_it_is_a_peer() -> None:
    for _ in range(3):
        services.accept_update(update(), actor=None)
    with (
        mock.patch.object(services, "peer_configured", return_value=True) as peer,
        mock.patch.object(services, "enqueue") as enqueue,
    ):
        enqueue.return_value.message_id = "00000000-0000-0000-0000-000000000003"
        assert services.send_pending_notices() == 3
    assert peer.call_count == 1  # three persons of one prefecture: the peer list is read once


def test_the_cs_file_counts_its_persons_and_names_their_current_request_numbers() -> None:
    assert services.identity_count() == 0
    first, second = update(), update()
    services.accept_update(first, actor=None)
    services.accept_update(second, actor=None)
    assert services.identity_count() == 2
    assert services.current_request_numbers([first.resident_code, "00000000000"]) == {
        first.resident_code: first.request_number
    }


def test_operator_and_terminal_ids_are_ascii_with_one_fallback_each() -> None:
    class Clerk:
        def get_username(self) -> str:
            return "窓口clerk.01"

    assert operators.ascii_id("端末 T-01\u3000", "x") == "T-01"
    assert operators.ascii_id("端末", "fallback") == "fallback"
    assert operators.operator_ids(Clerk()) == ("clerk.01", operators.TERMINAL_FALLBACK)
    assert operators.operator_ids(None, terminal_id="WS-9") == (operators.OPERATOR_FALLBACK, "WS-9")
    assert operators.operator_ids(None, terminal_fallback=operators.BATCH_TERMINAL)[1] == "batch"

"""戸籍附票記載事項通知 (住基法19条; std 7.1.1.1-e, 7.2.4-a; Flow 13; workflows/fuhyo-notice.md).

All nodes share one test database: 長崎市 (422011) runs the registry; 佐世保市 (422029) and 千代田区
(131016) are other municipalities of the federation; 札幌市 (011002) is in the masters but no peer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from django.utils import timezone

from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentKind
from jumin.jukinet.cs.models import ReceivedFuhyoNotice
from jumin.masters.models import Municipality, Prefecture
from jumin.masters.selectors import municipality_codes_of_addresses
from jumin.messaging import services as messaging
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from jumin.registry import fuhyo_notices
from jumin.registry.models import FuhyoNoticeOutbox
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import MoveIn, commit_change, discard_change, record_move_in
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.ex_officio import record_ex_officio_correction
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from jumin.registry.workflows.move_within import record_move_within
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, family_move_in, logged_in, person
from tests.registry.test_api import post
from tests.registry.test_ex_officio import correction
from tests.registry.test_move_within import NEW_ADDRESS, move
from tests.registry.test_ordinary_move_in_notice import moved_in_at_nagasaki

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
CHIYODA = NodeRef("municipality", "131016")
SAPPORO = "011002"
LOCAL_HONSEKI = "長崎県長崎市江戸町2番地"
MESSAGE = "jukinet.fuhyo_entry_notice"


@pytest.fixture(autouse=True)
def masters(db: None) -> None:
    """The prefectures and municipalities the 本籍 of these tests name (synthetic subset)."""
    nagasaki_pref = Prefecture.objects.create(code="42", name="長崎県", kana="ナガサキケン")
    tokyo = Prefecture.objects.create(code="13", name="東京都", kana="トウキョウト")
    hokkaido = Prefecture.objects.create(code="01", name="北海道", kana="ホッカイドウ")
    for code, prefecture, name, kana in [
        ("422011", nagasaki_pref, "長崎市", "ナガサキシ"),
        ("422029", nagasaki_pref, "佐世保市", "サセボシ"),
        ("131016", tokyo, "千代田区", "チヨダク"),
        ("011002", hokkaido, "札幌市", "サッポロシ"),
    ]:
        Municipality.objects.create(code=code, body=code[:5], prefecture=prefecture, name=name, kana=kana)
    Municipality.objects.create(
        code="011011",
        body="01101",
        prefecture=hokkaido,
        name="札幌市中央区",
        kana="サッポロシチュウオウク",
        is_designated_city_ward=True,
        parent_id="011002",
    )


def with_honseki(move_in: MoveIn, honseki: str) -> MoveIn:
    members = [dataclasses.replace(m, honseki=honseki) for m in move_in.members]
    return dataclasses.replace(move_in, members=members)


def test_the_masters_resolve_a_honseki_to_its_municipality_or_ward() -> None:
    found = municipality_codes_of_addresses(
        [
            "長崎県佐世保市八幡町1番地",
            "北海道札幌市中央区北1条西2丁目",
            "北海道札幌市",
            "どこか1番地",
            "長崎県",
        ]
    )
    assert found == {
        "長崎県佐世保市八幡町1番地": SASEBO.code,
        "北海道札幌市中央区北1条西2丁目": "011011",
        "北海道札幌市": SAPPORO,
    }


def test_a_move_in_with_honseki_elsewhere_sends_one_notice_per_person_that_the_honseki_cs_keeps(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    atena = moved_in_at_nagasaki(federation, clerk, reviewer, family_move_in())  # 本籍 佐世保市
    rows = FuhyoNoticeOutbox.objects.order_by("pk")
    assert [(r.destination, r.destination_code) for r in rows] == [("other", SASEBO.code)] * 3
    assert all(r.sent_at is not None for r in rows)
    assert OutboxMessage.objects.filter(type=MESSAGE, receiver_code=SASEBO.code).count() == 3
    received = ReceivedFuhyoNotice.objects.order_by("pk")
    assert [r.sender_code for r in received] == [NAGASAKI.code] * 3
    items = received[0].items
    assert "individual_number" not in items
    assert (items["municipality_code"], items["honseki_municipality_code"]) == (NAGASAKI.code, SASEBO.code)
    assert (items["change_reason"], items["change_date"], items["moved_abroad"]) == (
        "国内転入",
        "2026-11-01",
        False,
    )
    assert (items["name"], items["birth_date"], items["honseki"]) == (
        "青木\u3000太郎",
        "19600401",
        "長崎県佐世保市八幡町1番地",
    )
    assert items["address"] == rows[0].items["address"]
    assert items["address_set_date"] == "2026-11-01"
    assert rows[0].atena_number == atena[0]
    # Audited on both ends, each entry naming the persons (their 提供状況).
    send = AuditEntry.objects.get(action="cs:fuhyo_notice:send")
    assert send.result_count == 3
    assert AuditEntry.objects.filter(action="cs:fuhyo_notice:receive", outcome="done").count() == 3


def test_a_honseki_in_this_municipality_goes_to_the_local_fuhyo_list_not_the_network(
    federation: TestFederation, clerk: User, reviewer: User, make_clerk: Callable[..., User]
) -> None:
    moved_in_at_nagasaki(federation, clerk, reviewer, with_honseki(family_move_in(), LOCAL_HONSEKI))
    assert (
        list(FuhyoNoticeOutbox.objects.values_list("destination", "destination_code"))
        == [("local", NAGASAKI.code)] * 3
    )
    assert not OutboxMessage.objects.filter(type=MESSAGE).exists()
    # The 戸籍附票 system's account sees the 戸籍の表示 and the 住民票コード; others see a mask (C-10).
    fuhyo_system = make_clerk(
        "fuhyo_system",
        Permission.RESIDENT_VIEW,
        Permission.FIELD_HONSEKI_VIEW,
        Permission.FIELD_JUMINHYO_CODE_VIEW,
    )
    with federation.acting_as(NAGASAKI):
        listed = fuhyo_notices.notices(actor=fuhyo_system, purpose=PURPOSE, state="local")
        masked = fuhyo_notices.notices(actor=reviewer, purpose=PURPOSE, state="local")
    assert [n.items["honseki"] for n in listed] == [LOCAL_HONSEKI] * 3
    assert all(n.items["resident_code"] for n in listed)
    assert {(n.items["honseki"], n.items["hittousha"], n.items["resident_code"]) for n in masked} == {
        (MASK,) * 3
    }
    assert [n.items["name"] for n in masked] == [n.items["name"] for n in listed]
    entry = AuditEntry.objects.filter(action="resident:fuhyo_notice:list").order_by("seq").first()
    assert entry is not None
    assert entry.result_count == 3
    subjects = AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)
    assert sorted(subjects) == sorted(n.atena_number for n in listed)


def test_foreign_residents_persons_without_honseki_and_discarded_drafts_give_no_notice(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    members = [
        person(kind=ResidentKind.FOREIGN, surname="グエン", surname_kana="グエン"),
        person(
            given_name="次郎",
            given_name_kana="ジロウ",
            relationship="同居人",
            honseki="なし",
            hittousha="なし",
        ),
        person(
            given_name="三郎",
            given_name_kana="サブロウ",
            relationship="同居人",
            honseki="不明",
            hittousha="不明",
        ),
    ]
    moved_in_at_nagasaki(federation, clerk, reviewer, family_move_in(members=members))
    with federation.acting_as(NAGASAKI):
        draft = record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(address=family_move_in().address)
        )
        discard_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id, reason="入力誤り")
    assert not FuhyoNoticeOutbox.objects.exists()
    assert not OutboxMessage.objects.filter(type=MESSAGE).exists()


def moved_out_at_nagasaki(
    federation: TestFederation, clerk: User, reviewer: User, atena: str, **overrides: object
) -> None:
    """Enter and commit today's 転出 of one person at 長崎市, then deliver every message."""
    today = timezone.localdate()
    values: dict[str, object] = {
        "atena_numbers": [atena],
        "planned_date": today,
        "destination": "福岡県福岡市",
        "notification_date": today,
        **overrides,
    }
    with federation.acting_as(NAGASAKI):
        draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=MoveOut(**values))  # type: ignore[arg-type]
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()


def test_a_move_out_abroad_notice_carries_the_move_abroad_and_its_date(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    atena = moved_in_at_nagasaki(federation, clerk, reviewer, family_move_in())
    moved_out_at_nagasaki(
        federation,
        clerk,
        reviewer,
        atena[2],
        destination="アメリカ合衆国",
        reason=ChangeReason.MOVE_OUT_ABROAD,
    )
    latest = ReceivedFuhyoNotice.objects.order_by("-pk").first()
    assert latest is not None
    today = timezone.localdate().isoformat()
    assert (latest.items["moved_abroad"], latest.items["moved_abroad_on"]) == (True, today)
    assert latest.items["change_reason"] == "国外転出"
    assert ReceivedFuhyoNotice.objects.count() == 4  # the 転入's three, then this one


def test_a_domestic_move_out_gives_no_notice_the_destination_sends_it(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    atena = moved_in_at_nagasaki(federation, clerk, reviewer, family_move_in())
    moved_out_at_nagasaki(federation, clerk, reviewer, atena[2])
    assert FuhyoNoticeOutbox.objects.count() == 3


def test_an_unresolvable_honseki_waits_until_a_clerk_names_the_honseki_municipality(
    federation: TestFederation, clerk: User, reviewer: User, make_clerk: Callable[..., User]
) -> None:
    moved_in_at_nagasaki(federation, clerk, reviewer, with_honseki(family_move_in(), "どこか村1番地"))
    waiting = list(FuhyoNoticeOutbox.objects.order_by("pk"))
    assert [(r.destination, r.destination_code, r.sent_at) for r in waiting] == [("other", "", None)] * 3
    assert not OutboxMessage.objects.filter(type=MESSAGE).exists()
    with federation.acting_as(NAGASAKI):
        listed = fuhyo_notices.notices(actor=reviewer, purpose=PURPOSE, state="waiting")
        assert len(listed) == 3
        with pytest.raises(DomainError) as unknown:
            fuhyo_notices.send_waiting(actor=clerk, purpose=PURPOSE, notice_id=waiting[0].pk)
        assert unknown.value.field == "destination_code"
        with pytest.raises(DomainError) as no_peer:
            fuhyo_notices.send_waiting(
                actor=clerk, purpose=PURPOSE, notice_id=waiting[0].pk, destination_code=SAPPORO
            )
        assert "連携先" in no_peer.value.reason
        with pytest.raises(AccessRefused):
            fuhyo_notices.send_waiting(
                actor=make_clerk("viewer", Permission.RESIDENT_VIEW),
                purpose=PURPOSE,
                notice_id=waiting[0].pk,
                destination_code=SASEBO.code,
            )
        assert FuhyoNoticeOutbox.objects.filter(sent_at__isnull=True).count() == 3  # nothing changed
        fuhyo_notices.send_waiting(
            actor=clerk, purpose=PURPOSE, notice_id=waiting[0].pk, destination_code=SASEBO.code
        )
        fuhyo_notices.send_waiting(
            actor=clerk, purpose=PURPOSE, notice_id=waiting[1].pk, destination_code=NAGASAKI.code
        )
        with pytest.raises(DomainError) as twice:
            fuhyo_notices.send_waiting(actor=clerk, purpose=PURPOSE, notice_id=waiting[0].pk)
        assert twice.value.field == "notice_id"
    federation.pump()
    assert ReceivedFuhyoNotice.objects.get().items["honseki_municipality_code"] == SASEBO.code
    assert FuhyoNoticeOutbox.objects.get(pk=waiting[1].pk).destination == "local"
    assert FuhyoNoticeOutbox.objects.filter(sent_at__isnull=True).count() == 1


def test_a_honseki_in_a_municipality_that_is_no_peer_waits(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    moved_in_at_nagasaki(
        federation, clerk, reviewer, with_honseki(family_move_in(), "北海道札幌市中央区北1条西2丁目")
    )
    rows = FuhyoNoticeOutbox.objects.values_list("destination_code", "sent_at")
    assert list(rows) == [("011011", None)] * 3


@pytest.mark.parametrize(
    ("items", "notices"),
    [
        ({"address": "長崎県長崎市江戸町2番14号"}, 1),  # the 附票's 住所 changes
        ({"katagaki": "さくら荘 201号"}, 0),  # the 方書 is no 附票 item
    ],
)
def test_an_ex_officio_correction_notifies_only_when_the_fuhyo_items_change(
    federation: TestFederation, clerk: User, reviewer: User, items: dict[str, str], notices: int
) -> None:
    atena = moved_in_at_nagasaki(federation, clerk, reviewer, family_move_in())
    before = FuhyoNoticeOutbox.objects.count()
    with federation.acting_as(NAGASAKI):
        draft = record_ex_officio_correction(
            actor=clerk, purpose=PURPOSE, correction=correction([atena[0]], items)
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    new = FuhyoNoticeOutbox.objects.filter(change_id=draft.change_id)
    assert (FuhyoNoticeOutbox.objects.count() - before, new.count()) == (notices, notices)
    if notices:
        assert new.get().items["address"] == items["address"]
        assert new.get().items["change_reason"] == "職権修正"


def test_forged_and_unsigned_notices_are_refused_by_the_receiving_cs(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    with federation.acting_as(NAGASAKI):
        load_code_pool([resident_code(n) for n in range(700, 720)])
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    row = OutboxMessage.objects.filter(type=MESSAGE).order_by("pk").first()
    assert row is not None
    header, payload, signature = messaging.signed_token(row).split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with federation.acting_as(SASEBO):
        for token in (forged, f"{header}.{payload}."):
            receipt = messaging.receive(federation.node(SASEBO), NAGASAKI, token.encode("ascii"))
            assert receipt.status == "refused"
    assert not ReceivedFuhyoNotice.objects.exists()


def test_the_api_lists_the_waiting_notices_and_sends_one_with_a_clear_refusal_first(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    moved_in_at_nagasaki(federation, clerk, reviewer, with_honseki(family_move_in(), "どこか村1番地"))
    client = logged_in(clerk)
    with federation.acting_as(NAGASAKI):
        listed = post(client, "/fuhyo-notices/list", {"purpose": PURPOSE, "state": "waiting"})
        assert listed.status_code == 200
        first = listed.json()[0]
        assert (first["destination_code"], first["sent_at"]) == ("", "")
        bad = post(client, "/fuhyo-notices/send", {"purpose": PURPOSE, "notice_id": first["notice_id"]})
        assert bad.status_code == 400
        assert bad.json()["field"] == "destination_code"
        sent = post(
            client,
            "/fuhyo-notices/send",
            {"purpose": PURPOSE, "notice_id": first["notice_id"], "destination_code": SASEBO.code},
        )
        assert sent.status_code == 200
        assert sent.json()["sent_at"]
    federation.pump()
    assert ReceivedFuhyoNotice.objects.count() == 1


def test_a_move_within_and_its_cancellation_each_notify_the_address_of_the_time(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    atena = moved_in_at_nagasaki(federation, clerk, reviewer, family_move_in())
    old_address = FuhyoNoticeOutbox.objects.get(atena_number=atena[0]).items["address"]
    with federation.acting_as(NAGASAKI):
        moved = record_move_within(actor=clerk, purpose=PURPOSE, move=move(list(atena)))
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=moved.change_id)
        cancelled = record_cancellation(
            actor=clerk,
            purpose=PURPOSE,
            cancellation=Cancellation(change_id=moved.change_id, reason="届出人の錯誤"),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=cancelled.change_id)
    federation.pump()
    mine = FuhyoNoticeOutbox.objects.filter(atena_number=atena[0]).order_by("pk")
    assert [(n.items["change_reason"], n.items["address"]) for n in mine] == [
        ("国内転入", old_address),
        ("転居", NEW_ADDRESS.address),
        ("異動の取消し(修正)", old_address),
    ]
    assert ReceivedFuhyoNotice.objects.count() == 9


def test_a_notice_whose_name_has_no_unified_character_waits_and_its_resend_says_why(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    # 住基ネット統一文字 (std 7.1.1.1-e): 髙 is never sent as 高; the notice waits for 同定 or 外字登録.
    head = person(surname="髙木", honseki="長崎県佐世保市八幡町1番地")
    move_in = dataclasses.replace(family_move_in(), members=[head])
    moved_in_at_nagasaki(federation, clerk, reviewer, move_in)
    row = FuhyoNoticeOutbox.objects.get()
    assert (row.destination_code, row.sent_at) == (SASEBO.code, None)
    assert not OutboxMessage.objects.filter(type=MESSAGE).exists()
    with federation.acting_as(NAGASAKI), pytest.raises(DomainError) as held:
        fuhyo_notices.send_waiting(actor=clerk, purpose=PURPOSE, notice_id=row.pk)
    assert (held.value.field, held.value.code) == ("name", "jukinet.not_unified_character")
    assert "統一文字" in held.value.reason

"""The clerk screens of 特例転入 and the 転入通知 import (docs/workflows/move-in.md, move-in-notice.md).

The screens call the same workflows as the API (tests/registry/test_special_moves.py covers those).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.jukinet.cs import special_move_in
from jumin.jukinet.cs.models import ReceivedMoveInNotice
from jumin.messaging.testing import TestFederation
from jumin.registry.models import Change, ChangeState, ResidentSnapshot
from jumin.registry.services import commit_change
from jumin.registry.workflows.move_out import MoveOut, record_move_out
from tests.helpers.accounts import terminal_client
from tests.registry import test_special_moves
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_special_moves import NAGASAKI, NEW_ADDRESS, PIN, card_holder_sent_over

pytestmark = pytest.mark.django_db

counter_clerk = test_special_moves.counter_clerk  # the fixture: a clerk who also operates the card check

SCREEN = "registry:special_move_in"
IMPORT = "registry:move_in_notice_import"


def shown_fields(body: str) -> dict[str, str]:
    """The values the entry form shows: text inputs, ticked checkboxes and selected options."""
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="(?:text|hidden)" name="([^"]+)" value="([^"]*)"', body)
    }
    fields |= dict.fromkeys(re.findall(r'<input type="checkbox" name="([^"]+)"[^>]* checked', body), "on")
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', body, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', options)
        if selected:
            fields[name] = selected.group(1)
    return fields


def test_the_special_move_in_screen_starts_from_the_held_data_and_records_the_draft(
    federation: TestFederation,
    counter_clerk: User,
    reviewer: User,
) -> None:
    request, card = card_holder_sent_over(federation, counter_clerk)
    client = logged_in(counter_clerk)
    with federation.acting_as(NAGASAKI):
        assert "住民票コード" in client.get(reverse(SCREEN)).content.decode()
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        started = client.post(
            reverse(SCREEN), {"purpose": PURPOSE, "resident_codes": request.resident_code, "start": "1"}
        )
        body = started.content.decode()
        assert started.status_code == 200
        assert request.individual_number not in body
        shown = shown_fields(body)
        assert (shown["form-0-surname"], shown["form-0-given_name"], shown["form-0-juminhyo_code"]) == (
            "試験",
            "太郎",
            request.resident_code,
        )
        assert shown["form-0-birth_date"] == "昭和55年4月1日"
        assert shown["previous_address"] == request.address
        assert not Change.objects.exists()  # starting data only

        # The clerk edits the starting data (std 4.1.1.3-a) and fills in the new address.
        entered = client.post(
            reverse(SCREEN),
            {
                **shown,
                "form-0-hittousha": "試験\u3000一郎",
                "address": NEW_ADDRESS,
                "move_in_date": timezone.localdate().isoformat(),
                "notification_date": timezone.localdate().isoformat(),
                "record": "1",
            },
        )
        done = entered.content.decode()
        assert "仮登録しました" in done, done
        assert request.individual_number not in done
    row = ResidentSnapshot.objects.get()
    assert (row.special_move_in, row.hittousha, row.juminhyo_code, row.surname_kana) == (
        True,
        "試験\u3000一郎",
        request.resident_code,
        "シケン",
    )
    assert row.get_individual_number() == request.individual_number  # from the held data
    assert Change.objects.get().state == ChangeState.DRAFT


def test_the_special_move_in_screen_shows_the_refusal_with_its_remedy(
    federation: TestFederation,
    counter_clerk: User,
) -> None:
    request, _card = card_holder_sent_over(federation, counter_clerk)
    with federation.acting_as(NAGASAKI):  # the card was not checked at the 統合端末
        response = logged_in(counter_clerk).post(
            reverse(SCREEN), {"purpose": PURPOSE, "resident_codes": request.resident_code, "start": "1"}
        )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in body
    assert "送信依頼" in body
    assert "試験" not in body
    assert not Change.objects.exists()


def test_the_special_move_in_screen_refuses_a_clerk_without_the_number_permission(
    federation: TestFederation,
    counter_clerk: User,
    clerk: User,
) -> None:
    request, card = card_holder_sent_over(federation, counter_clerk)
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        response = logged_in(clerk).post(  # 住民記録 but not 特定個人情報
            reverse(SCREEN), {"purpose": PURPOSE, "resident_codes": request.resident_code, "start": "1"}
        )
    assert response.status_code == 403
    assert "試験" not in response.content.decode()
    assert not Change.objects.exists()


def test_the_screens_need_a_login() -> None:
    for name in (SCREEN, IMPORT):
        assert terminal_client().get(reverse(name)).status_code == 302


def planned_move_out(clerk: User, reviewer: User, family: Any) -> str:
    """The 世帯主 of ``family`` with a committed 転出 (転出予定); gives the 住民票コード."""
    head = family.atena_numbers[0]
    today = timezone.localdate()
    move_out = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=MoveOut(
            atena_numbers=[head],
            planned_date=today + timedelta(days=3),
            destination=NEW_ADDRESS,
            notification_date=today,
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=move_out.change_id)
    return current(head).juminhyo_code


def received_notice(resident_code: str, number: int) -> ReceivedMoveInNotice:
    today = timezone.localdate().isoformat()
    return ReceivedMoveInNotice.objects.create(
        message_id=f"test-notice-{number}",
        sender_code=NAGASAKI.code,
        resident_code=resident_code,
        items={
            "move_in_date": today,
            "notice_date": today,
            "new_address": NEW_ADDRESS,
            "notification_kind": "届出",
            "special": True,
        },
        received_at=timezone.now(),
    )


def test_the_import_screen_lists_the_waiting_notices_and_takes_them_in_as_drafts(
    clerk: User, reviewer: User, family: Any
) -> None:
    code = planned_move_out(clerk, reviewer, family)
    taken = received_notice(code, 1)
    unknown = received_notice("12345678901", 2)
    client = logged_in(clerk)
    listing = client.get(reverse(IMPORT)).content.decode()
    assert "取込待ちの転入通知（2件）" in listing
    assert code not in listing  # no personal data in the list
    assert NEW_ADDRESS not in listing

    response = client.post(reverse(IMPORT), {"purpose": PURPOSE})
    body = response.content.decode()
    assert "転出確定の仮登録を1件作成しました" in body
    assert f"通知番号 {unknown.pk}: 転出した方が見つかりません。" in body
    assert "取込待ちの転入通知（1件）" in body
    taken.refresh_from_db()
    draft = Change.objects.get(pk=taken.change_id)
    assert draft.state == ChangeState.DRAFT
    assert reverse("registry:draft", args=[draft.pk]) in body


def test_the_import_screen_refuses_a_clerk_without_the_record_permission(
    clerk: User, reviewer: User, family: Any, make_clerk: Callable[..., User]
) -> None:
    code = planned_move_out(clerk, reviewer, family)
    notice = received_notice(code, 1)
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    response = logged_in(viewer).post(reverse(IMPORT), {"purpose": PURPOSE})
    assert response.status_code == 403
    notice.refresh_from_db()
    assert notice.imported_at is None
    assert not Change.objects.filter(state=ChangeState.DRAFT).exists()


def test_the_special_move_in_screen_records_an_unreported_move_in(
    federation: TestFederation, counter_clerk: User
) -> None:
    """未届転入 (standard 4.1.1.4-a) on the 特例転入 screen: the 転出証明書情報's address is kept as the
    last registered one, the 住民票 shows the unreported address with 「（未届）」 and the change carries
    the note."""
    request, card = card_holder_sent_over(federation, counter_clerk)
    client = logged_in(counter_clerk)
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        started = client.post(
            reverse(SCREEN), {"purpose": PURPOSE, "resident_codes": request.resident_code, "start": "1"}
        )
        entered = client.post(
            reverse(SCREEN),
            {
                **shown_fields(started.content.decode()),
                "address": NEW_ADDRESS,
                "move_in_date": timezone.localdate().isoformat(),
                "notification_date": timezone.localdate().isoformat(),
                "unreported": "on",
                "unreported_address": "福岡県福岡市中央区天神1丁目1番1号",
                "record": "1",
            },
        )
        assert "仮登録しました" in entered.content.decode()
    row = ResidentSnapshot.objects.get()
    assert row.special_move_in
    assert row.previous_address == "福岡県福岡市中央区天神1丁目1番1号（未届）"
    assert row.last_registered_address == request.address
    assert Change.objects.get().attention_note.startswith("未届転入。")


def test_the_screen_tells_the_clerk_of_a_returning_person_and_offers_the_former_spelling(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    request, card = card_holder_sent_over(federation, counter_clerk, name="高橋\u3000太郎")
    atena = test_special_moves.lived_here_before(
        federation, counter_clerk, reviewer, request.resident_code, "髙橋", "太郎"
    )
    client = logged_in(counter_clerk)
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        started = client.post(
            reverse(SCREEN), {"purpose": PURPOSE, "resident_codes": request.resident_code, "start": "1"}
        )
    body = started.content.decode()
    assert f"前回の宛名番号 {atena}" in body
    assert "氏名は前回の住民票の表記にしました" in body
    assert shown_fields(body)["form-0-surname"] == "髙橋"


def test_a_foreign_residents_items_and_alias_go_through_the_screen_unchanged(
    federation: TestFederation, counter_clerk: User
) -> None:
    foreign = {**test_special_moves.FOREIGN_ITEMS, "alias": "阮\u3000安", "alias_kana": "グエン\u3000アン"}
    request, card = card_holder_sent_over(
        federation, counter_clerk, name="NGUYEN\u3000VAN AN", foreign=foreign
    )
    client = logged_in(counter_clerk)
    with federation.acting_as(NAGASAKI):
        special_move_in.check_card(actor=counter_clerk, purpose="cs_operator", card_json=card, pin=PIN)
        started = client.post(
            reverse(SCREEN), {"purpose": PURPOSE, "resident_codes": request.resident_code, "start": "1"}
        )
        shown = shown_fields(started.content.decode())
        assert (shown["form-0-kind"], shown["form-0-given_name"], shown["form-0-birth_date"]) == (
            "F",
            "VAN AN",
            "1980-04-01",
        )
        assert (shown["form-0-residence_card_number"], shown["form-0-alias"]) == (
            "AB12345678CD",
            "阮\u3000安",
        )
        entered = client.post(
            reverse(SCREEN),
            {
                **shown,
                "address": NEW_ADDRESS,
                "move_in_date": timezone.localdate().isoformat(),
                "notification_date": timezone.localdate().isoformat(),
                "record": "1",
            },
        )
        assert "仮登録しました" in entered.content.decode()
    row = ResidentSnapshot.objects.get()
    assert (row.kind, row.alias, row.alias_kana, row.honseki) == ("F", "阮\u3000安", "グエン\u3000アン", "")
    assert {k: row.foreign[k] for k in test_special_moves.FOREIGN_ITEMS} == test_special_moves.FOREIGN_ITEMS

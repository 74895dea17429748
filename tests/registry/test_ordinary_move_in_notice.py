"""The 転入通知 of an ordinary (paper 転出証明書) 転入 through the CS, and its scheduled import (住基法9条1項;
std 7.1.1.1-e; docs/jukinet.md Flow 7).

All nodes share one test database, so a test drives the registry of one municipality only: the 転入地
tests drive 長崎市's registry; the 転出地 test drives 佐世保市's registry with 長崎市's CS sending.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.cli.cs import COMMANDS
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.cs import move_in_notices
from jumin.jukinet.cs.certificate_lists import certificate_lists
from jumin.jukinet.cs.models import ReceivedMoveInNotice, SentMoveInNotice
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.numbering import load_code_pool
from jumin.registry.services import MoveIn, commit_change, record_move_in
from jumin.registry.workflows.unreported_move_in import UnreportedMoveIn
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in, person
from tests.registry.test_api import MOVE_IN, post
from tests.registry.test_move_in_individual_number import _screen_post
from tests.registry.test_special_move_screens import planned_move_out
from tests.registry.test_special_moves import NEW_ADDRESS

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
CHIYODA = NodeRef("municipality", "131016")
SAPPORO = "011002"  # a valid 市町村コード that is no peer of the test federation
CS_PURPOSE = "cs_operator"


@pytest.fixture
def counter_clerk(make_clerk: Callable[..., User]) -> User:
    """A clerk who enters 転入 and re-sends waiting notices from the 統合端末."""
    return make_clerk(
        "ordinary01", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.CS_IDENTITY_CHECK
    )


def moved_in_at_nagasaki(
    federation: TestFederation, clerk: User, reviewer: User, move_in: MoveIn
) -> tuple[str, ...]:
    """Enter and commit a 転入 at 長崎市, then deliver every message; the 宛名番号 of the members."""
    with federation.acting_as(NAGASAKI):
        load_code_pool([resident_code(n) for n in range(500, 520)])
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    return draft.atena_numbers


def family_with_codes(**overrides: object) -> MoveIn:
    """A household of three moving in with a paper 転出証明書: head and wife have 住民票コード, the child
    (born abroad, say) has none yet."""
    head, wife, child = family_move_in().members
    coded = [
        dataclasses.replace(head, juminhyo_code=resident_code(401)),
        dataclasses.replace(wife, juminhyo_code=resident_code(402)),
        child,
    ]
    return family_move_in(members=coded, **overrides)


def notices_to(code: str) -> int:
    return OutboxMessage.objects.filter(type="jukinet.move_in_notice", receiver_code=code).count()


# --- 転入地: 長崎市 -------------------------------------------------------------------------------


def test_an_ordinary_move_in_sends_one_notice_per_coded_member_to_the_former_municipality(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    atena = moved_in_at_nagasaki(
        federation, counter_clerk, reviewer, family_with_codes(former_municipality_code=SASEBO.code)
    )
    assert current(atena[0]).previous_municipality_code == SASEBO.code
    assert notices_to(SASEBO.code) == 2  # the child without a 住民票コード is unknown at 佐世保市
    received = ReceivedMoveInNotice.objects.order_by("resident_code")
    assert [r.resident_code for r in received] == [resident_code(401), resident_code(402)]
    items = received[0].items
    assert (items["special"], items["control_number"], items["new_municipality_code"]) == (
        False,
        "",
        NAGASAKI.code,
    )
    assert (items["move_in_date"], items["notification_kind"]) == ("2026-11-01", "届出")
    assert items["new_address"] == current(atena[0]).address
    assert "individual_number" not in items
    assert all(row.sent_at is not None for row in SentMoveInNotice.objects.all())
    assert AuditEntry.objects.filter(action="cs:move_in_notice:send").count() == 2


def test_an_unreported_move_in_notifies_the_last_registered_municipality(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    unreported = UnreportedMoveIn(address="福岡県福岡市中央区天神1丁目1番1号", moved_on=None)
    moved_in_at_nagasaki(
        federation,
        counter_clerk,
        reviewer,
        family_with_codes(
            previous_address="東京都千代田区霞が関1丁目1番1号",
            unreported=unreported,
            former_municipality_code=CHIYODA.code,
        ),
    )
    # Not 福岡市 (where the person lived unreported): the municipality of the 転出証明書.
    assert notices_to(CHIYODA.code) == 2
    assert OutboxMessage.objects.filter(type="jukinet.move_in_notice").count() == 2


def test_a_move_in_from_abroad_sends_no_notice_and_takes_no_former_municipality(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    abroad = family_with_codes(reason=ChangeReason.MOVE_IN_FROM_ABROAD, previous_address="アメリカ合衆国")
    # Only the members with a 住民票コード: a new one would need the national node's 個人番号.
    abroad = dataclasses.replace(abroad, members=abroad.members[:2])
    with federation.acting_as(NAGASAKI), pytest.raises(DomainError) as refused:
        record_move_in(
            actor=counter_clerk,
            purpose=PURPOSE,
            move_in=family_with_codes(
                reason=ChangeReason.MOVE_IN_FROM_ABROAD, former_municipality_code=SASEBO.code
            ),
        )
    assert refused.value.field == "former_municipality_code"
    moved_in_at_nagasaki(federation, counter_clerk, reviewer, abroad)
    assert not SentMoveInNotice.objects.exists()
    assert not OutboxMessage.objects.filter(type="jukinet.move_in_notice").exists()


def test_a_notice_to_a_municipality_that_is_no_peer_waits_and_is_resent(
    federation: TestFederation, counter_clerk: User, reviewer: User, make_clerk: Callable[..., User]
) -> None:
    moved_in_at_nagasaki(
        federation, counter_clerk, reviewer, family_with_codes(former_municipality_code=SAPPORO)
    )
    waiting = SentMoveInNotice.objects.order_by("pk")
    assert [(row.destination_code, row.sent_at) for row in waiting] == [(SAPPORO, None), (SAPPORO, None)]
    with federation.acting_as(NAGASAKI):
        listed = certificate_lists(actor=counter_clerk, purpose=CS_PURPOSE).notices
        assert [(r.destination_code, r.sent_at) for r in listed] == [(SAPPORO, ""), (SAPPORO, "")]
        with pytest.raises(DomainError) as no_peer:
            move_in_notices.resend(actor=counter_clerk, purpose=CS_PURPOSE, notice_id=waiting[0].pk)
        assert (no_peer.value.field, "連携先" in no_peer.value.reason) == ("destination_code", True)
        outsider = make_clerk("outsider", Permission.RESIDENT_VIEW)
        with pytest.raises(AccessRefused):
            move_in_notices.resend(
                actor=outsider, purpose=CS_PURPOSE, notice_id=waiting[0].pk, destination_code=SASEBO.code
            )
        # The clerk finds the 転出証明書 was 佐世保市's after all (a wrong code entered at the 転入).
        move_in_notices.resend(
            actor=counter_clerk, purpose=CS_PURPOSE, notice_id=waiting[0].pk, destination_code=SASEBO.code
        )
        with pytest.raises(DomainError) as twice:
            move_in_notices.resend(actor=counter_clerk, purpose=CS_PURPOSE, notice_id=waiting[0].pk)
        assert twice.value.field == "notice_id"
    federation.pump()
    assert ReceivedMoveInNotice.objects.get().resident_code == waiting[0].resident_code
    assert SentMoveInNotice.objects.get(pk=waiting[0].pk).send_count == 1
    assert SentMoveInNotice.objects.get(pk=waiting[1].pk).sent_at is None


def test_an_unknown_former_municipality_is_listed_until_a_clerk_names_it(
    federation: TestFederation, counter_clerk: User, reviewer: User
) -> None:
    moved_in_at_nagasaki(
        federation, counter_clerk, reviewer, family_with_codes(former_municipality_unknown=True)
    )
    first = SentMoveInNotice.objects.order_by("pk").first()
    assert first is not None
    assert (first.destination_code, first.sent_at) == ("", None)
    with federation.acting_as(NAGASAKI):
        assert certificate_lists(actor=counter_clerk, purpose=CS_PURPOSE).notices[0].destination_code == ""
        with pytest.raises(DomainError) as unknown:
            move_in_notices.resend(actor=counter_clerk, purpose=CS_PURPOSE, notice_id=first.pk)
        assert (unknown.value.field, unknown.value.reason) == (
            "destination_code",
            "転出地の市町村コードが不明です。",
        )
        with pytest.raises(DomainError) as own:
            move_in_notices.resend(
                actor=counter_clerk, purpose=CS_PURPOSE, notice_id=first.pk, destination_code=NAGASAKI.code
            )
        assert own.value.field == "destination_code"
        move_in_notices.resend(
            actor=counter_clerk, purpose=CS_PURPOSE, notice_id=first.pk, destination_code=SASEBO.code
        )
    assert notices_to(SASEBO.code) == 1


def test_the_former_municipality_code_is_checked_and_required_for_coded_members(
    clerk: User, code_pool: list[str]
) -> None:
    client = logged_in(clerk)
    coded = json.loads(json.dumps(MOVE_IN))
    coded["members"][0]["juminhyo_code"] = resident_code(403)
    wrong = post(client, "/move-ins", {**coded, "former_municipality_code": "131017"})
    assert wrong.status_code == 400
    refusal = wrong.json()
    assert (refusal["field"], refusal["reason"]) == ("former_municipality_code", "検査数字が一致しません。")
    missing = post(client, "/move-ins", coded)
    assert missing.status_code == 400
    assert missing.json()["field"] == "former_municipality_code"
    assert "転出地の市町村コード" in missing.json()["reason"]
    assert not Change.objects.exists()
    unknown = post(client, "/move-ins", {**coded, "former_municipality_unknown": True})
    assert unknown.status_code == 201
    accepted = post(client, "/move-ins", {**MOVE_IN, "former_municipality_code": CHIYODA.code})
    assert accepted.status_code == 201  # no 住民票コード entered: the code is still kept when given
    rows = ResidentSnapshot.objects.filter(change_id=accepted.json()["change_id"])
    kept = {(row.previous_municipality_code, row.move_in_notice_due) for row in rows}
    assert kept == {(CHIYODA.code, False)}


# --- 転出地: 佐世保市 -----------------------------------------------------------------------------


def test_the_daily_import_turns_an_ordinary_notice_into_a_move_out_confirmation(
    federation: TestFederation, counter_clerk: User, reviewer: User, make_clerk: Callable[..., User]
) -> None:
    today = timezone.localdate()
    batch = make_clerk("batch01", Permission.RESIDENT_BATCH_RUN)
    with federation.acting_as(SASEBO):
        load_code_pool([resident_code(n) for n in range(300, 320)])
        draft = record_move_in(
            actor=counter_clerk, purpose=PURPOSE, move_in=family_move_in(members=[person()])
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        (atena,) = draft.atena_numbers
        code = planned_move_out(counter_clerk, reviewer, draft)
    with federation.acting_as(NAGASAKI), transaction.atomic():  # what 長崎市's 転入 commit does
        for resident, address in ((code, NEW_ADDRESS), (resident_code(399), "長崎県長崎市桜町2番22号")):
            move_in_notices.send_ordinary(
                move_in_notices.OrdinaryMoveIn(
                    resident_code=resident,
                    destination_code=SASEBO.code,
                    move_in_date=today - timedelta(days=1),
                    notice_date=today,
                    new_address=address,
                ),
                actor=counter_clerk,
            )
    federation.pump()

    out = StringIO()
    with federation.acting_as(SASEBO):
        call_command(COMMANDS["import-move-in-notices"], "--operator", "batch01", stdout=out)
    assert "転出確定の仮登録: 1件、取り込めなかった転入通知: 1件" in out.getvalue()
    assert "転出した方が見つかりません。" in out.getvalue()
    imported = ReceivedMoveInNotice.objects.get(resident_code=code)
    left = ReceivedMoveInNotice.objects.get(resident_code=resident_code(399))
    assert imported.change_id is not None
    assert left.imported_at is None
    scheduled = AuditEntry.objects.get(action="resident:move_in_notice:record", subject_type="batch")
    assert (scheduled.actor_id, scheduled.result_count) == (batch.pk, 1)

    with federation.acting_as(SASEBO):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=imported.change_id)
    confirmed = current(atena)
    assert (confirmed.confirmed_destination, confirmed.move_in_notice_date) == (NEW_ADDRESS, today)
    assert confirmed.confirmed_move_out_date == today - timedelta(days=1)
    assert confirmed.planned_destination == NEW_ADDRESS
    assert confirmed.status == ResidentStatus.REMOVED  # G.1: removed from the earlier move-in date


def test_the_scheduled_import_needs_the_batch_right(
    federation: TestFederation, make_clerk: Callable[..., User]
) -> None:
    viewer = make_clerk("viewer01", Permission.RESIDENT_VIEW)
    with federation.acting_as(SASEBO), pytest.raises(CommandError):
        call_command(COMMANDS["import-move-in-notices"], "--operator", "viewer01", stdout=StringIO())
    assert AuditEntry.objects.filter(actor_id=viewer.pk, outcome="refused").exists()


def test_the_move_in_screen_takes_the_former_municipality_code(clerk: User, code_pool: list[str]) -> None:
    form = {k: v for k, v in _screen_post("").items() if k != "form-0-individual_number"}
    client = logged_in(clerk)
    page = client.get(reverse("registry:move_in")).content.decode()
    assert 'name="former_municipality_code"' in page
    assert 'name="former_municipality_unknown"' in page
    answer = client.post(reverse("registry:move_in"), {**form, "former_municipality_code": "131017"})
    alert = answer.content.decode().split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "検査数字が一致しません" in alert
    assert "転出地の市町村コード" in alert  # the field is named
    assert not Change.objects.exists()
    client.post(reverse("registry:move_in"), {**form, "former_municipality_code": CHIYODA.code})
    assert ResidentSnapshot.objects.get().previous_municipality_code == CHIYODA.code

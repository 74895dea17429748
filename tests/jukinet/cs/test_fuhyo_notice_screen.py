"""The 統合端末 screen 「戸籍附票記載事項通知の受信一覧」 at the 本籍地 CS (std 7.1.1.1-e; docs/jukinet.md
Flow 13): list with status and day filters, detail, 処理済み once; CS terminal only, audited reads, the
住民票コード and 戸籍の表示 masked without their grants. Notices are synthetic (test_fuhyo_notices)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.cs import fuhyo_notice_inbox as inbox
from jumin.jukinet.cs.models import FuhyoNoticeProcessing, ReceivedFuhyoNotice
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.cs.factories import resident_code
from tests.jukinet.cs.test_fuhyo_notices import NAGASAKI, notice, send_from
from tests.jukinet.cs.test_screens import cs_terminal  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db
PURPOSE = "cs_fuhyo"
URL = "jukinet_cs:fuhyo_notices"
HONSEKI = "長崎県佐世保市八幡町1番地"
ALL_FIELDS = (Permission.FIELD_JUMINHYO_CODE_VIEW, Permission.FIELD_HONSEKI_VIEW)


@pytest.fixture
def received(federation: TestFederation) -> list[int]:
    """Two notices received from 長崎市; the first yesterday."""
    send_from(federation, NAGASAKI, notice(1), notice(2))
    ids = list(ReceivedFuhyoNotice.objects.order_by("pk").values_list("pk", flat=True))
    ReceivedFuhyoNotice.objects.filter(pk=ids[0]).update(received_at=timezone.now() - timedelta(days=1))
    return ids


def operator(name: str, *fields: Permission) -> User:
    user = make_user(username=name)
    grant_permissions(user, [Permission.CS_FUHYO, *fields])
    return user


def form(**values: Any) -> dict[str, Any]:
    return {"purpose": PURPOSE, "status": "", "received_from": "", "received_to": "", **values}


def test_the_list_filters_by_status_and_day_and_is_audited_naming_the_persons(received: list[int]) -> None:
    clerk = operator("fuhyo-list", *ALL_FIELDS)
    everything = inbox.inbox(actor=clerk, purpose=PURPOSE, conditions=inbox.InboxFilter())
    assert [row.notice_id for row in everything.rows] == [received[1], received[0]]  # newest first
    assert everything.rows[0].resident_code == resident_code(802)
    today = timezone.localdate()
    todays = inbox.inbox(
        actor=clerk, purpose=PURPOSE, conditions=inbox.InboxFilter(received_from=today, received_to=today)
    )
    assert [row.notice_id for row in todays.rows] == [received[1]]
    inbox.mark_processed(actor=clerk, purpose=PURPOSE, notice_id=received[0], note="附票に記載")
    open_ones = inbox.inbox(
        actor=clerk, purpose=PURPOSE, conditions=inbox.InboxFilter(status=inbox.NoticeStatus.UNPROCESSED)
    )
    done = inbox.inbox(
        actor=clerk, purpose=PURPOSE, conditions=inbox.InboxFilter(status=inbox.NoticeStatus.PROCESSED)
    )
    assert ([r.notice_id for r in open_ones.rows], [r.notice_id for r in done.rows]) == (
        [received[1]],
        [received[0]],
    )
    listed = AuditEntry.objects.filter(action="cs:fuhyo_notice:list", outcome="done").order_by("seq")
    assert [entry.result_count for entry in listed] == [2, 1, 1, 1]
    with pytest.raises(DomainError) as backwards:
        inbox.inbox(
            actor=clerk,
            purpose=PURPOSE,
            conditions=inbox.InboxFilter(received_from=today, received_to=today - timedelta(days=1)),
        )
    assert backwards.value.field == "received_to"


def test_a_notice_is_processed_once_and_the_notice_itself_never_changes(received: list[int]) -> None:
    clerk = operator("fuhyo-process", *ALL_FIELDS)
    items_before = ReceivedFuhyoNotice.objects.get(pk=received[0]).items
    inbox.mark_processed(actor=clerk, purpose=PURPOSE, notice_id=received[0], note="附票に記載済み")
    detail = inbox.notice_detail(actor=clerk, purpose=PURPOSE, notice_id=received[0])
    assert (detail.status, detail.note, detail.processed_by) == (
        inbox.NoticeStatus.PROCESSED,
        "附票に記載済み",
        "fuhyo-process",
    )
    assert detail.items.honseki == HONSEKI
    with pytest.raises(DomainError) as again:
        inbox.mark_processed(actor=clerk, purpose=PURPOSE, notice_id=received[0])
    assert again.value.code == "jukinet.cs.fuhyo_notice_processed"
    assert FuhyoNoticeProcessing.objects.count() == 1
    assert ReceivedFuhyoNotice.objects.get(pk=received[0]).items == items_before
    with pytest.raises(DomainError) as missing:
        inbox.mark_processed(actor=clerk, purpose=PURPOSE, notice_id=received[1] + 100)
    assert missing.value.field == "notice_id"
    with pytest.raises(DomainError) as long_note:
        inbox.mark_processed(actor=clerk, purpose=PURPOSE, notice_id=received[1], note="長" * 201)
    assert long_note.value.field == "note"
    assert not FuhyoNoticeProcessing.objects.filter(notice_id=received[1]).exists()
    processed = AuditEntry.objects.get(action="cs:fuhyo_notice:process")
    assert processed.subject_id == str(received[0])
    assert "附票に記載済み" not in processed.reason  # the note stays in its row, out of the log
    viewed = AuditEntry.objects.get(action="cs:fuhyo_notice:view")
    assert (viewed.subject_id, viewed.result_count) == (str(received[0]), 1)


def test_without_the_field_grants_the_code_and_the_family_register_are_masked(received: list[int]) -> None:
    plain = operator("fuhyo-plain")
    [row, _] = inbox.inbox(actor=plain, purpose=PURPOSE, conditions=inbox.InboxFilter()).rows
    assert row.resident_code == MASK
    detail = inbox.notice_detail(actor=plain, purpose=PURPOSE, notice_id=received[0])
    assert (detail.items.resident_code, detail.items.honseki, detail.items.hittousha) == (MASK, MASK, MASK)
    assert detail.items.name == notice(1).name


def test_without_the_cs_permission_nothing_is_read_and_the_refusal_is_audited(received: list[int]) -> None:
    stranger = make_user(username="fuhyo-none")
    with pytest.raises(AccessRefused):
        inbox.notice_detail(actor=stranger, purpose=PURPOSE, notice_id=received[0])
    assert AuditEntry.objects.get(action="cs:fuhyo_notice:view").outcome == "refused"


# --- the screen -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("cs_terminal")
def test_the_screen_follows_the_permission_triple(
    received: list[int], make_staff: Callable[..., Any]
) -> None:
    assert_permission_triple(make_staff, "post", reverse(URL), Permission.CS_FUHYO, data=form())


@pytest.mark.usefixtures("cs_terminal")
def test_the_screen_lists_shows_and_marks_processed_by_post(
    received: list[int], make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_FUHYO, *ALL_FIELDS])
    menu = client.get(reverse("jukinet_cs:index")).content.decode()
    assert reverse(URL) in menu
    empty = client.get(reverse(URL))
    assert empty.status_code == 200
    assert "戸籍附票記載事項通知の受信一覧" in empty.content.decode()
    listed = client.post(reverse(URL), form(status="未処理")).content.decode()
    assert resident_code(801) in listed
    assert resident_code(802) in listed
    assert HONSEKI not in listed  # the list has no 戸籍の表示; the detail has
    shown = client.post(reverse(URL), form(notice_id=received[0], show="1")).content.decode()
    assert HONSEKI in shown
    assert "処理済みにする" in shown
    processed = client.post(
        reverse(URL), form(status="未処理", notice_id=received[0], process="1", note="記載")
    )
    page = processed.content.decode()
    assert "通知を処理済みにしました" in page
    assert FuhyoNoticeProcessing.objects.filter(notice_id=received[0], note="記載").exists()
    again = client.post(reverse(URL), form(notice_id=received[0], process="1")).content.decode()
    assert "既に処理済みです" in again
    bad_days = client.post(reverse(URL), form(received_from="2026-11-24", received_to="2026-11-01"))
    assert "受信日の終わりが始まりより前です" in bad_days.content.decode()


def test_a_clerk_terminal_never_reaches_the_screen(
    received: list[int], make_staff: Callable[..., Any]
) -> None:
    client = make_staff([Permission.CS_FUHYO, *ALL_FIELDS])
    response = client.post(reverse(URL), form())
    assert response.status_code == 403
    assert resident_code(801) not in response.content.decode()
    entry = AuditEntry.objects.get(action="cs:fuhyo_notice:list")
    assert (entry.outcome, entry.outcome_reason) == ("refused", "cs_terminal_required")

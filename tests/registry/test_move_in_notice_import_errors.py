"""The 転入通知 import's garbled text, 重複 and 取込エラー一覧 (standard 4.1.3.1.2-a).

Received notices are stored as the CS stores them (``ReceivedMoveInNotice``); the federation is not
needed here (tests/registry/test_special_moves.py covers the way there).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.received_text import unacceptable_characters
from jumin.jukinet.cs.models import ReceivedMoveInNotice
from jumin.registry.models import Change
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.special_moves import (
    import_move_in_notices,
    move_in_notice_errors,
    retry_move_in_notice,
)
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_in_notice import moved_out
from tests.registry.test_move_out import current, today

pytestmark = pytest.mark.django_db

NEW_ADDRESS = "長崎県長崎市江戸町2番13号"
GARBLED = "長崎県長崎市江\ufffd町2番13号"
MOJIBAKE = "é•·å´ŽçœŒé•·å´Žå¸‚"  # UTF-8 read as cp1252
_messages = itertools.count(1)


def received(atena: str, **overrides: Any) -> ReceivedMoveInNotice:
    """A 転入通知 of the person as the CS keeps it on receipt."""
    code = current(atena).juminhyo_code
    items: dict[str, Any] = {
        "resident_code": code,
        "control_number": "",
        "move_in_date": (today() - timedelta(days=1)).isoformat(),
        "notice_date": today().isoformat(),
        "new_address": NEW_ADDRESS,
        "new_municipality_code": "422011",
        "notification_kind": "届出",
        "special": False,
        "operator_id": "op01",
        "terminal_id": "t01",
    }
    items.update(overrides)
    return ReceivedMoveInNotice.objects.create(
        message_id=f"00000000-0000-0000-0000-{next(_messages):012d}",
        sender_code="422011",
        resident_code=code,
        items=items,
        received_at=timezone.now(),
    )


@pytest.fixture
def moved(family: DraftRecorded, clerk: User, reviewer: User) -> str:
    """The family's child, moved out 20 days ago without a 転入通知."""
    child = family.atena_numbers[2]
    moved_out(clerk, reviewer, [child], today() - timedelta(days=20))
    return child


@pytest.fixture
def code_viewer(make_clerk: Callable[..., User]) -> User:
    return make_clerk(
        "codeviewer",
        Permission.RESIDENT_RECORD,
        Permission.RESIDENT_VIEW,
        Permission.FIELD_JUMINHYO_CODE_VIEW,
    )


def test_garbled_characters_are_named_and_ordinary_addresses_pass() -> None:
    assert unacceptable_characters(NEW_ADDRESS) == ()
    assert unacceptable_characters("東京都千代田区霞が関１－２－３　ＡＢＣビル 101号") == ()
    assert unacceptable_characters(GARBLED) == ("\ufffd",)
    assert unacceptable_characters("町\x07\ue000\u200b") == ("\x07", "\ue000", "\u200b")
    assert unacceptable_characters(MOJIBAKE)  # Latin-1 letters of a wrong decoding


@pytest.mark.parametrize("address", [GARBLED, MOJIBAKE], ids=["replacement", "mojibake"])
def test_a_garbled_notice_is_not_stored_but_listed_with_its_reason_and_retried_after_correction(
    moved: str, clerk: User, reviewer: User, address: str
) -> None:
    before = current(moved)
    notice = received(moved, new_address=address)
    result = import_move_in_notices(actor=clerk, purpose=PURPOSE)
    assert result.drafts == ()
    [(notice_id, reason)] = result.left
    assert notice_id == notice.pk
    assert "文字化け" in reason
    assert current(moved).pk == before.pk  # nothing stored
    assert not Change.objects.filter(reason="転出確定").exists()
    refused = AuditEntry.objects.filter(subject_type="cs_move_in_notice", outcome="refused").latest("seq")
    assert refused.subject_id == str(notice.pk)

    [row] = move_in_notice_errors(actor=clerk, purpose=PURPOSE)
    assert (row.notice_id, row.new_address, row.reason) == (notice.pk, address, reason)
    assert row.resident_code != before.juminhyo_code  # masked: no 住民票コード grant (C-10)
    assert row.name == f"{before.surname}　{before.given_name}"
    listed = AuditEntry.objects.filter(action="resident:move_in_notice:list").latest("seq")
    assert list(listed.result_subjects.values_list("subject_id", flat=True)) == [moved]

    with pytest.raises(DomainError) as still:
        retry_move_in_notice(actor=clerk, purpose=PURPOSE, notice_id=notice.pk, corrected_address=MOJIBAKE)
    assert still.value.field == "corrected_address"
    draft = retry_move_in_notice(
        actor=clerk, purpose=PURPOSE, notice_id=notice.pk, corrected_address=NEW_ADDRESS
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(moved).confirmed_destination == NEW_ADDRESS
    stored = ReceivedMoveInNotice.objects.get(pk=notice.pk)
    assert (stored.items["new_address"], stored.corrected_address) == (address, NEW_ADDRESS)  # as received
    assert stored.change_id == draft.change_id
    assert move_in_notice_errors(actor=clerk, purpose=PURPOSE) == []
    with pytest.raises(DomainError) as again:
        retry_move_in_notice(actor=clerk, purpose=PURPOSE, notice_id=notice.pk)
    assert again.value.field == "notice_id"


def test_the_error_list_shows_the_code_to_a_user_granted_it(moved: str, code_viewer: User) -> None:
    received(moved, new_address=GARBLED)
    import_move_in_notices(actor=code_viewer, purpose=PURPOSE)
    [row] = move_in_notice_errors(actor=code_viewer, purpose=PURPOSE)
    assert row.resident_code == current(moved).juminhyo_code


def test_a_notice_received_twice_is_taken_in_once_and_reported_as_a_duplicate(
    moved: str, clerk: User, reviewer: User
) -> None:
    first = received(moved)
    second = received(moved, operator_id="op02")  # the same notice re-sent from another terminal
    result = import_move_in_notices(actor=clerk, purpose=PURPOSE)
    assert len(result.drafts) == 1
    assert result.left == ()
    [(closed, reason)] = result.duplicates
    assert closed == first.pk
    assert "重複" in reason
    audited = AuditEntry.objects.get(outcome_reason="registry.move_in_notice_duplicate")
    assert (audited.subject_type, audited.subject_id) == ("cs_move_in_notice", str(first.pk))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=result.drafts[0].change_id)
    confirmed = current(moved)

    resent = received(moved)  # the same notice once more, after the 転出確定
    again = import_move_in_notices(actor=clerk, purpose=PURPOSE)
    assert (again.drafts, again.left) == ((), ())
    assert [notice_id for notice_id, _ in again.duplicates] == [resent.pk]
    assert current(moved).pk == confirmed.pk  # never applied twice
    assert ReceivedMoveInNotice.objects.get(pk=resent.pk).duplicate_of == second.pk
    assert move_in_notice_errors(actor=clerk, purpose=PURPOSE) == []  # a 重複 is no error


def test_a_changed_resend_after_the_confirmation_waits_in_the_error_list(
    moved: str, clerk: User, reviewer: User
) -> None:
    received(moved)
    result = import_move_in_notices(actor=clerk, purpose=PURPOSE)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=result.drafts[0].change_id)
    corrected = received(moved, new_address="長崎県長崎市江戸町2番14号")
    again = import_move_in_notices(actor=clerk, purpose=PURPOSE)
    assert again.duplicates == ()
    assert [n for n, _ in again.left] == [corrected.pk]
    [row] = move_in_notice_errors(actor=clerk, purpose=PURPOSE)
    assert row.notice_id == corrected.pk
    assert row.reason


def test_the_error_screen_and_api(moved: str, clerk: User, make_staff: Callable[..., Any]) -> None:
    notice = received(moved, new_address=GARBLED)
    import_move_in_notices(actor=clerk, purpose=PURPOSE)
    client = logged_in(clerk)
    listed = client.post(
        "/api/registry/special-moves/move-in-notices/errors",
        {"purpose": PURPOSE},
        content_type="application/json",
    )
    assert listed.status_code == 200
    assert [row["notice_id"] for row in listed.json()] == [notice.pk]
    page = client.post("/registry/move-in-notice/errors/", {"purpose": PURPOSE}).content.decode()
    assert "取込エラー一覧" in page
    assert "文字化け" in page
    assert current(moved).juminhyo_code not in page
    retried = client.post(
        "/registry/move-in-notice/errors/",
        {"purpose": PURPOSE, "notice_id": notice.pk, "corrected_address": NEW_ADDRESS},
    ).content.decode()
    assert "転出確定の仮登録を作成しました" in retried
    refused = client.post(
        "/api/registry/special-moves/move-in-notices/retry",
        {"purpose": PURPOSE, "notice_id": notice.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400
    viewer_only = make_staff(permissions=[Permission.RESIDENT_VIEW])
    denied = viewer_only.post(
        "/api/registry/special-moves/move-in-notices/retry",
        {"purpose": PURPOSE, "notice_id": notice.pk},
        content_type="application/json",
    )
    assert denied.status_code == 403

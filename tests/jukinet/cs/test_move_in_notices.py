"""The 転入通知 of an ordinary 転入 at the CS (docs/jukinet.md Flow 7 step 5a): sent, kept at the 転出地,
and re-sent from the 統合端末 screen or the API when it waited. The registry's part (the 転入 commit
and the import) is in tests/registry/test_ordinary_move_in_notice.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs import move_in_notices
from jumin.jukinet.cs.models import ReceivedMoveInNotice, SentMoveInNotice
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import resident_code
from tests.jukinet.cs.test_special_move_in import cs_terminal  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
SAPPORO = "011002"  # no peer of the test federation
PURPOSE = "cs_operator"


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop02")
    grant_permissions(user, [Permission.CS_IDENTITY_CHECK])
    return user


def waiting_notices(federation: TestFederation, operator: User, count: int) -> list[SentMoveInNotice]:
    """Notices 長崎市's CS could not send: their 転出地 is no peer."""
    with federation.acting_as(NAGASAKI), transaction.atomic():
        return [
            move_in_notices.send_ordinary(
                move_in_notices.OrdinaryMoveIn(
                    resident_code=resident_code(600 + n),
                    destination_code=SAPPORO,
                    move_in_date=timezone.localdate(),
                    notice_date=timezone.localdate(),
                    new_address="長崎県長崎市江戸町2番13号",
                ),
                actor=operator,
            )
            for n in range(count)
        ]


def test_a_waiting_notice_is_audited_and_holds_no_individual_number(
    federation: TestFederation, operator: User
) -> None:
    (row,) = waiting_notices(federation, operator, 1)
    assert row.sent_at is None
    assert "individual_number" not in row.items
    assert (row.items["special"], row.items["control_number"]) == (False, "")
    audit = AuditEntry.objects.get(action="cs:move_in_notice:send")
    assert audit.reason == f"転入通知 waiting: {SAPPORO} is not a peer"


def test_the_screen_lists_waiting_notices_and_resends_one(
    federation: TestFederation,
    operator: User,
    cs_terminal: None,  # noqa: F811
    make_staff: Callable[..., Any],
) -> None:
    first, second = waiting_notices(federation, operator, 2)
    client = make_staff([Permission.CS_IDENTITY_CHECK, Permission.FIELD_JUMINHYO_CODE_VIEW])
    url = reverse("jukinet_cs:move_out_certificates")
    with federation.acting_as(NAGASAKI):
        listed = client.get(url, {"purpose": PURPOSE}).content.decode()
        assert "送信する転入通知" in listed
        assert listed.count("送信待ち") >= 2
        refused = client.post(
            url, {"action": "resend_notice", "purpose": PURPOSE, "notice_id": first.pk}
        ).content.decode()
        assert "連携先に登録されていません" in refused
        resent = client.post(
            url,
            {
                "action": "resend_notice",
                "purpose": PURPOSE,
                "notice_id": first.pk,
                "destination_code": SASEBO.code,
            },
        ).content.decode()
        assert f"転出地 {SASEBO.code} へ送信しました" in resent
        api = client.post(
            "/api/jukinet/cs/move-in-notices/resend",
            json.dumps({"purpose": PURPOSE, "notice_id": second.pk, "destination_code": "422020"}),
            content_type="application/json",
        )
        assert api.status_code == 400  # wrong check digit (佐世保市 is 422029)
        assert (api.json()["field"], api.json()["reason"]) == ("destination_code", "検査数字が一致しません。")
    federation.pump()
    received = ReceivedMoveInNotice.objects.get()
    assert (received.resident_code, received.sender_code) == (first.resident_code, NAGASAKI.code)
    assert SentMoveInNotice.objects.get(pk=second.pk).sent_at is None

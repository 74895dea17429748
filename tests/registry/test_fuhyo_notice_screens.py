"""「戸籍附票記載事項通知」 screen (std 7.1.1.1-e; jukinet.md Flow 13): lists by POST, re-send audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.jukinet.cs.models import ReceivedFuhyoNotice
from jumin.messaging.testing import TestFederation
from jumin.registry.models import FuhyoNoticeOutbox
from tests.registry.conftest import PURPOSE, family_move_in, logged_in
from tests.registry.test_fuhyo_notices import NAGASAKI, SASEBO, masters, with_honseki
from tests.registry.test_ordinary_move_in_notice import moved_in_at_nagasaki

pytestmark = pytest.mark.django_db
__all__ = ["masters"]  # the autouse fixture of the notice tests: the 本籍 municipalities
URL = reverse("registry:fuhyo_notices")


def test_the_waiting_list_is_shown_by_post_and_a_notice_is_resent_with_the_code_entered(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    moved_in_at_nagasaki(federation, clerk, reviewer, with_honseki(family_move_in(), "どこか村1番地"))
    client = logged_in(clerk)
    first = FuhyoNoticeOutbox.objects.order_by("pk").first()
    assert first is not None
    with federation.acting_as(NAGASAKI):
        assert client.get(URL).status_code == 200  # the empty form: nothing listed, nothing audited
        assert not AuditEntry.objects.filter(action="resident:fuhyo_notice:list").exists()
        listed = client.post(URL, {"purpose": PURPOSE, "state": "waiting"}, headers={"HX-Request": "true"})
        page = listed.content.decode()
        assert "送信待ち（本籍地不明・連携先なし）（3件）" in page
        assert ">再送信</button>" in page
        assert "<html" not in page  # htmx gets the result region only
        assert AuditEntry.objects.filter(action="resident:fuhyo_notice:list").count() == 1
        missing = client.post(URL, {"purpose": PURPOSE, "notice_id": first.pk, "destination_code": ""})
        assert "本籍地の市町村コードが不明です。" in missing.content.decode()
        assert FuhyoNoticeOutbox.objects.filter(sent_at__isnull=True).count() == 3  # nothing changed
        sent = client.post(URL, {"purpose": PURPOSE, "notice_id": first.pk, "destination_code": SASEBO.code})
        page = sent.content.decode()
        assert f"通知番号 {first.pk} を本籍地（{SASEBO.code}）へ送信しました" in page
        assert "送信待ち（本籍地不明・連携先なし）（2件）" in page
    assert (
        AuditEntry.objects.filter(action="resident:fuhyo_notice:send", subject_id=str(first.pk)).count() == 1
    )
    federation.pump()
    assert ReceivedFuhyoNotice.objects.count() == 1


def test_the_sent_list_shows_when_each_notice_left(
    federation: TestFederation, clerk: User, reviewer: User
) -> None:
    moved_in_at_nagasaki(
        federation, clerk, reviewer, with_honseki(family_move_in(), "長崎県佐世保市八幡町1番地")
    )
    with federation.acting_as(NAGASAKI):
        page = logged_in(clerk).post(URL, {"purpose": PURPOSE, "state": "sent"}).content.decode()
    assert "送信済み（CS経由）（3件）" in page
    assert ">再送信</button>" not in page
    assert "<html" in page


def test_a_clerk_without_the_view_permission_is_refused_and_nothing_is_listed(
    federation: TestFederation, clerk: User, reviewer: User, make_clerk: object
) -> None:
    moved_in_at_nagasaki(federation, clerk, reviewer, with_honseki(family_move_in(), "どこか村1番地"))
    outsider = make_clerk("outsider")  # type: ignore[operator]
    with federation.acting_as(NAGASAKI):
        response = logged_in(outsider).post(URL, {"purpose": PURPOSE, "state": "waiting"})
    assert ">再送信</button>" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="resident:fuhyo_notice:list", outcome="ok").exists()

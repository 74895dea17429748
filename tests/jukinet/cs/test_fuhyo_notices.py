"""The 本籍地 side of the 戸籍附票記載事項通知 (docs/jukinet.md Flow 13): a notice from the 住所地 it names
is kept and listed for the 戸籍附票 system; one naming another 住所地 than its sender, or carrying an
item the message does not define, is refused. The registry side is tests/registry/test_fuhyo_notices.py.
"""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from jumin.accounts.authorization import MASK
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.cli.cs import COMMANDS
from jumin.domain.errors import DomainError
from jumin.jukinet.common.fuhyo_notice import FuhyoEntryNotice, fuhyo_notice_from_payload
from jumin.jukinet.cs import exchanges, fuhyo_notices
from jumin.jukinet.cs.fuhyo_notice_inbox import mark_processed
from jumin.jukinet.cs.models import FuhyoNoticeProcessing, ReceivedFuhyoNotice
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import resident_code

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
CHIYODA = NodeRef("municipality", "131016")


def notice(n: int, *, municipality_code: str = NAGASAKI.code) -> FuhyoEntryNotice:
    """A synthetic notice from ``municipality_code`` for a person whose 本籍 is in 佐世保市."""
    return FuhyoEntryNotice(
        resident_code=resident_code(800 + n),
        name="青木\u3000太郎",
        birth_date="19600401",
        sex="男",
        address="長崎県長崎市江戸町2番13号",
        address_set_date="2026-11-01",
        moved_abroad=False,
        moved_abroad_on="",
        honseki="長崎県佐世保市八幡町1番地",
        hittousha="青木\u3000太郎",
        honseki_municipality_code=SASEBO.code,
        change_reason="国内転入",
        change_date="2026-11-01",
        municipality_code=municipality_code,
    )


def send_from(federation: TestFederation, sender: NodeRef, *items: FuhyoEntryNotice) -> None:
    with federation.acting_as(sender), transaction.atomic():
        outgoing = [fuhyo_notices.OutgoingNotice(subject=f"test-{i}", items=it) for i, it in enumerate(items)]
        fuhyo_notices.send(outgoing, actor=None, reason="test")
    federation.pump()


@pytest.fixture
def fuhyo_operator(db: None) -> User:
    user = make_user(username="fuhyo01")
    # The export feeds the 戸籍附票 system: its operator holds the field grants of C-10.
    grant_permissions(
        user, [Permission.CS_FUHYO, Permission.FIELD_JUMINHYO_CODE_VIEW, Permission.FIELD_HONSEKI_VIEW]
    )
    return user


def test_a_notice_naming_another_sender_is_refused_audited_and_not_kept(federation: TestFederation) -> None:
    send_from(federation, CHIYODA, notice(1, municipality_code=NAGASAKI.code))
    assert not ReceivedFuhyoNotice.objects.exists()
    audit = AuditEntry.objects.get(action="cs:fuhyo_notice:receive")
    assert (audit.outcome, audit.outcome_reason) == ("refused", fuhyo_notices.WRONG_SENDER)


def test_a_payload_with_an_individual_number_or_a_bad_abroad_date_is_refused() -> None:
    good = notice(1).as_payload()
    with pytest.raises(DomainError):
        fuhyo_notice_from_payload({**good, "individual_number": "123456789018"})
    with pytest.raises(DomainError) as abroad:
        fuhyo_notice_from_payload({**good, "moved_abroad_on": "2026-11-01"})
    assert abroad.value.field == "moved_abroad_on"
    with pytest.raises(DomainError) as missing:
        fuhyo_notice_from_payload({**good, "moved_abroad": True})
    assert missing.value.field == "moved_abroad_on"


def test_received_notices_are_exported_for_the_fuhyo_system_and_the_reading_is_audited(
    federation: TestFederation, fuhyo_operator: User, tmp_path: Path
) -> None:
    send_from(federation, NAGASAKI, notice(1), notice(2))
    assert ReceivedFuhyoNotice.objects.count() == 2
    out = tmp_path / "fuhyo.csv"
    with federation.acting_as(SASEBO):
        call_command(COMMANDS["fuhyo-notices"], "--operator", "fuhyo01", "--out", str(out), stdout=StringIO())
        with out.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert [r["resident_code"] for r in rows] == [resident_code(801), resident_code(802)]
        assert rows[0]["sender_code"] == NAGASAKI.code
        assert "individual_number" not in rows[0]
        first = int(rows[0]["notice_id"])
        call_command(
            COMMANDS["fuhyo-notices"], "--operator", "fuhyo01", "--out", str(out), "--after", str(first)
        )
        with out.open(encoding="utf-8") as handle:
            assert [r["resident_code"] for r in csv.DictReader(handle)] == [resident_code(802)]
        make_user(username="viewer02")
        with pytest.raises(CommandError):
            call_command(COMMANDS["fuhyo-notices"], "--operator", "viewer02", "--out", str(out))
    listed = AuditEntry.objects.filter(action="cs:fuhyo_notice:list", outcome="done").order_by("pk")
    assert [entry.result_count for entry in listed] == [2, 1]


def test_the_csv_carries_the_processed_state_who_and_when(
    federation: TestFederation, fuhyo_operator: User, tmp_path: Path
) -> None:
    send_from(federation, NAGASAKI, notice(1), notice(2))
    first, second = ReceivedFuhyoNotice.objects.order_by("pk")
    out = tmp_path / "fuhyo.csv"
    with federation.acting_as(SASEBO):
        mark_processed(actor=fuhyo_operator, purpose="cs_fuhyo", notice_id=first.pk, note="附票に記載")
        call_command(COMMANDS["fuhyo-notices"], "--operator", "fuhyo01", "--out", str(out), stdout=StringIO())
    with out.open(encoding="utf-8") as handle:
        rows = {int(r["notice_id"]): r for r in csv.DictReader(handle)}
    processing = FuhyoNoticeProcessing.objects.get(notice=first)
    done = rows[first.pk]
    assert (done["processed_by"], done["processing_note"]) == ("fuhyo01", "附票に記載")
    assert done["processed_at"] == timezone.localtime(processing.processed_at).isoformat(timespec="seconds")
    waiting = rows[second.pk]
    assert (waiting["processed_at"], waiting["processed_by"], waiting["processing_note"]) == ("", "", "")


def test_the_persons_provision_status_lists_the_send_and_the_receipt(federation: TestFederation) -> None:
    send_from(federation, NAGASAKI, notice(1))
    searcher = make_user(username="search01")
    grant_permissions(searcher, [Permission.CS_SEARCH])
    status = exchanges.provision_status(
        actor=searcher, purpose="cs_operator", resident_code=resident_code(801)
    )
    kinds = {row.kind for row in status.exchanges}
    assert {"戸籍附票記載事項通知の送信（本籍地へ）", "戸籍附票記載事項通知の受信（本籍地として）"} <= kinds


def test_without_the_field_grants_the_code_and_the_family_register_are_masked(
    federation: TestFederation,
) -> None:
    send_from(federation, NAGASAKI, notice(1))
    plain = make_user(username="fuhyo02")
    grant_permissions(plain, [Permission.CS_FUHYO])
    with federation.acting_as(SASEBO):
        (seen,) = fuhyo_notices.received_notices(actor=plain, purpose="cs_operator")
    assert (seen.items.resident_code, seen.items.honseki, seen.items.hittousha) == (MASK, MASK, MASK)
    assert seen.items.name == notice(1).name

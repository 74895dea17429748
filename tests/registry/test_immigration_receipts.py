"""Received 法30条の50 notices kept across sessions; automatic and manual import; notices that end the
stay (standard 4.5.6-a/b; system.md F10 steps 1–2). Every notice file here is synthetic."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest

from jumin.accounts.models import User
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.registry.models import Change, ChangeState, ExOfficioRecord
from jumin.registry.models_immigration import MunicipalityNotice, ReceivedImmigrationNotice
from jumin.registry.services import DraftRecorded, discard_change, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.immigration_notices import COLUMNS_WITH_STAY_END, MatchedNotice
from jumin.registry.workflows.immigration_receipts import (
    import_received_notice,
    receive_immigration_notices,
    received_notice_sheet,
    received_notices,
)
from tests.registry.conftest import PURPOSE, current
from tests.registry.test_immigration_notices import RENEWAL, notice
from tests.registry.test_naturalisation import foreign_move_in

pytestmark = pytest.mark.django_db


def received_file(*rows: dict[str, str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS_WITH_STAY_END, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS_WITH_STAY_END})
    return buffer.getvalue()


MIXED = received_file(
    notice("N0001", **RENEWAL),
    notice("N0002", new_category="特別永住者", new_special_permanent_resident_number="X"),
    notice("N0003", residence_card_number="QQ00000000QQ", name="SOMEONE ELSE", new_period_of_stay="1年"),
    notice("N0004", new_alphabet_name="NGUYEN VAN ANH"),
)


@pytest.fixture
def foreigner(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())).atena_numbers[0]


def ids(rows: list) -> list[str]:  # type: ignore[type-arg]
    return [row.notice_id for row in rows]


def test_4_5_6_a_b_received_notices_are_kept_and_imported_where_the_standard_allows(
    clerk: User, reviewer: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    report = receive_immigration_notices(actor=clerk, purpose=PURPOSE, content=MIXED)
    assert report.received == 4
    ((imported_id, change_id),) = report.imported
    assert imported_id == "N0001"
    assert report.skipped == ("N0002",)  # 特別永住者: processed by hand (4.5.6-a)
    assert dict(report.pending) == {
        "N0003": "registry.notice_unmatched",
        "N0004": "registry.notice_name_changed",  # an alert needs a clerk
    }
    assert Change.objects.get(pk=change_id).state == ChangeState.DRAFT
    stored = ReceivedImmigrationNotice.objects.get(notice_id="N0001")
    assert [entry["label"] for entry in stored.sheet] == ["在留期間", "在留期間の満了の日", "在留カード番号"]

    # Across sessions: the lists come from the store, not from a file in hand.
    assert ids(received_notices(actor=clerk, purpose=PURPOSE, state="pending")) == ["N0003", "N0004"]
    assert ids(received_notices(actor=clerk, purpose=PURPOSE, state="skipped")) == ["N0002"]
    (row,) = received_notices(actor=clerk, purpose=PURPOSE, state="imported")
    assert (row.notice_id, row.change_state, row.atena_number) == ("N0001", "仮登録", foreigner)

    # The same file again stores nothing twice.
    again = receive_immigration_notices(actor=clerk, purpose=PURPOSE, content=MIXED)
    assert again.received == 0
    assert {u.code for u in again.not_stored} == {"registry.notice_already_received"}
    assert ReceivedImmigrationNotice.objects.count() == 4

    # A discarded draft puts its notice back on the pending list; a manual import makes it again.
    discard_change(actor=reviewer, purpose=PURPOSE, change_id=change_id, reason="確認のため")
    assert ids(received_notices(actor=clerk, purpose=PURPOSE, state="pending")) == ["N0001", "N0003", "N0004"]
    sheet = received_notice_sheet(actor=clerk, purpose=PURPOSE, notice_id="N0001")
    assert isinstance(sheet, MatchedNotice)
    assert sheet.atena_number == foreigner
    commit(import_received_notice(actor=clerk, purpose=PURPOSE, notice_id="N0001"))
    assert current(foreigner).foreign["residence_card_number"] == "ZZ99999999YY"  # type: ignore[index]


def test_4_5_6_b_manual_import_of_a_pending_notice_needs_its_alerts_acknowledged(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    receive_immigration_notices(actor=clerk, purpose=PURPOSE, content=MIXED, auto_import=False)
    assert ids(received_notices(actor=clerk, purpose=PURPOSE, state="pending")) == [
        "N0001",
        "N0003",
        "N0004",
    ]
    assert not Change.objects.filter(reason=ChangeReason.IMMIGRATION_NOTICE).exists()
    with pytest.raises(UnacknowledgedAlertsError):
        import_received_notice(actor=clerk, purpose=PURPOSE, notice_id="N0004")
    draft = import_received_notice(
        actor=clerk, purpose=PURPOSE, notice_id="N0004", acknowledged_alerts=["registry.notice_name_changed"]
    )
    commit(draft)
    assert current(foreigner).foreign["alphabet_name"] == "NGUYEN VAN ANH"  # type: ignore[index]
    with pytest.raises(DomainError) as done:
        import_received_notice(actor=clerk, purpose=PURPOSE, notice_id="N0004")
    assert done.value.code == "registry.notice_not_pending"
    with pytest.raises(DomainError) as unmatched:
        import_received_notice(actor=clerk, purpose=PURPOSE, notice_id="N0003")
    assert unmatched.value.code == "registry.notice_unmatched"
    with pytest.raises(DomainError) as skipped:
        import_received_notice(actor=clerk, purpose=PURPOSE, notice_id="N0002")
    assert skipped.value.code == "registry.notice_not_pending"


def test_4_5_6_a_a_notice_that_ends_the_stay_becomes_an_ex_officio_removal(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    content = received_file(notice("N0009", stay_end_reason="出国"))
    report = receive_immigration_notices(actor=clerk, purpose=PURPOSE, content=content)
    ((_, change_id),) = report.imported
    record = ExOfficioRecord.objects.get(change_id=change_id)
    assert (record.action, record.grounds, record.notice_required) == (
        ChangeReason.EX_OFFICIO_REMOVAL,
        "法30条の50通知 N0009",
        False,
    )
    commit(DraftRecorded(change_id=change_id, atena_numbers=(foreigner,), household_number="", alerts=()))
    now = current(foreigner)
    assert (now.status, now.removal_reason) == (ResidentStatus.REMOVED, ChangeReason.EX_OFFICIO_REMOVAL)
    last = MunicipalityNotice.objects.order_by("pk").last()
    assert last is not None
    assert (last.items["change_reason"], last.link_class) == ("職権消除", "住基法")


def test_4_5_6_a_a_stay_end_with_new_items_or_an_unknown_reason_is_refused(
    clerk: User, foreigner: str
) -> None:
    content = received_file(
        notice("N0010", stay_end_reason="出国", new_period_of_stay="1年"),
        notice("N0011", stay_end_reason="旅行"),
    )
    report = receive_immigration_notices(actor=clerk, purpose=PURPOSE, content=content)
    assert report.received == 0
    assert [(u.notice_id, u.code) for u in report.not_stored] == [
        ("N0010", "registry.notice_row"),
        ("N0011", "registry.notice_row"),
    ]

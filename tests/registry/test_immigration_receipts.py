"""Received 法30条の50 notices kept across sessions; automatic and manual import; notices that end the
stay (standard 4.5.6-a/b; system.md F10 steps 1–2). Every notice file here is synthetic."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
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
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_immigration_notices import RENEWAL, notice, notice_file
from tests.registry.test_naturalisation import foreign_move_in

pytestmark = pytest.mark.django_db


def received_file(*rows: dict[str, str]) -> str:
    """A notice file with the optional 在留終了事由 column."""
    return notice_file(*rows, columns=COLUMNS_WITH_STAY_END)


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


def test_4_5_6_a_a_second_notice_of_one_person_waits_while_the_first_draft_is_open(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    content = received_file(notice("N0001", **RENEWAL), notice("N0002", new_residence_status="定住者"))
    report = receive_immigration_notices(actor=clerk, purpose=PURPOSE, content=content)
    assert [notice_id for notice_id, _ in report.imported] == ["N0001"]
    assert [notice_id for notice_id, _ in report.pending] == ["N0002"]  # the edit lock (standard 4.0.8)
    ((_, change_id),) = report.imported
    commit(DraftRecorded(change_id=change_id, atena_numbers=(foreigner,), household_number="", alerts=()))
    commit(import_received_notice(actor=clerk, purpose=PURPOSE, notice_id="N0002"))
    foreign = current(foreigner).foreign
    assert foreign is not None
    assert (foreign["residence_status"], foreign["residence_card_number"]) == ("定住者", "ZZ99999999YY")


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


# --- API and screens ------------------------------------------------------------------------------


def test_api_receive_list_and_import_permission_triples(
    make_staff: Callable[..., object], foreigner: str
) -> None:
    numbers = count(1)

    def received() -> str:
        content = received_file(notice(f"R{next(numbers)}", new_alphabet_name=f"NGUYEN {next(numbers)}"))
        return json.dumps({"purpose": PURPOSE, "content": content})

    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/immigration/received/receive",
        Permission.RESIDENT_RECORD,
        data=received,
        content_type="application/json",
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/immigration/received/list",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": PURPOSE, "state": "all"}),
        content_type="application/json",
    )
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/immigration/outgoing/list",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": PURPOSE, "state": "due"}),
        content_type="application/json",
    )


def test_api_flow_receive_sheet_import_and_export(sender: User, foreigner: str) -> None:
    client = logged_in(sender)

    def post(path: str, body: dict[str, object]) -> Any:
        return client.post(
            f"/api/registry/immigration/{path}",
            json.dumps({"purpose": PURPOSE, **body}),
            content_type="application/json",
        )

    received = post("received/receive", {"content": MIXED, "auto_import": False})
    assert received.status_code == 200
    assert received.json()["received"] == 4
    sheet = post("received/sheet", {"notice_id": "N0004"}).json()
    assert [a["code"] for a in sheet["alerts"]] == ["registry.notice_name_changed"]
    imported = post(
        "received/import", {"notice_id": "N0004", "acknowledged_alerts": ["registry.notice_name_changed"]}
    )
    assert imported.status_code == 201
    refused = post("received/list", {"state": "everything"})
    assert (refused.status_code, refused.json()["code"]) == (400, "registry.immigration_notice_list")
    exported = post("outgoing/export", {"state": "due"})
    assert exported.status_code == 200
    assert exported.json()["content"].startswith("sequence_no,kind,link_class,")


def test_screens_receive_list_sheet_import_and_download(sender: User, foreigner: str) -> None:
    client = logged_in(sender)
    url = reverse("registry:received_immigration_notices")
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile("notices.csv", MIXED.encode("utf-8"), content_type="text/csv")
    # Without automatic import (the person's one open draft would hold the manual import back).
    page = client.post(url, {"purpose": PURPOSE, "notice_file": upload, "receive": "1"})
    assert "自動仮登録 0件／未取込 3件" in page.content.decode()
    listed = client.post(url, {"purpose": PURPOSE, "state": "pending", "list": "1"}).content.decode()
    assert "N0001" in listed
    assert "N0004" in listed
    sheet = client.post(url, {"purpose": PURPOSE, "notice_id": "N0004", "sheet": "1"}).content.decode()
    assert "NGUYEN VAN ANH" in sheet
    done = client.post(
        url,
        {
            "purpose": PURPOSE,
            "notice_id": "N0004",
            "import": "1",
            "acknowledged_alerts": "registry.notice_name_changed",
        },
    )
    assert "仮登録しました" in done.content.decode()

    outgoing = reverse("registry:municipality_notices")
    assert client.get(outgoing).status_code == 200
    due = client.post(outgoing, {"purpose": PURPOSE, "state": "due", "list": "1"}).content.decode()
    assert "市町村伝達" in due
    download = client.post(outgoing, {"purpose": PURPOSE, "export": "1"})
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content.decode().startswith("sequence_no,kind,link_class,")
    nothing = client.post(outgoing, {"purpose": PURPOSE, "export": "1"}).content.decode()
    assert "送信する市町村通知がありません" in nothing
    (sent,) = MunicipalityNotice.objects.all()
    listed_sent = client.post(outgoing, {"purpose": PURPOSE, "state": "sent", "list": "1"}).content.decode()
    assert "選んだ通知を再送" in listed_sent
    again = client.post(outgoing, {"purpose": PURPOSE, "resend": "1", "sequence_nos": [str(sent.pk)]})
    assert again["Content-Disposition"].startswith("attachment;")
    results = SimpleUploadedFile(
        "results.csv",
        f"sequence_no,result,code,message\r\n{sent.pk},正常,,\r\n".encode(),
        content_type="text/csv",
    )
    answered = client.post(outgoing, {"purpose": PURPOSE, "results_file": results, "results": "1"})
    assert "正常 1件／エラー 0件" in answered.content.decode()


def test_4_5_6_a_the_command_receives_a_file_as_the_batch_account(
    make_clerk: Callable[..., User], foreigner: str, tmp_path: Path
) -> None:
    operator = make_clerk("batch", Permission.RESIDENT_BATCH_RUN, Permission.RESIDENT_VIEW)
    received = tmp_path / "notices.csv"
    received.write_text(
        received_file(notice("N0001", **RENEWAL), notice("N0005", stay_end_reason="出国")), encoding="utf-8"
    )
    out = StringIO()
    call_command("receive_immigration_notices", str(received), operator=operator.username, stdout=out)
    assert "自動仮登録: 1件、未取込: 1件" in out.getvalue()
    assert "N0005: registry.notice_stay_end" in out.getvalue()  # a clerk imports the removal
    assert "NGUYEN" not in out.getvalue()  # no personal data on the console
    imported = ReceivedImmigrationNotice.objects.get(notice_id="N0001")
    assert imported.change is not None
    assert imported.change.made_by_id == operator.pk
    with pytest.raises(CommandError):
        call_command("receive_immigration_notices", str(received), operator=make_clerk("nobody").username)

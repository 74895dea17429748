"""Import of 法30条の50 notices from a CSV file (standard 4.5.6-a/b; system.md F10).

Every notice file here is synthetic, written by ``notice_file`` (docs/workflows/immigration-notices.md).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date, timedelta
from itertools import count

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ForeignResidentItems
from jumin.registry.models import Change, ExOfficioRecord
from jumin.registry.selectors import resident_history
from jumin.registry.services import DraftRecorded, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.immigration_notices import (
    COLUMNS,
    NoticeConfirmation,
    preview_immigration_notices,
    record_immigration_notice,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_naturalisation import foreign_move_in, foreign_person

pytestmark = pytest.mark.django_db


def today() -> date:
    return timezone.localdate()


def notice(notice_id: str = "N0001", **values: str) -> dict[str, str]:
    """One row naming the default foreign resident by card number; the change comes in ``values``."""
    row = {
        "notice_id": notice_id,
        "notice_date": (today() - timedelta(days=1)).isoformat(),
        "event_date": (today() - timedelta(days=3)).isoformat(),
        "residence_card_number": "AB12345678CD",
        "name": "NGUYEN VAN AN",
        "birth_date": "1990-05-01",
        "sex": "男",
    }
    row.update(values)
    return row


def notice_file(*rows: dict[str, str], columns: tuple[str, ...] = COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in columns})
    return buffer.getvalue()


RENEWAL = {
    "new_period_of_stay": "3年",
    "new_stay_expiry_date": "2032-03-31",
    "new_residence_card_number": "ZZ99999999YY",
}


@pytest.fixture
def foreigner(clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded]) -> str:
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in())).atena_numbers[0]


def test_4_5_6_a_a_renewal_is_previewed_confirmed_drafted_and_committed(
    clerk: User,
    reviewer: User,
    foreigner: str,
    commit: Callable[..., DraftRecorded],
    make_clerk: Callable[..., User],
) -> None:
    content = notice_file(notice("N0001", **RENEWAL))
    # The 在留 items of the 確認票 need their field grant (C-10; tests/registry/test_field_hiding_sweep.py).
    sheet_clerk = make_clerk("sheet", Permission.RESIDENT_RECORD, Permission.FIELD_RESIDENCE_STATUS_VIEW)
    preview = preview_immigration_notices(actor=sheet_clerk, purpose=PURPOSE, content=content)
    assert preview.unmatched == ()
    (matched,) = preview.matched
    assert (matched.atena_number, matched.matched_by, matched.line) == (foreigner, "在留カード番号", 2)
    assert [(c.label, c.before, c.after) for c in matched.changes] == [
        ("在留期間", "5年", "3年"),
        ("在留期間の満了の日", "2029-03-31", "2032-03-31"),
        ("在留カード番号", "AB12345678CD", "ZZ99999999YY"),
    ]
    entry = AuditEntry.objects.get(action="resident:immigration_notice:preview")
    assert list(AuditResultSubject.objects.filter(entry=entry).values_list("subject_id", flat=True)) == [
        foreigner
    ]
    assert current(foreigner).foreign["period_of_stay"] == "5年"  # type: ignore[index]  # a preview writes nothing

    draft = record_immigration_notice(
        actor=clerk, purpose=PURPOSE, confirmation=NoticeConfirmation(content=content, notice_id="N0001")
    )
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.notification_kind, change.change_date, change.notification_date) == (
        ChangeReason.IMMIGRATION_NOTICE,
        "通知",
        today() - timedelta(days=3),
        today() - timedelta(days=1),
    )
    record = ExOfficioRecord.objects.get(change=change)
    assert (record.legal_basis, record.grounds, record.changed_items) == (
        "住民基本台帳法第30条の50",
        "法30条の50通知 N0001",
        ["period_of_stay", "stay_expiry_date", "residence_card_number"],
    )
    commit(draft)
    foreign = current(foreigner).foreign
    assert foreign is not None
    assert (foreign["period_of_stay"], foreign["stay_expiry_date"], foreign["residence_card_number"]) == (
        "3年",
        "2032-03-31",
        "ZZ99999999YY",
    )
    assert foreign["residence_status"] == "技術・人文知識・国際業務"  # untouched items stay
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=foreigner)
    assert [row.change_reason for row in history] == [
        ChangeReason.MOVE_IN_FROM_ABROAD,
        ChangeReason.IMMIGRATION_NOTICE,
    ]

    # The same notice is never imported twice; the new card number now finds the person.
    again = preview_immigration_notices(actor=clerk, purpose=PURPOSE, content=content)
    assert [u.code for u in again.unmatched] == ["registry.notice_already_imported"]
    with pytest.raises(DomainError) as twice:
        record_immigration_notice(
            actor=clerk, purpose=PURPOSE, confirmation=NoticeConfirmation(content=content, notice_id="N0001")
        )
    assert twice.value.code == "registry.notice_already_imported"
    status = notice_file(notice("N0002", residence_card_number="ZZ99999999YY", new_residence_status="永住者"))
    assert (
        preview_immigration_notices(actor=clerk, purpose=PURPOSE, content=status).matched[0].atena_number
        == foreigner
    )


def test_4_5_6_b_rows_that_cannot_be_imported_are_listed_with_the_reason(
    clerk: User, foreigner: str, commit: Callable[..., DraftRecorded]
) -> None:
    special = foreign_person(
        surname="KIM",
        given_name="MINSU",
        surname_kana="キム",
        given_name_kana="ミンス",
        born=date(1970, 1, 1),
        foreign=ForeignResidentItems(
            nationality_code="410", category="特別永住者", special_permanent_resident_number="SP0000000001"
        ),
    )
    commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=foreign_move_in(special)))
    content = notice_file(
        notice("N1", residence_card_number="QQ00000000QQ", name="SOMEONE ELSE", new_period_of_stay="1年"),
        notice("N2", notice_date="2026/11/01", new_period_of_stay="1年"),
        notice(
            "N3",
            residence_card_number="",
            name="KIM MINSU",
            birth_date="1970-01-01",
            new_nationality_code="392",
        ),
        notice("N4", new_period_of_stay="5年"),
        notice("N4", new_period_of_stay="1年"),
        notice("N5", new_residence_card_number="bad"),
        notice("N6"),
        notice("N7", new_residence_status="定住者"),
    )
    preview = preview_immigration_notices(actor=clerk, purpose=PURPOSE, content=content)
    assert [(u.line, u.notice_id, u.code) for u in preview.unmatched] == [
        (2, "N1", "registry.notice_unmatched"),
        (3, "N2", "registry.notice_row"),
        (4, "N3", "registry.notice_special_permanent"),
        (5, "N4", "registry.notice_no_change"),
        (6, "N4", "registry.notice_duplicate"),
        (7, "N5", "resident.residence_card_format"),
        (8, "N6", "registry.notice_row"),
    ]
    assert all(u.reason for u in preview.unmatched)
    assert [m.notice_id for m in preview.matched] == ["N7"]


def test_a_row_without_the_card_number_is_matched_by_name_birth_date_and_sex(
    clerk: User, foreigner: str
) -> None:
    content = notice_file(
        notice("N1", residence_card_number="", name="nguyen  van an", new_residence_status="定住者"),
        notice("N2", residence_card_number="", sex="女", new_residence_status="定住者"),
    )
    preview = preview_immigration_notices(actor=clerk, purpose=PURPOSE, content=content)
    assert [(m.notice_id, m.matched_by) for m in preview.matched] == [("N1", "氏名・生年月日・性別")]
    assert [u.code for u in preview.unmatched] == ["registry.notice_unmatched"]


def test_a_card_match_with_a_different_birth_date_and_a_name_change_need_acknowledgment(
    clerk: User, foreigner: str
) -> None:
    content = notice_file(notice("N1", birth_date="1990-05-02", new_alphabet_name="NGUYEN VAN BINH"))
    (matched,) = preview_immigration_notices(actor=clerk, purpose=PURPOSE, content=content).matched
    codes = [a.code for a in matched.alerts]
    assert codes == ["registry.notice_identity_mismatch", "registry.notice_name_changed"]
    changes = Change.objects.count()
    with pytest.raises(UnacknowledgedAlertsError):
        record_immigration_notice(
            actor=clerk, purpose=PURPOSE, confirmation=NoticeConfirmation(content=content, notice_id="N1")
        )
    assert Change.objects.count() == changes
    draft = record_immigration_notice(
        actor=clerk,
        purpose=PURPOSE,
        confirmation=NoticeConfirmation(content=content, notice_id="N1", acknowledged_alerts=codes),
    )
    entry = AuditEntry.objects.get(
        action="resident:immigration_notice:record", subject_id=str(draft.change_id)
    )
    assert entry.reason == f"notice=N1; matched_by=在留カード番号; acknowledged={','.join(sorted(codes))}"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("", "registry.notice_file_empty"),
        ("notice_id,name\r\nN1,X\r\n", "registry.notice_file_columns"),
    ],
)
def test_a_malformed_file_is_refused(clerk: User, content: str, code: str) -> None:
    with pytest.raises(DomainError) as raised:
        preview_immigration_notices(actor=clerk, purpose=PURPOSE, content=content)
    assert raised.value.code == code


def test_a_notice_not_in_the_file_is_refused(clerk: User, foreigner: str) -> None:
    content = notice_file(notice("N1", new_residence_status="定住者"))
    with pytest.raises(DomainError) as raised:
        record_immigration_notice(
            actor=clerk, purpose=PURPOSE, confirmation=NoticeConfirmation(content=content, notice_id="N9")
        )
    assert raised.value.code == "registry.notice_not_in_file"


def test_a_clerk_without_permission_is_refused_and_audited(
    make_clerk: Callable[..., User], foreigner: str
) -> None:
    with pytest.raises(AccessRefused):
        preview_immigration_notices(
            actor=make_clerk("nobody"), purpose=PURPOSE, content=notice_file(notice(new_period_of_stay="1年"))
        )
    assert AuditEntry.objects.get(action="resident:immigration_notice:preview").outcome == "refused"


# --- API and screen -------------------------------------------------------------------------------


def test_api_preview_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    content = notice_file(notice(new_period_of_stay="1年"))
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/immigration-notices/preview",
        Permission.RESIDENT_RECORD,
        data=json.dumps({"purpose": PURPOSE, "content": content}),
        content_type="application/json",
    )


def test_api_confirm_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    numbers = count(1)

    def body() -> str:
        notice_id = f"N{next(numbers)}"
        content = notice_file(notice(notice_id, new_period_of_stay="1年"))
        return json.dumps({"purpose": PURPOSE, "content": content, "notice_id": notice_id})

    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/foreign/immigration-notices/confirm",
        Permission.RESIDENT_RECORD,
        data=body,
        content_type="application/json",
        success_status=(201,),
    )


def test_notice_screen_shows_the_confirmation_sheet_and_drafts_the_confirmed_person(
    clerk: User, foreigner: str
) -> None:
    client = logged_in(clerk)
    url = reverse("registry:immigration_notices")
    assert client.get(url).status_code == 200
    content = notice_file(notice("N1", **RENEWAL), notice("N2", residence_card_number="", name="NOBODY"))
    upload = SimpleUploadedFile("notices.csv", content.encode("utf-8"), content_type="text/csv")
    page = client.post(url, {"purpose": PURPOSE, "notice_file": upload}).content.decode()
    assert "確認票（1件）" in page
    assert "2032-03-31" in page
    assert "取り込めない通知（1件）" in page
    assert not Change.objects.filter(reason=ChangeReason.IMMIGRATION_NOTICE).exists()
    done = client.post(url, {"purpose": PURPOSE, "content": content, "notice_id": "N1", "confirm": "1"})
    assert "仮登録しました" in done.content.decode()
    assert Change.objects.get(reason=ChangeReason.IMMIGRATION_NOTICE).state == "draft"
    not_utf8 = SimpleUploadedFile("notices.csv", "氏名".encode("shift_jis"), content_type="text/csv")
    refused = client.post(url, {"purpose": PURPOSE, "notice_file": not_utf8}).content.decode()
    assert "UTF-8" in refused


def test_notice_screen_permission_triple(make_staff: Callable[..., object], foreigner: str) -> None:
    content = notice_file(notice(new_period_of_stay="1年"))

    def data() -> dict[str, object]:
        return {
            "purpose": PURPOSE,
            "notice_file": SimpleUploadedFile("n.csv", content.encode(), content_type="text/csv"),
        }

    assert_permission_triple(
        make_staff, "post", reverse("registry:immigration_notices"), Permission.RESIDENT_RECORD, data=data
    )

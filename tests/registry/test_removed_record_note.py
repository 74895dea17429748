"""除票の誤記訂正 (standard 1.1.5-c): an error in a 除票 is corrected by a type-B note, not a new row."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentStatus
from jumin.domain.wareki import to_wareki
from jumin.registry.models import Change
from jumin.registry.models_removed_notes import RemovedRecordNote
from jumin.registry.selectors import resident_record
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.ex_officio import ExOfficioAction, record_ex_officio_correction
from jumin.registry.workflows.removed_record_note import RemovedRecordCorrection, record_removed_record_note
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_ex_officio import correction, raw_rows, today

pytestmark = pytest.mark.django_db

REASON = "戸籍謄本により確認"


@pytest.fixture
def removed(clerk: User, family: DraftRecorded, commit: Callable[[DraftRecorded], DraftRecorded]) -> str:
    """The child of the family, died: a 除票."""
    child = family.atena_numbers[2]
    commit(
        record_death(
            actor=clerk,
            purpose=PURPOSE,
            death=Death(atena_number=child, death_date=today(), notification_date=today()),
        )
    )
    assert current(child).status == ResidentStatus.REMOVED
    return child


def note(
    clerk: User, atena: str, item: str = "given_name", correct: str = "美奈", **overrides: Any
) -> RemovedRecordNote:
    values: dict[str, Any] = {"atena_number": atena, "item": item, "correct_text": correct, "reason": REASON}
    values.update(overrides)
    return record_removed_record_note(
        actor=clerk, purpose=PURPOSE, correction=RemovedRecordCorrection(**values)
    )


def test_1_1_5_c_a_correction_of_a_removed_record_is_refused_as_a_new_row(clerk: User, removed: str) -> None:
    rows, changes = raw_rows(), Change.objects.count()
    for action in (ExOfficioAction.AMENDMENT, ExOfficioAction.ERROR):
        with pytest.raises(DomainError) as raised:
            record_ex_officio_correction(
                actor=clerk,
                purpose=PURPOSE,
                correction=correction([removed], {"given_name": "美奈"}, action=action),
            )
        assert raised.value.code == "registry.removed_record_by_note"
        assert "除票の誤記訂正" in raised.value.remedy
    assert (raw_rows(), Change.objects.count()) == (rows, changes)


def test_1_1_5_c_the_error_and_the_correct_entry_are_a_type_b_note_and_the_record_is_unchanged(
    clerk: User, reviewer: User, removed: str
) -> None:
    wrong = current(removed).given_name
    rows = raw_rows()
    written = note(clerk, removed)
    # Nothing in the 除票 changes: no row is added or rewritten.
    assert raw_rows() == rows
    assert (written.item, written.item_label, written.wrong_text, written.correct_text, written.reason) == (
        "given_name",
        "名",
        wrong,
        "美奈",
        REASON,
    )
    assert (written.noted_on, written.made_by_id, written.snapshot_id) == (
        today(),
        clerk.pk,
        current(removed).pk,
    )
    entry = AuditEntry.objects.filter(action="resident:ex_officio:record", subject_id=removed).get()
    assert entry.reason == f"除票の誤記訂正; item=given_name; note={written.pk}"
    assert wrong not in entry.reason  # identifiers only
    assert "美奈" not in entry.reason
    # The 照会 shows the note: the 誤記, the correct entry, why, when and who.
    view = resident_record(actor=reviewer, purpose=PURPOSE, atena_number=removed)
    assert view.given_name == wrong
    day = to_wareki(today()).display()
    assert view.removed_record_notes == (
        f"{day}　名「{wrong}」は誤記につき「美奈」と訂正（{REASON}）　記載者 {clerk.get_username()}",
    )


def test_a_birth_date_note_keeps_the_date_as_the_record_shows_it(clerk: User, removed: str) -> None:
    written = note(clerk, removed, item="birth_date", correct="平成30年1月2日")
    assert written.correct_text == "平成30年1月2日"
    assert written.wrong_text != written.correct_text


def test_bad_note_input_is_refused_and_writes_nothing(
    clerk: User, family: DraftRecorded, removed: str
) -> None:
    entries, notes = AuditEntry.objects.count(), RemovedRecordNote.objects.count()
    cases = [
        ({"atena_number": family.atena_numbers[0]}, "registry.not_a_removed_record"),
        ({"atena_number": "9999999"}, "registry.resident_not_found"),
        ({"item": "juminhyo_code"}, "registry.item_not_correctable"),
        ({"reason": "  "}, "registry.reason_required"),
        ({"reason": "理" * 201}, "registry.reason_too_long"),
        ({"correct": current(removed).given_name}, "registry.correction_changes_nothing"),
        ({"item": "sex", "correct": "不明"}, "registry.item_sex"),
        ({"item": "surname", "correct": ""}, "registry.item_required"),
    ]
    for overrides, code in cases:
        with pytest.raises(DomainError) as raised:
            note(clerk, removed, **overrides)
        assert raised.value.code == code, overrides
    assert RemovedRecordNote.objects.count() == notes
    # Each refusal leaves only the authorisation entry (allowed) and nothing else.
    assert not AuditEntry.objects.filter(pk__gt=entries, reason__startswith="除票の誤記訂正").exists()


def test_a_honseki_note_is_masked_for_a_viewer_without_the_permission(
    clerk: User, make_clerk: Callable[..., User], removed: str
) -> None:
    note(clerk, removed, item="honseki", correct="長崎県佐世保市八幡町9番")
    viewer = make_clerk("viewer_without_honseki", Permission.RESIDENT_VIEW)
    view = resident_record(actor=viewer, purpose=PURPOSE, atena_number=removed)
    assert len(view.removed_record_notes) == 1
    assert "八幡町9番" not in view.removed_record_notes[0]


def test_a_clerk_without_permission_is_refused(make_clerk: Callable[..., User], removed: str) -> None:
    viewer = make_clerk("viewer_only", Permission.RESIDENT_VIEW)
    with pytest.raises(AccessRefused):
        note(viewer, removed)
    assert not RemovedRecordNote.objects.exists()


def test_api_permission_triple(make_staff: Callable[..., object], removed: str) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/corrections/ex-officio/removed-record-note",
        Permission.RESIDENT_RECORD,
        data=json.dumps(
            {
                "purpose": PURPOSE,
                "atena_number": removed,
                "item": "given_name",
                "correct_text": "美奈",
                "reason": REASON,
            }
        ),
        content_type="application/json",
        success_status=(201,),
    )


def test_the_screen_records_a_note_and_the_inquiry_shows_it(clerk: User, removed: str) -> None:
    client = logged_in(clerk)
    url = reverse("registry:removed_record_note")
    data = {
        "purpose": PURPOSE,
        "atena_number": removed,
        "item": "given_name",
        "correct_text": "美奈",
        "reason": "",
    }
    refused = client.post(url, data).content.decode()
    assert "訂正の理由が入力されていません。" in refused
    assert not RemovedRecordNote.objects.exists()
    done = client.post(url, {**data, "reason": REASON}).content.decode()
    assert "留意事項を記録しました" in done
    page = client.post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": removed}
    ).content.decode()
    assert "留意事項（除票の誤記訂正）" in page
    assert "は誤記につき「美奈」と訂正" in page

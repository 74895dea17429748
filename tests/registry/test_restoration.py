"""再製 (standard 1.2.2-a): a lost or damaged record re-created 職権 as a new generation, through the
service, API and screen; its corrections at review; the CS; cancellation refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.jukinet.cs.models import CsIdentity, PendingNotice
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.selectors_corrections import change_history
from jumin.registry.selectors_review import confirmation
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.reorganisation import (
    Reorganisation,
    record_reorganisation,
    resident_generations,
)
from jumin.registry.workflows.restoration import Restoration, RestorationCause, record_restoration
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_cs_link import code_pool
from tests.registry.test_reorganisation import removed_child

pytestmark = pytest.mark.django_db
__all__ = ["code_pool"]  # the fixture (codes the CS accepts), imported for use here

SOURCES = "住民票の写しの控え（令和8年11月交付分）、転入届書"


def today() -> date:
    return timezone.localdate()


def restore(numbers: list[str] | tuple[str, ...], **overrides: Any) -> Restoration:
    values: dict[str, Any] = {
        "atena_numbers": list(numbers),
        "restored_on": today(),
        "cause": RestorationCause.DAMAGED,
        "sources": SOURCES,
    }
    values.update(overrides)
    return Restoration(**values)


def test_a_restoration_opens_a_new_generation_with_the_current_data_and_keeps_every_old_row(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head = family.atena_numbers[0]
    before = current(head)
    draft = record_restoration(actor=clerk, purpose=PURPOSE, restoration=restore(family.atena_numbers))
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.change_date, change.notification_kind) == (
        ChangeReason.RESTORATION,
        today(),  # the 再製日
        "職権",
    )
    assert current(head).pk == before.pk  # a draft until committed
    book = ExOfficioRecord.objects.get(change=change)
    assert (book.action, book.grounds, book.findings, book.notice_required, book.changed_items) == (
        "再製",
        "毀損",
        SOURCES,
        False,
        [],
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(head)
    assert now.history_no == 2
    for name in ("surname", "birth_date", "address", "household_id", "juminhyo_code", "status"):
        assert getattr(now, name) == getattr(before, name), name
    assert ResidentSnapshot.objects.get(pk=before.pk).history_no == 1  # the old row is kept as it was
    found = resident_generations(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert [[row.history_no for row in rows] for rows in found.original_records] == [[1]]
    assert [row.history_no for row in found.current_record] == [2]
    assert found.closing_reasons == ("再製",)
    assert (found.restoration_count, found.reorganisation_count) == (1, 0)
    entry = AuditEntry.objects.get(action="resident:restoration:record", outcome="done")
    assert entry.subject_id == str(draft.change_id)
    assert "毀損" in entry.reason


def test_generations_cut_at_reorganisation_and_restoration_say_which_closed_each(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head = family.atena_numbers[0]
    remade = record_reorganisation(
        actor=clerk,
        purpose=PURPOSE,
        reorganisation=Reorganisation(atena_numbers=[head], reorganised_on=today(), reason="整理のため"),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=remade.change_id)
    restored = record_restoration(actor=clerk, purpose=PURPOSE, restoration=restore([head]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=restored.change_id)
    found = resident_generations(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert [[row.history_no for row in rows] for rows in found.original_records] == [[1], [2]]
    assert found.closing_reasons == ("改製", "再製")
    assert (found.reorganisation_count, found.restoration_count) == (1, 1)


def test_corrections_from_the_sources_are_drafted_and_shown_as_a_diff_at_review(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head, wife, _child = family.atena_numbers
    before = current(wife)
    draft = record_restoration(
        actor=clerk,
        purpose=PURPOSE,
        restoration=restore(
            family.atena_numbers,
            cause=RestorationCause.LOST,
            corrections={wife: {"given_name": "華子", "katagaki": before.katagaki}},  # 方書 unchanged
        ),
    )
    assert ExOfficioRecord.objects.get(change_id=draft.change_id).changed_items == ["given_name"]
    preview = confirmation(actor=reviewer, purpose=PURPOSE, change_ids=[draft.change_id])[0]
    changes = {person.atena_number: person.changes for person in preview.people}
    assert [(c.label, c.before, c.after) for c in changes[wife]] == [("氏名", "青木 花子", "青木 華子")]
    assert changes[head] == ()  # the others are re-created unchanged
    page = logged_in(reviewer).post(
        reverse("registry:review_confirm"), {"purpose": PURPOSE, "change_ids": [draft.change_id]}
    )
    assert "青木 花子" in page.content.decode()
    assert "青木 華子" in page.content.decode()  # the 確認画面 shows the correction, before and after
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(wife).given_name == "華子"
    assert ResidentSnapshot.objects.get(pk=before.pk).given_name == before.given_name  # history kept


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"restored_on": date.max}, "registry.future_event_date", "restored_on"),
        ({"sources": " "}, "registry.restoration_sources_required", "sources"),
        ({"sources": "あ" * 2001}, "registry.restoration_sources_required", "sources"),
        ({"cause": RestorationCause.OTHER}, "registry.restoration_cause_required", "cause_detail"),
        ({"cause_detail": "あ" * 201}, "registry.restoration_cause_required", "cause_detail"),
        ({"atena_numbers": []}, "registry.no_members", "atena_numbers"),
        ({"atena_numbers": ["999999999999"]}, "registry.resident_not_found", "atena_numbers"),
        (
            {"corrections": {"999999999999": {"surname": "佐藤"}}},
            "registry.correction_of_unlisted_person",
            "corrections",
        ),
        ({"corrections": {"HEAD": {"juminhyo_code": "1"}}}, "registry.item_not_correctable", "corrections"),
        ({"corrections": {"HEAD": {"sex": "不明"}}}, "registry.item_sex", "items.sex"),
    ],
)
def test_bad_restoration_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, Any], code: str, field: str
) -> None:
    if "corrections" in overrides:
        overrides["corrections"] = {
            family.atena_numbers[0] if number == "HEAD" else number: items
            for number, items in overrides["corrections"].items()
        }
    changes, books = Change.objects.count(), ExOfficioRecord.objects.count()
    with pytest.raises(DomainError) as raised:
        record_restoration(
            actor=clerk, purpose=PURPOSE, restoration=restore(family.atena_numbers, **overrides)
        )
    assert (raised.value.code, raised.value.field) == (code, field)
    assert raised.value.reason
    assert raised.value.remedy
    assert (Change.objects.count(), ExOfficioRecord.objects.count()) == (changes, books)


def test_other_cause_is_kept_with_its_detail(family: DraftRecorded, clerk: User) -> None:
    draft = record_restoration(
        actor=clerk,
        purpose=PURPOSE,
        restoration=restore(
            family.atena_numbers[:1], cause=RestorationCause.OTHER, cause_detail="記録媒体の障害"
        ),
    )
    assert ExOfficioRecord.objects.get(change_id=draft.change_id).grounds == "その他（記録媒体の障害）"


def test_a_removed_record_is_not_restored(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    child = removed_child(family, clerk, reviewer)
    with pytest.raises(DomainError) as raised:
        record_restoration(actor=clerk, purpose=PURPOSE, restoration=restore([child]))
    assert raised.value.code == "registry.not_a_resident"


def test_a_restoration_cannot_be_cancelled_and_history_offers_no_cancel(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head = family.atena_numbers[0]
    draft = record_restoration(actor=clerk, purpose=PURPOSE, restoration=restore([head]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    with pytest.raises(DomainError) as raised:
        record_cancellation(
            actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=draft.change_id, reason="誤り")
        )
    assert raised.value.code == "registry.cancel_of_reorganisation"
    assert "再製" in raised.value.reason
    rows = change_history(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert [(row.reason, row.cancellable) for row in rows] == [("国内転入", False), ("再製", False)]


def test_a_clerk_without_permission_is_refused(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    with pytest.raises(AccessRefused):
        record_restoration(
            actor=make_clerk("nobody"), purpose=PURPOSE, restoration=restore(family.atena_numbers)
        )
    assert AuditEntry.objects.get(action="resident:restoration:record").outcome == "refused"


# --- The CS (records.md §7: 再製 is internal unless the sources corrected a notified item) ----------


def _cs(atena: str) -> CsIdentity:
    return CsIdentity.objects.select_related("current").get(resident_code=current(atena).juminhyo_code)


def test_the_cs_takes_the_restoration_under_its_own_reason_and_notifies_only_a_corrected_item(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head, wife, _child = family.atena_numbers
    pending = {atena: PendingNotice.objects.filter(identity=_cs(atena)).count() for atena in (head, wife)}
    draft = record_restoration(
        actor=clerk,
        purpose=PURPOSE,
        restoration=restore([head, wife], corrections={wife: {"given_name": "華子"}}),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (_cs(head).current.change_reason, _cs(wife).current.change_reason) == ("再製", "再製")
    # The head's items are unchanged: nothing leaves the CS. The wife's name was corrected: the
    # prefecture is told, as a 職権修正 (a CS-only reason that changed a notified item).
    assert PendingNotice.objects.filter(identity=_cs(head)).count() == pending[head]
    assert PendingNotice.objects.filter(identity=_cs(wife)).count() == pending[wife] + 1
    assert _cs(wife).current.notice_reason == "職権修正"


# --- API and screen ---------------------------------------------------------------------------------


def api_body(numbers: list[str] | tuple[str, ...], **overrides: object) -> dict[str, object]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": list(numbers),
        "restored_on": today().isoformat(),
        "cause": "滅失",
        "sources": SOURCES,
        **overrides,
    }


def test_the_api_records_a_draft_with_corrections_and_lists_the_generations(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head = family.atena_numbers[0]
    client = logged_in(clerk)
    response = client.post(
        "/api/registry/notices/restoration",
        json.dumps(api_body([head], corrections={head: {"katagaki": "八幡荘101号"}})),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=response.json()["change_id"])
    assert current(head).katagaki == "八幡荘101号"
    response = logged_in(reviewer).post(
        "/api/registry/notices/reorganisation/generations",
        json.dumps({"purpose": PURPOSE, "atena_number": head}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "reorganisation_count": 0,
        "restoration_count": 1,
        "original_records": [[1]],
        "closed_by": ["再製"],
        "current_record": [2],
    }


def test_the_api_refuses_bad_input_with_the_field(family: DraftRecorded, clerk: User) -> None:
    response = logged_in(clerk).post(
        "/api/registry/notices/restoration",
        json.dumps(api_body(family.atena_numbers, sources="")),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (
        "registry.restoration_sources_required",
        "sources",
    )
    assert not Change.objects.filter(reason=ChangeReason.RESTORATION).exists()


def test_the_api_follows_the_permission_triple(make_staff: Callable[..., Any], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/notices/restoration",
        Permission.RESIDENT_RECORD,
        data=json.dumps(api_body(family.atena_numbers)),
        content_type="application/json",
        success_status=(201,),
    )


def screen_data(numbers: list[str] | tuple[str, ...], **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": "\n".join(numbers),
        "restored_on": today().isoformat(),
        "cause": "毀損",
        "cause_detail": "",
        "sources": SOURCES,
        "corrections": "",
        **overrides,
    }


def test_the_screen_records_a_draft_with_corrections_and_labels_the_field_in_error(
    family: DraftRecorded, clerk: User
) -> None:
    head, wife, _child = family.atena_numbers
    client = logged_in(clerk)
    url = reverse("registry:restoration")
    assert "再製の入力" in client.get(url).content.decode()
    page = client.post(url, screen_data(family.atena_numbers, cause="その他")).content.decode()
    assert "項目: 再製の原因の内容" in page
    assert not Change.objects.filter(reason=ChangeReason.RESTORATION).exists()
    page = client.post(
        url, screen_data(family.atena_numbers, corrections=f"{wife} 名 華子\n{head} 方書 八幡荘101号")
    ).content.decode()
    assert "仮登録しました" in page
    draft = Change.objects.get(reason=ChangeReason.RESTORATION)
    rows = {row.resident.atena_number: row for row in draft.snapshots.select_related("resident")}
    assert (rows[wife].given_name, rows[head].katagaki) == ("華子", "八幡荘101号")


def test_the_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:restoration"),
        Permission.RESIDENT_RECORD,
        data=screen_data(family.atena_numbers),
    )

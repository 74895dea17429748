"""改製 (standard 1.1.4-a/b, 1.1.5-a) through the service, API and screen; and Resident.kind at commit."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
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
from jumin.domain.resident import ChangeReason, ResidentKind
from jumin.registry.models import Change, Resident, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.honseki_notice import record_honseki_notice
from jumin.registry.workflows.naturalisation import record_naturalisation
from jumin.registry.workflows.reorganisation import (
    Reorganisation,
    record_reorganisation,
    resident_generations,
    split_generations,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_honseki_notice import notice
from tests.registry.test_move_out import current, family
from tests.registry.test_naturalisation import commit, foreigner, naturalisation

pytestmark = pytest.mark.django_db
__all__ = ["commit", "family", "foreigner"]  # fixtures, imported for use here


def today() -> date:
    return timezone.localdate()


def reorganise(numbers: list[str] | tuple[str, ...], **overrides: Any) -> Reorganisation:
    values: dict[str, Any] = {
        "atena_numbers": list(numbers),
        "reorganised_on": today(),
        "reason": "記載欄の整理のため",
    }
    values.update(overrides)
    return Reorganisation(**values)


def test_a_reorganisation_starts_a_new_generation_from_the_current_data_and_keeps_the_old_rows(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head = family.atena_numbers[0]
    amended = record_honseki_notice(actor=clerk, purpose=PURPOSE, notice=notice([head]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=amended.change_id)
    before = current(head)
    draft = record_reorganisation(
        actor=clerk, purpose=PURPOSE, reorganisation=reorganise(family.atena_numbers)
    )
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.change_date, change.notification_kind) == (
        ChangeReason.REORGANISATION,
        today(),  # the 改製日 (standard 1.1.4-b)
        "職権",
    )
    assert current(head).pk == before.pk  # a draft until committed
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    now = current(head)
    assert now.history_no == 3
    for name in ("surname", "honseki", "hittousha", "address", "household_id", "juminhyo_code", "status"):
        assert getattr(now, name) == getattr(before, name), name
    assert ResidentSnapshot.objects.filter(resident=now.resident, history_no__isnull=False).count() == 3
    found = resident_generations(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert found.reorganisation_count == 1
    assert [[row.history_no for row in rows] for rows in found.original_records] == [[1, 2]]
    assert [row.history_no for row in found.current_record] == [3]
    assert AuditEntry.objects.filter(action="resident:reorganisation:record", outcome="done").count() == 1


@dataclass(frozen=True)
class Row:
    history_no: int
    change_reason: str


def test_history_is_cut_before_every_reorganisation() -> None:
    rows = [
        Row(1, "国内転入"),
        Row(2, "改製"),
        Row(3, "転居"),
        Row(4, "改製"),
        Row(5, "職権修正"),
    ]
    found = split_generations(rows)
    assert [[r.history_no for r in g] for g in found.original_records] == [[1], [2, 3]]
    assert [r.history_no for r in found.current_record] == [4, 5]
    assert found.reorganisation_count == 2
    assert split_generations(rows[:1]).original_records == ()


def test_a_reorganisation_cannot_be_cancelled(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    draft = record_reorganisation(
        actor=clerk, purpose=PURPOSE, reorganisation=reorganise(family.atena_numbers)
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    with pytest.raises(DomainError) as raised:
        record_cancellation(
            actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=draft.change_id, reason="誤り")
        )
    assert raised.value.code == "registry.cancel_of_reorganisation"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"reorganised_on": date.max}, "registry.future_event_date"),
        ({"reason": " "}, "registry.reason_required"),
        ({"reason": "あ" * 201}, "registry.reason_required"),
        ({"atena_numbers": []}, "registry.no_members"),
        ({"atena_numbers": ["999999999999"]}, "registry.resident_not_found"),
    ],
)
def test_bad_reorganisation_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, Any], code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_reorganisation(
            actor=clerk, purpose=PURPOSE, reorganisation=reorganise(family.atena_numbers, **overrides)
        )
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert Change.objects.count() == changes


def removed_child(family: DraftRecorded, clerk: User, reviewer: User) -> str:
    """The family's child, dead (a 除票): neither 改製 nor 再製 remakes the record."""
    child = family.atena_numbers[2]
    died = record_death(
        actor=clerk,
        purpose=PURPOSE,
        death=Death(atena_number=child, death_date=date(2026, 11, 5), notification_date=date(2026, 11, 6)),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=died.change_id)
    return child


def test_a_removed_record_is_not_reorganised(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    child = removed_child(family, clerk, reviewer)
    with pytest.raises(DomainError) as raised:
        record_reorganisation(actor=clerk, purpose=PURPOSE, reorganisation=reorganise([child]))
    assert raised.value.code == "registry.not_a_resident"


def test_a_clerk_without_permission_is_refused(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    with pytest.raises(AccessRefused):
        record_reorganisation(
            actor=make_clerk("nobody"), purpose=PURPOSE, reorganisation=reorganise(family.atena_numbers)
        )
    assert AuditEntry.objects.get(action="resident:reorganisation:record").outcome == "refused"


def api_body(numbers: list[str] | tuple[str, ...]) -> dict[str, object]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": list(numbers),
        "reorganised_on": today().isoformat(),
        "reason": "記載欄の整理のため",
    }


def test_the_api_records_a_draft_and_reads_the_generations(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    client = logged_in(clerk)
    response = client.post(
        "/api/registry/notices/reorganisation",
        json.dumps(api_body(family.atena_numbers[:1])),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=response.json()["change_id"])
    response = logged_in(reviewer).post(
        "/api/registry/notices/reorganisation/generations",
        json.dumps({"purpose": PURPOSE, "atena_number": family.atena_numbers[0]}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "reorganisation_count": 1,
        "restoration_count": 0,
        "original_records": [[1]],
        "closed_by": ["改製"],
        "current_record": [2],
    }


def test_the_api_follows_the_permission_triple(make_staff: Callable[..., Any], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/notices/reorganisation",
        Permission.RESIDENT_RECORD,
        data=json.dumps(api_body(family.atena_numbers)),
        content_type="application/json",
        success_status=(201,),
    )


def test_the_generations_api_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/notices/reorganisation/generations",
        Permission.RESIDENT_VIEW,
        data=json.dumps({"purpose": PURPOSE, "atena_number": family.atena_numbers[0]}),
        content_type="application/json",
        success_status=(200,),
    )


def screen_data(numbers: list[str] | tuple[str, ...], **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": "\n".join(numbers),
        "reorganised_on": today().isoformat(),
        "reason": "記載欄の整理のため",
        **overrides,
    }


def test_the_screen_records_a_draft_and_labels_the_field_in_error(family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    url = reverse("registry:reorganisation")
    assert client.get(url).status_code == 200
    page = client.post(url, screen_data(["999999999999"])).content.decode()
    assert "項目: 対象の方の宛名番号" in page
    assert "仮登録しました" in client.post(url, screen_data(family.atena_numbers)).content.decode()


def test_the_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:reorganisation"),
        Permission.RESIDENT_RECORD,
        data=screen_data(family.atena_numbers),
    )


# --- Resident.kind follows the committed row (帰化・国籍喪失) -------------------------------------------


def test_resident_kind_follows_the_committed_row_after_naturalisation(
    clerk: User, foreigner: str, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    assert Resident.objects.get(atena_number=foreigner).kind == ResidentKind.FOREIGN
    draft = record_naturalisation(actor=clerk, purpose=PURPOSE, naturalisation=naturalisation(foreigner))
    assert Resident.objects.get(atena_number=foreigner).kind == ResidentKind.FOREIGN  # draft: unchanged
    commit(draft)
    assert Resident.objects.get(atena_number=foreigner).kind == ResidentKind.JAPANESE
    assert current(foreigner).kind == ResidentKind.JAPANESE


def test_today_is_after_the_fixed_dates_used_here() -> None:
    assert today() >= date(2026, 11, 6)

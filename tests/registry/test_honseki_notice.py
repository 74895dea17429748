"""本籍・筆頭者 from the 法9条2項 notice (standard 4.2.0.3-a, 1.1.12-a) through the service, API and screen.

Also the field labels of registry error boxes (field_labels.py), shown here on the honseki screen.
"""

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
from jumin.domain.resident import ChangeReason, ResidentKind
from jumin.registry.field_labels import field_label
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.acknowledgement import UnacknowledgedAlertsError
from jumin.registry.workflows.honseki_notice import HonsekiNotice, record_honseki_notice
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in, person
from tests.registry.test_move_in import family_move_in
from tests.registry.test_move_out import current, family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

NEW_HONSEKI = "福岡県福岡市中央区天神1丁目1番"
EVENT = date(2026, 11, 12)
NOTIFIED = date(2026, 11, 16)
MUNICIPALITY = "福岡県福岡市中央区"


def notice(numbers: list[str] | tuple[str, ...], **overrides: Any) -> HonsekiNotice:
    values: dict[str, Any] = {
        "atena_numbers": list(numbers),
        "honseki": NEW_HONSEKI,
        "hittousha": "青木 太郎",
        "event_date": EVENT,
        "notice_date": NOTIFIED,
        "notifying_municipality": MUNICIPALITY,
        "family_register_event": "転籍",
    }
    values.update(overrides)
    return HonsekiNotice(**values)


def test_a_transfer_of_honseki_amends_everyone_named_and_records_the_notice(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    numbers = family.atena_numbers
    before = {n: current(n) for n in numbers}
    draft = record_honseki_notice(actor=clerk, purpose=PURPOSE, notice=notice(numbers))
    assert draft.alerts == ()
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.notification_kind, change.notification_date, change.change_date) == (
        ChangeReason.EX_OFFICIO_AMENDMENT,
        "職権",
        NOTIFIED,
        EVENT,
    )
    book = ExOfficioRecord.objects.get(change=change)
    assert MUNICIPALITY in book.grounds
    assert "転籍" in book.grounds
    assert (book.found_on, book.notice_required, book.changed_items) == (
        NOTIFIED,
        False,
        ["honseki", "hittousha"],
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    for number in numbers:
        now = current(number)
        assert (now.honseki, now.hittousha, now.history_no) == (NEW_HONSEKI, "青木 太郎", 2)
        # The old 本籍 stays in history (records.md §6.0 rule 2).
        assert ResidentSnapshot.objects.get(pk=before[number].pk).honseki == "長崎県佐世保市八幡町1番地"
    assert AuditEntry.objects.filter(action="resident:honseki_notice:record", outcome="done").count() == 1


@pytest.mark.parametrize("value", ["なし", "不明"])
def test_nashi_and_fumei_are_accepted_for_both_items(
    family: DraftRecorded, clerk: User, reviewer: User, value: str
) -> None:
    child = family.atena_numbers[2]
    draft = record_honseki_notice(
        actor=clerk, purpose=PURPOSE, notice=notice([child], honseki=value, hittousha=value)
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (current(child).honseki, current(child).hittousha) == (value, value)


def test_only_one_item_special_needs_an_acknowledged_alert(family: DraftRecorded, clerk: User) -> None:
    child = family.atena_numbers[2]
    with pytest.raises(UnacknowledgedAlertsError) as raised:
        record_honseki_notice(actor=clerk, purpose=PURPOSE, notice=notice([child], honseki="不明"))
    assert [a.code for a in raised.value.alerts] == ["registry.honseki_special_value_mismatch"]
    draft = record_honseki_notice(
        actor=clerk,
        purpose=PURPOSE,
        notice=notice(
            [child], honseki="不明", acknowledged_alerts=["registry.honseki_special_value_mismatch"]
        ),
    )
    entry = AuditEntry.objects.get(action="resident:honseki_notice:record", subject_id=str(draft.change_id))
    assert "acknowledged=registry.honseki_special_value_mismatch" in entry.reason


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"honseki": " "}, "registry.item_required"),
        ({"hittousha": ""}, "registry.item_required"),
        ({"honseki": "あ" * 201}, "registry.item_too_long"),
        ({"notice_date": date.max}, "registry.future_notification"),
        ({"event_date": NOTIFIED.replace(day=17)}, "registry.event_after_notice"),
        ({"notifying_municipality": ""}, "registry.item_required"),
        ({"family_register_event": ""}, "registry.item_required"),
        ({"atena_numbers": []}, "registry.no_members"),
        ({"atena_numbers": ["999999999999"]}, "registry.resident_not_found"),
        ({"honseki": "長崎県佐世保市八幡町1番地"}, "registry.correction_changes_nothing"),
    ],
)
def test_bad_notice_input_is_refused_and_writes_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, Any], code: str
) -> None:
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_honseki_notice(
            actor=clerk, purpose=PURPOSE, notice=notice(family.atena_numbers[:1], **overrides)
        )
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert Change.objects.count() == changes


def test_a_foreign_resident_has_no_honseki(clerk: User, reviewer: User, code_pool: list[str]) -> None:
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(members=[person("NGUYEN", "AN", "グエン", "アン", kind=ResidentKind.FOREIGN)]),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    with pytest.raises(DomainError) as raised:
        record_honseki_notice(actor=clerk, purpose=PURPOSE, notice=notice(draft.atena_numbers))
    assert raised.value.code == "registry.item_not_for_kind"


def test_a_clerk_without_permission_is_refused(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    with pytest.raises(AccessRefused):
        record_honseki_notice(
            actor=make_clerk("nobody"), purpose=PURPOSE, notice=notice(family.atena_numbers)
        )
    assert AuditEntry.objects.get(action="resident:honseki_notice:record").outcome == "refused"


def api_body(numbers: list[str] | tuple[str, ...], **overrides: object) -> dict[str, object]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": list(numbers),
        "honseki": NEW_HONSEKI,
        "hittousha": "青木 太郎",
        "event_date": EVENT.isoformat(),
        "notice_date": NOTIFIED.isoformat(),
        "notifying_municipality": MUNICIPALITY,
        "family_register_event": "転籍",
        **overrides,
    }


def test_the_api_records_a_draft_and_names_the_field_of_an_error(family: DraftRecorded, clerk: User) -> None:
    client = logged_in(clerk)
    url = "/api/registry/notices/honseki"
    bad = api_body(family.atena_numbers, honseki="")
    response = client.post(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == "honseki"
    response = client.post(url, json.dumps(api_body(family.atena_numbers)), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["atena_numbers"] == list(family.atena_numbers)


def test_the_api_follows_the_permission_triple(make_staff: Callable[..., Any], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/notices/honseki",
        Permission.RESIDENT_RECORD,
        data=json.dumps(api_body(family.atena_numbers)),
        content_type="application/json",
        success_status=(201,),
    )


def screen_data(numbers: list[str] | tuple[str, ...], **overrides: str) -> dict[str, str]:
    return {
        "purpose": PURPOSE,
        "atena_numbers": "\n".join(numbers),
        "honseki": NEW_HONSEKI,
        "hittousha": "青木 太郎",
        "event_date": EVENT.isoformat(),
        "notice_date": NOTIFIED.isoformat(),
        "notifying_municipality": MUNICIPALITY,
        "family_register_event": "転籍",
        **overrides,
    }


def test_the_screen_shows_the_japanese_label_of_the_field_in_error(
    family: DraftRecorded, clerk: User
) -> None:
    client = logged_in(clerk)
    url = reverse("registry:honseki_notice")
    assert client.get(url).status_code == 200
    page = client.post(
        url, screen_data(family.atena_numbers, honseki="長崎県佐世保市八幡町1番地")
    ).content.decode()
    assert 'role="alert"' in page
    assert "項目: 本籍" in page
    assert "項目: honseki" not in page
    page = client.post(url, screen_data(family.atena_numbers)).content.decode()
    assert "仮登録しました" in page


def test_the_screen_follows_the_permission_triple(
    make_staff: Callable[..., Any], family: DraftRecorded
) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:honseki_notice"),
        Permission.RESIDENT_RECORD,
        data=screen_data(family.atena_numbers),
    )


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("honseki", "本籍"),
        ("hittousha", "筆頭者"),
        ("members[1].birth_date", "異動する方（2人目）の生年月日"),
        ("items.honseki", "修正する項目: 本籍"),
        ("child.relationship", "出生子の続柄"),
        ("relationships[0]", "続柄（1人目）"),
        ("a_field_added_later", "a_field_added_later"),
    ],
)
def test_field_codes_are_shown_as_japanese_labels(code: str, label: str) -> None:
    assert field_label(code) == label


def test_today_is_after_the_fixed_dates_used_here() -> None:
    assert timezone.localdate() >= NOTIFIED

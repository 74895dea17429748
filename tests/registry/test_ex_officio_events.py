"""The 4.1 events entered by 職権 (standard 4.2.0.2-a): 職権転居, 職権転出 and every kind of 職権世帯変更.

Same rules as the 届出 except the 届出日: none is recorded (届出区分 「職権」), the 異動日 is checked against
the day the fact was found, a 職権記録書 is written, and the 職権記録書 / 職権記載等通知書 print from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates.registry_notices import print_ex_officio_record
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason, ResidentStatus
from jumin.jukinet.cs.models import CsIdentity
from jumin.registry import numbering
from jumin.registry.certificate_sources import move_receipt
from jumin.registry.models import Change, ExOfficioRecord
from jumin.registry.selectors_corrections import ex_officio_notice, ex_officio_record_sheet
from jumin.registry.services import DraftRecorded
from jumin.registry.workflows import move_out as move_out_workflow
from jumin.registry.workflows.ex_officio import RecordBook
from jumin.registry.workflows.ex_officio_events import ExOfficioBasis
from jumin.registry.workflows.household_change import HouseholdChangeKind, record_household_change
from jumin.registry.workflows.move_out import record_move_out
from jumin.registry.workflows.move_within import record_move_within
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_household_change import change as household_change
from tests.registry.test_move_out import move_out
from tests.registry.test_move_within import NEW_ADDRESS, move

pytestmark = pytest.mark.django_db

BASIS = "住民基本台帳法第8条、住民基本台帳法施行令第12条第2項第1号"
SURVEY = "実態調査により居住・世帯の実態を確認"
EVENT_DAY = date(2026, 11, 15)


@pytest.fixture
def code_pool(db: None) -> list[str]:
    """Codes that pass the federation's check-digit rule, so the CS accepts every person."""
    codes = [resident_code(n) for n in range(400, 440)]
    numbering.load_code_pool(codes)
    return codes


def today() -> date:
    return timezone.localdate()


def basis(**overrides: Any) -> ExOfficioBasis:
    notice_required = overrides.pop("notice_required", True)
    values: dict[str, Any] = {
        "legal_basis": BASIS,
        "found_on": today(),
        "grounds": SURVEY,
        "findings": "現地調査で転居先に居住していることを確認。届出の催告に応答なし。",
    }
    values.update(overrides)
    return ExOfficioBasis(record=RecordBook(**values), notice_required=notice_required)


def assert_ex_officio(change_id: int, action: str, items: list[str]) -> ExOfficioRecord:
    """The change has no 届出日 and is 届出区分 職権; its 職権記録書 names the event and the items."""
    change = Change.objects.get(pk=change_id)
    assert (change.notification_kind, change.notification_date) == ("職権", None)
    record = ExOfficioRecord.objects.get(change=change)
    assert (record.action, record.legal_basis, record.grounds, record.found_on, record.changed_items) == (
        action,
        BASIS,
        SURVEY,
        today(),
        items,
    )
    return record


# --- 職権転居 ---------------------------------------------------------------------------------------


def test_4_2_0_2_a_ex_officio_move_within_records_no_notification_and_prints_its_record_sheet(
    clerk: User, reviewer: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    head = family.atena_numbers[0]
    old_address = current(head).address
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=move(list(family.atena_numbers), notification_date=None, ex_officio=basis()),
    )
    assert draft.alerts == ()
    assert_ex_officio(draft.change_id, "転居", ["address", "katagaki", "postal_code", "address_code"])
    entry = AuditEntry.objects.get(action="resident:move_within:record", subject_id=str(draft.change_id))
    assert entry.reason == "職権"
    commit(draft)
    row = current(head)
    assert (row.address, row.pre_move_address, row.history_no) == (NEW_ADDRESS.address, old_address, 2)
    assert (row.change.reason, row.change.notification_kind) == (ChangeReason.MOVE_WITHIN, "職権")

    sheet = ex_officio_record_sheet(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (sheet.notice.action, sheet.notified_on, sheet.on_application) == ("転居", "", False)
    assert (sheet.entered_by, sheet.decided_by) == (str(clerk), str(reviewer))
    assert [p.atena_number for p in sheet.notice.persons] == list(family.atena_numbers)
    address = sheet.notice.persons[0].items[0]
    assert (address.label, address.before, address.after) == ("住所", old_address, NEW_ADDRESS.address)
    printed = print_ex_officio_record(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert printed.startswith(b"%PDF")
    notice = ex_officio_notice(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert notice.notice_required
    # No 届出 was received, so no 住民異動届受理通知: the 職権記載等通知書 is the notice.
    with pytest.raises(DomainError) as no_receipt:
        move_receipt(draft.change_id)
    assert no_receipt.value.code == "registry.receipt_notice_for_ex_officio"

    # The CS gets the 転居 with a blank 届出の年月日 (a 職権 change has none).
    identity = CsIdentity.objects.select_related("current").get(resident_code=row.juminhyo_code)
    assert (identity.current.change_reason, identity.current.notification_date) == ("転居", "")


def test_ex_officio_partial_move_lists_the_new_relationships_on_the_notice(
    clerk: User, family: DraftRecorded
) -> None:
    head, _, child = family.atena_numbers
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=move([child], notification_date=None, relationships={child: "世帯主"}, ex_officio=basis()),
    )
    assert_ex_officio(
        draft.change_id, "転居", ["address", "katagaki", "postal_code", "address_code", "relationship"]
    )
    assert current(head).address != NEW_ADDRESS.address  # only the draft moves the child


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        (
            {"notification_date": date(2026, 11, 20)},
            "notification_date",
            "registry.notification_date_for_ex_officio",
        ),
        ({"ex_officio": basis(findings=" ")}, "findings", "registry.record_book_required"),
        ({"ex_officio": basis(found_on=date(2026, 11, 10))}, "move_date", "registry.event_after_found_on"),
        ({"move_date": date(2099, 1, 1)}, "move_date", "registry.future_event_date"),
    ],
)
def test_bad_ex_officio_move_within_is_refused_and_writes_nothing(
    clerk: User, family: DraftRecorded, overrides: dict[str, Any], field: str, code: str
) -> None:
    values: dict[str, Any] = {"notification_date": None, "ex_officio": basis(), "move_date": EVENT_DAY}
    values.update(overrides)
    changes = Change.objects.count()
    with pytest.raises(DomainError) as refused:
        record_move_within(actor=clerk, purpose=PURPOSE, move=move(list(family.atena_numbers), **values))
    assert (refused.value.field, refused.value.code) == (field, code)
    assert (Change.objects.count(), ExOfficioRecord.objects.count()) == (changes, 0)


def test_a_notified_move_within_still_needs_its_notification_date(clerk: User, family: DraftRecorded) -> None:
    with pytest.raises(DomainError) as refused:
        record_move_within(
            actor=clerk, purpose=PURPOSE, move=move(list(family.atena_numbers), notification_date=None)
        )
    assert refused.value.code == "registry.notification_date_required"


# --- 職権転出 ---------------------------------------------------------------------------------------


def test_4_2_0_2_a_ex_officio_move_out_has_no_notification_and_is_never_a_special_move_out(
    clerk: User, family: DraftRecorded, commit: Callable[..., DraftRecorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(move_out_workflow, "holds_active_card", lambda resident: True)
    _, wife, child = family.atena_numbers
    planned = today() - timedelta(days=2)
    draft = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out(
            [child],
            planned_date=planned,
            notification_date=None,
            destination_municipality_code="422011",
            ex_officio=basis(notice_required=False),
        ),
    )
    record = assert_ex_officio(draft.change_id, "国内転出", [])
    assert not record.notice_required
    commit(draft)
    row = current(child)
    assert (row.status, row.removal_date, row.special_move_out) == (ResidentStatus.REMOVED, planned, False)
    # The same 転出 as a 届出 would have been a 特例転出: the 職権 path is what made the difference.
    notified = record_move_out(
        actor=clerk,
        purpose=PURPOSE,
        move_out=move_out([wife], planned_date=planned, destination_municipality_code="422011"),
    )
    assert Change.objects.get(pk=notified.change_id).notification_kind == "届出"
    assert {s.special_move_out for s in Change.objects.get(pk=notified.change_id).snapshots.all()} == {True}


def test_an_ex_officio_move_out_cannot_be_planned_for_the_future(clerk: User, family: DraftRecorded) -> None:
    with pytest.raises(DomainError) as refused:
        record_move_out(
            actor=clerk,
            purpose=PURPOSE,
            move_out=move_out(
                family.atena_numbers[2:],
                planned_date=today() + timedelta(days=3),
                notification_date=None,
                ex_officio=basis(),
            ),
        )
    assert (refused.value.field, refused.value.code) == ("planned_date", "registry.future_event_date")


# --- 職権世帯変更 (every kind) ------------------------------------------------------------------------


def by_ex_officio(
    clerk: User, kind: HouseholdChangeKind, household_number: str, **overrides: Any
) -> DraftRecorded:
    """A 世帯変更 of ``kind`` entered by 職権: no 届出日, the 職権記録書 of ``basis()``."""
    values: dict[str, Any] = {"notification_date": None, "ex_officio_basis": basis(), **overrides}
    return record_household_change(
        actor=clerk, purpose=PURPOSE, change=household_change(kind, household_number, **values)
    )


def test_4_2_0_2_a_ex_officio_split_records_the_new_relationships(
    clerk: User, family: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    child = family.atena_numbers[2]
    draft = by_ex_officio(
        clerk,
        HouseholdChangeKind.SPLIT,
        family.household_number,
        members=[child],
        relationships={child: "世帯主"},
    )
    assert_ex_officio(draft.change_id, "世帯分離", ["relationship"])
    entry = AuditEntry.objects.get(action="resident:household_change:record", subject_id=str(draft.change_id))
    assert entry.reason == "世帯分離; 職権"
    commit(draft)
    assert (current(child).is_head, current(child).household.number) == (True, draft.household_number)


def test_an_ex_officio_head_change_needs_no_headless_household_when_its_record_sheet_is_given(
    clerk: User, family: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    relationships = {head: "夫", wife: "世帯主", child: "子"}
    draft = by_ex_officio(
        clerk, HouseholdChangeKind.HEAD_CHANGE, family.household_number, relationships=relationships
    )
    assert_ex_officio(draft.change_id, "世帯主変更", ["relationship"])


def test_ex_officio_transfer_merge_and_de_facto_head(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded, commit: Callable[..., DraftRecorded]
) -> None:
    first, second = other_household.atena_numbers
    child = family.atena_numbers[2]
    transfer = by_ex_officio(
        clerk,
        HouseholdChangeKind.TRANSFER,
        family.household_number,
        members=[child],
        target_household_number=other_household.household_number,
        relationships={child: "同居人"},
    )
    assert_ex_officio(transfer.change_id, "世帯変更", ["relationship"])
    commit(transfer)
    merge = by_ex_officio(
        clerk,
        HouseholdChangeKind.MERGE,
        other_household.household_number,
        target_household_number=family.household_number,
        relationships={first: "同居人", second: "同居人", child: "同居人"},
    )
    assert_ex_officio(merge.change_id, "世帯合併", ["relationship"])
    commit(merge)
    assert current(child).household.number == family.household_number
    de_facto = by_ex_officio(
        clerk, HouseholdChangeKind.DE_FACTO_HEAD, family.household_number, de_facto_head="山田　太郎"
    )
    assert_ex_officio(de_facto.change_id, "事実上の世帯主", [])


def test_an_ex_officio_household_change_with_a_notification_date_is_refused(
    clerk: User, family: DraftRecorded
) -> None:
    child = family.atena_numbers[2]
    with pytest.raises(DomainError) as refused:
        by_ex_officio(
            clerk,
            HouseholdChangeKind.SPLIT,
            family.household_number,
            notification_date=date(2026, 11, 20),
            members=[child],
            relationships={child: "世帯主"},
        )
    assert refused.value.code == "registry.notification_date_for_ex_officio"
    assert ExOfficioRecord.objects.count() == 0


# --- API and screens ----------------------------------------------------------------------------------


def _basis_json() -> dict[str, Any]:
    return {
        "record": {
            "legal_basis": BASIS,
            "found_on": today().isoformat(),
            "grounds": SURVEY,
            "findings": "現地調査",
        },
        "notice_required": True,
    }


def test_the_apis_take_an_ex_officio_basis_instead_of_a_notification_date(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    client = logged_in(clerk)
    _, wife, child = family.atena_numbers
    first, second = other_household.atena_numbers
    moved = client.post(
        "/api/registry/household/move-within",
        json.dumps(
            {
                "purpose": PURPOSE,
                "movers": [child],
                "address": {"address": NEW_ADDRESS.address},
                "move_date": EVENT_DAY.isoformat(),
                "relationships": {child: "世帯主"},
                "ex_officio_basis": _basis_json(),
            }
        ),
        content_type="application/json",
    )
    assert moved.status_code == 201, moved.content
    assert Change.objects.get(pk=moved.json()["change_id"]).notification_kind == "職権"
    changed = client.post(
        "/api/registry/household/change",
        json.dumps(
            {
                "purpose": PURPOSE,
                "kind": "世帯主変更",
                "household_number": other_household.household_number,
                "change_date": EVENT_DAY.isoformat(),
                "relationships": {first: "父", second: "世帯主"},
                "ex_officio_basis": _basis_json(),
            }
        ),
        content_type="application/json",
    )
    assert changed.status_code == 201, changed.content
    assert_ex_officio(changed.json()["change_id"], "世帯主変更", ["relationship"])
    body: dict[str, Any] = {"purpose": PURPOSE, "atena_numbers": [wife], "destination": "福岡県福岡市"}
    body["planned_date"] = EVENT_DAY.isoformat()
    url = "/api/registry/events/move-out"
    without = client.post(url, json.dumps(body), content_type="application/json")
    assert (without.status_code, without.json()["code"]) == (400, "registry.notification_date_required")
    body["ex_officio_basis"] = _basis_json()
    moved_out = client.post(url, json.dumps(body), content_type="application/json")
    assert moved_out.status_code == 201, moved_out.content
    assert_ex_officio(moved_out.json()["change_id"], "国内転出", [])


def _event_form(**overrides: str) -> dict[str, str]:
    data = {
        "purpose": PURPOSE,
        "by_ex_officio": "on",
        "legal_basis": BASIS,
        "found_on": today().isoformat(),
        "grounds": SURVEY,
        "findings": "現地調査",
        "notice_required": "on",
        "notification_date": today().isoformat(),  # what the screen offers; dropped for 職権
    }
    data.update(overrides)
    return data


def test_the_move_within_screen_offers_ex_officio_and_requires_its_record_sheet(
    clerk: User, family: DraftRecorded
) -> None:
    client = logged_in(clerk)
    url = reverse("registry:move_within")
    page = client.get(url).content.decode()
    assert "職権による処理" in page
    assert "事実を確認した日" in page
    assert "届出人" not in page
    fields = {"movers": "\n".join(family.atena_numbers), "address": NEW_ADDRESS.address}
    fields |= {"move_date": EVENT_DAY.isoformat()}
    missing = client.post(url, _event_form(**fields, findings="")).content.decode()
    assert "職権記録書のこの項目を入力してください" in missing
    assert Change.objects.filter(reason=ChangeReason.MOVE_WITHIN).count() == 0
    done = client.post(url, _event_form(**fields)).content.decode()
    assert "仮登録しました" in done
    change = Change.objects.get(reason=ChangeReason.MOVE_WITHIN)
    assert (change.notification_kind, change.notification_date) == ("職権", None)


def test_the_move_out_and_household_screens_enter_ex_officio_drafts(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    client = logged_in(clerk)
    child = family.atena_numbers[2]
    first, second = other_household.atena_numbers
    out = client.post(
        reverse("registry:move_out"),
        _event_form(
            atena_numbers=child,
            reason=ChangeReason.DOMESTIC_MOVE_OUT,
            planned_date=EVENT_DAY.isoformat(),
            destination="福岡県福岡市",
        ),
    ).content.decode()
    assert "仮登録しました" in out, out
    head_change = client.post(
        reverse("registry:household_change"),
        _event_form(
            kind="世帯主変更",
            household_number=other_household.household_number,
            change_date=EVENT_DAY.isoformat(),
            relationships=f"{first} 父\n{second} 世帯主",
        ),
    ).content.decode()
    assert "仮登録しました" in head_change, head_change
    entered = Change.objects.filter(made_by=clerk, reason__in=["国内転出", "世帯変更"], state="draft")
    assert dict(entered.values_list("reason", "notification_kind")) == {
        "国内転出": "職権",
        "世帯変更": "職権",
    }
    assert ExOfficioRecord.objects.filter(action="世帯主変更").count() == 1

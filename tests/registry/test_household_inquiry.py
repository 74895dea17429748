"""世帯照会 with former members (standard 3.3-a) and households without a head (4.0.5-a):
the 対象者一覧 and the choice of a 世帯主 by 職権."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import MASK, AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry, AuditResultSubject
from jumin.domain.errors import DomainError
from jumin.registry.models import Change, ExOfficioRecord, ResidentSnapshot
from jumin.registry.selectors_corrections import ex_officio_notice
from jumin.registry.selectors_household import headless_households, household_inquiry
from jumin.registry.services import DraftRecorded, record_move_in
from jumin.registry.workflows.household_change import record_household_change
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in
from tests.registry.test_household_change import HEAD, SPLIT
from tests.registry.test_household_change import change as household_change
from tests.registry.test_locks import death_of

pytestmark = pytest.mark.django_db

Commit = Callable[[DraftRecorded], DraftRecorded]


def listed_in_audit(action: str) -> list[str]:
    entry = AuditEntry.objects.filter(action=action).latest("seq")
    return list(
        AuditResultSubject.objects.filter(entry=entry)
        .order_by("position")
        .values_list("subject_id", flat=True)
    )


@pytest.fixture
def reader(make_clerk: Callable[..., User]) -> User:
    """May view residents, without the field grants (C-10: the 住民票コード is masked)."""
    return make_clerk("reader", Permission.RESIDENT_VIEW)


@pytest.fixture
def child_left(family: DraftRecorded, clerk: User, commit: Commit) -> DraftRecorded:
    """The family's child has died (committed): a former member."""
    return commit(death_of(clerk, family.atena_numbers[2]))


def test_the_household_screen_lists_former_members_below_with_the_date_and_reason(
    family: DraftRecorded, child_left: DraftRecorded, reader: User
) -> None:
    head, wife, child = family.atena_numbers
    rows_before = ResidentSnapshot.objects.count()
    view = household_inquiry(actor=reader, purpose=PURPOSE, household_number=family.household_number)
    assert [m.atena_number for m in view.members] == [head, wife]
    (former,) = view.former_members
    assert former.member.atena_number == child
    assert former.member.relationship == "子"  # as it stood in the household
    assert (former.departure.reason, former.departure.change_id) == ("死亡", child_left.change_id)
    assert former.departure.change_date == timezone.localdate()
    # C-10: masked for current and former members alike.
    assert {m.juminhyo_code for m in view.people} == {MASK}
    # One audit entry naming everyone listed, in screen order; nothing written to the registry.
    assert listed_in_audit("resident:record:list") == [head, wife, child]
    assert ResidentSnapshot.objects.count() == rows_before


def test_a_split_member_is_former_and_a_reader_with_the_grant_sees_the_code(
    family: DraftRecorded, clerk: User, commit: Commit, make_clerk: Callable[..., User]
) -> None:
    child = family.atena_numbers[2]
    split = commit(
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=household_change(
                SPLIT, family.household_number, members=[child], relationships={child: "世帯主"}
            ),
        )
    )
    granted = make_clerk("granted", Permission.RESIDENT_VIEW, Permission.FIELD_JUMINHYO_CODE_VIEW)
    view = household_inquiry(actor=granted, purpose=PURPOSE, household_number=family.household_number)
    (former,) = view.former_members
    assert (former.member.atena_number, former.departure.reason) == (child, "世帯変更")
    assert former.member.juminhyo_code == current(child).juminhyo_code != MASK
    new_household = household_inquiry(actor=granted, purpose=PURPOSE, household_number=split.household_number)
    assert [m.atena_number for m in new_household.members] == [child]
    assert new_household.former_members == ()


def test_an_unknown_household_is_refused_naming_the_field(reader: User, code_pool: list[str]) -> None:
    with pytest.raises(DomainError) as refused:
        household_inquiry(actor=reader, purpose=PURPOSE, household_number="9999999")
    assert (refused.value.field, refused.value.code) == ("household_number", "registry.household_not_found")


def test_the_screen_and_the_api_show_former_members(
    family: DraftRecorded, child_left: DraftRecorded, reader: User
) -> None:
    client = logged_in(reader)
    assert client.get(reverse("registry:household_inquiry")).status_code == 200
    page = client.post(
        reverse("registry:household_inquiry"),
        {"purpose": PURPOSE, "household_number": family.household_number},
    ).content.decode()
    for shown in ("除かれた世帯員", "死亡", "三奈"):
        assert shown in page
    response = client.post(
        "/api/registry/household/inquiry",
        {"purpose": PURPOSE, "household_number": family.household_number},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert [f["member"]["atena_number"] for f in body["former_members"]] == [family.atena_numbers[2]]
    assert body["former_members"][0]["departure"]["reason"] == "死亡"


@pytest.fixture
def wife_listed_after_child(clerk: User, code_pool: list[str], commit: Commit) -> DraftRecorded:
    """世帯主, 子, 妻 registered in this order: the 5.2 order (妻 before 子) is not the 宛名番号 order."""
    members = family_move_in().members
    return commit(
        record_move_in(
            actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[members[0], members[2], members[1]])
        )
    )


def test_a_household_whose_head_died_is_listed_addressed_to_the_first_in_the_5_2_order(
    wife_listed_after_child: DraftRecorded, clerk: User, commit: Commit, reader: User
) -> None:
    head, child, wife = wife_listed_after_child.atena_numbers
    assert current(wife).member_order < current(child).member_order
    assert headless_households(actor=reader, purpose=PURPOSE) == ()
    death = commit(death_of(clerk, head))
    (listed,) = headless_households(actor=reader, purpose=PURPOSE)
    assert listed.household_number == wife_listed_after_child.household_number
    assert listed.addressee.atena_number == wife
    assert listed.member_count == 2
    assert listed.head_left is not None
    assert (listed.head_left.reason, listed.head_left.change_id) == ("死亡", death.change_id)
    assert listed.addressee.juminhyo_code == MASK
    assert listed_in_audit("resident:record:list") == [wife]


def test_setting_the_head_by_ex_officio_records_a_notice_and_empties_the_list(
    family: DraftRecorded, clerk: User, commit: Commit, reader: User
) -> None:
    head, wife, child = family.atena_numbers
    commit(death_of(clerk, head))
    draft = commit(
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=household_change(
                HEAD,
                family.household_number,
                change_date=timezone.localdate(),
                notification_date=None,
                relationships={wife: "世帯主", child: "子"},
                ex_officio=True,
            ),
        )
    )
    change = Change.objects.get(pk=draft.change_id)
    assert (change.notification_kind, change.notification_date) == ("職権", None)
    record = ExOfficioRecord.objects.get(change=change)
    assert (record.action, record.notice_required) == ("世帯主変更", True)
    assert current(wife).is_head
    # Its 職権記載等通知書 is the 世帯主変更通知書: the new head first, 続柄 before and after.
    notice = ex_officio_notice(actor=reader, purpose=PURPOSE, change_id=draft.change_id)
    assert notice.persons[0].atena_number == wife
    assert [(i.before, i.after) for i in notice.persons[0].items] == [("妻", "世帯主")]
    assert headless_households(actor=reader, purpose=PURPOSE) == ()
    # The former head is still in the household's screen, below.
    view = household_inquiry(actor=reader, purpose=PURPOSE, household_number=family.household_number)
    assert [f.member.atena_number for f in view.former_members] == [head]


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({}, "ex_officio", "registry.ex_officio_household_has_head"),
        ({"kind": SPLIT}, "ex_officio", "registry.ex_officio_head_change_only"),
        ({"ex_officio": False}, "notification_date", "registry.notification_date_required"),
    ],
)
def test_bad_ex_officio_head_changes_are_refused_and_write_nothing(
    family: DraftRecorded, clerk: User, overrides: dict[str, object], field: str, code: str
) -> None:
    head, wife, child = family.atena_numbers
    values: dict[str, object] = {
        "notification_date": None,
        "relationships": {wife: "世帯主", head: "夫", child: "子"},
        "ex_officio": True,
    } | overrides
    kind = values.pop("kind", HEAD)
    changes = Change.objects.count()
    with pytest.raises(DomainError) as refused:
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=household_change(kind, family.household_number, **values),
        )
    assert (refused.value.field, refused.value.code) == (field, code)
    assert Change.objects.count() == changes


def test_the_list_screen_and_api(family: DraftRecorded, clerk: User, commit: Commit, reader: User) -> None:
    commit(death_of(clerk, family.atena_numbers[0]))
    client = logged_in(reader)
    assert client.get(reverse("registry:headless_households")).status_code == 200
    page = client.post(reverse("registry:headless_households"), {"purpose": PURPOSE}).content.decode()
    assert family.household_number in page
    assert "花子" in page
    response = client.post(
        "/api/registry/household/headless", {"purpose": PURPOSE}, content_type="application/json"
    )
    assert response.status_code == 200
    assert [h["addressee"]["atena_number"] for h in response.json()] == [family.atena_numbers[1]]


def test_a_clerk_without_the_view_permission_sees_no_list(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    nobody = make_clerk("nobody", Permission.RESIDENT_RECORD)
    with pytest.raises(AccessRefused):
        headless_households(actor=nobody, purpose=PURPOSE)
    with pytest.raises(AccessRefused):
        household_inquiry(actor=nobody, purpose=PURPOSE, household_number=family.household_number)


def test_the_household_change_screen_offers_the_ex_officio_choice(
    family: DraftRecorded, clerk: User, commit: Commit
) -> None:
    head, wife, child = family.atena_numbers
    commit(death_of(clerk, head))
    data = {
        "purpose": PURPOSE,
        "kind": "世帯主変更",
        "household_number": family.household_number,
        "change_date": timezone.localdate().isoformat(),
        "notification_date": "",
        "relationships": f"{wife} 世帯主\n{child} 子",
        "members": "",
        "target_household_number": "",
    }
    client = logged_in(clerk)
    without = client.post(reverse("registry:household_change"), data).content.decode()
    assert "届出日が入力されていません" in without
    done = client.post(reverse("registry:household_change"), data | {"ex_officio": "on"}).content.decode()
    assert "仮登録しました" in done
    assert (
        Change.objects.filter(notification_kind="職権", ex_officio_record__action="世帯主変更").count() == 1
    )


def test_the_record_screen_opens_the_household_screen_filled_in_without_reading(
    family: DraftRecorded, reader: User
) -> None:
    client = logged_in(reader)
    reads = AuditEntry.objects.filter(action="resident:record:list").count()
    page = client.post(
        reverse("registry:household_inquiry"), {"household_number": family.household_number, "prefill": "1"}
    ).content.decode()
    assert f'value="{family.household_number}"' in page
    assert 'role="alert"' not in page
    assert AuditEntry.objects.filter(action="resident:record:list").count() == reads

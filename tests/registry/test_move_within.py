"""転居 (standard 4.1.2; system.md F04): draft by one clerk, commit by another."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain import recorded_dates
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry.models import Change, ResidentSnapshot
from jumin.registry.selectors import resident_history, resident_record
from jumin.registry.services import Address, DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in, person
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db

NEW_ADDRESS = Address(
    address="長崎県佐世保市八幡町2番3号",
    katagaki="八幡荘 101号",
    postal_code="8570048",
    address_code="42202123000",
)
MOVED = date(2026, 11, 15)
NOTIFIED = date(2026, 11, 20)


@pytest.fixture
def other_household(clerk: User, reviewer: User, code_pool: list[str]) -> DraftRecorded:
    """A second committed household of one 世帯主."""
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(members=[person("佐藤", "一郎", "サトウ", "イチロウ")]),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def move(movers: list[str], **overrides: object) -> MoveWithin:
    values: dict[str, object] = {
        "movers": movers,
        "address": NEW_ADDRESS,
        "move_date": MOVED,
        "notification_date": NOTIFIED,
    }
    values.update(overrides)
    return MoveWithin(**values)  # type: ignore[arg-type]


def test_whole_household_move_keeps_household_data_and_changes_only_the_address(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    before = {a: current(a) for a in family.atena_numbers}
    draft = record_move_within(actor=clerk, purpose=PURPOSE, move=move(list(family.atena_numbers)))
    assert draft.household_number == family.household_number
    assert draft.alerts == ()
    change = Change.objects.get(pk=draft.change_id)
    assert (change.reason, change.notification_kind, change.made_by_id) == (
        ChangeReason.MOVE_WITHIN,
        "届出",
        clerk.pk,
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    for atena, old in before.items():
        new = current(atena)
        assert new.history_no == 2
        assert (new.address, new.katagaki, new.postal_code, new.address_code) == (
            NEW_ADDRESS.address,
            NEW_ADDRESS.katagaki,
            NEW_ADDRESS.postal_code,
            NEW_ADDRESS.address_code,
        )
        assert new.address_set_date == recorded_dates.to_json(MOVED)
        # Nothing else changes (F04 step 3: P1 rejects other changes); 転入前住所 is kept.
        for name in (
            "surname", "given_name", "surname_kana", "birth_date", "sex", "honseki", "hittousha",
            "juminhyo_code", "previous_address", "became_resident_date", "household_id", "is_head",
            "relationship", "member_order", "status", "kind",
        ):  # fmt: skip
            assert getattr(new, name) == getattr(old, name), name
        # The old row is unchanged history.
        old.refresh_from_db()
        assert (old.history_no, old.address) == (1, family_move_in().address.address)


def test_the_record_shows_the_new_address_and_the_history_keeps_the_old(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    draft = record_move_within(actor=clerk, purpose=PURPOSE, move=move(list(family.atena_numbers)))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    record = resident_record(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert (record.address, record.history_no, record.change_reason) == (NEW_ADDRESS.address, 2, "転居")
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=head)
    assert {(v.history_no, v.address) for v in history} == {
        (1, family_move_in().address.address),
        (2, NEW_ADDRESS.address),
    }


def test_a_move_to_another_building_on_the_same_lot_is_a_move_within(
    clerk: User, family: DraftRecorded
) -> None:
    same_lot = Address(address=family_move_in().address.address, katagaki="別棟 2号")
    draft = record_move_within(
        actor=clerk, purpose=PURPOSE, move=move(list(family.atena_numbers), address=same_lot)
    )
    assert ResidentSnapshot.objects.filter(change_id=draft.change_id, katagaki="別棟 2号").count() == 3


def test_part_of_a_household_forms_a_new_household_and_the_head_leaving_is_alerted(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=move([child, head], relationships={head: "世帯主", child: "子"}),
    )
    assert draft.household_number != family.household_number
    assert [a.code for a in draft.alerts] == ["registry.head_by_ex_officio"]
    assert set(draft.atena_numbers) == {head, child}
    # The remaining wife gets no snapshot in the move itself.
    assert not ResidentSnapshot.objects.filter(
        change_id=draft.change_id, resident__atena_number=wife
    ).exists()
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    new_head, new_child, stayed = current(head), current(child), current(wife)
    assert new_head.household.number == new_child.household.number == draft.household_number
    assert (new_head.is_head, new_head.relationship, new_head.member_order) == (True, "世帯主", 1)
    assert (new_child.is_head, new_child.relationship, new_child.member_order) == (False, "子", 2)
    # She is the one member left: she became 世帯主 by 職権 with the move (standard 4.0.4-a), in
    # a change of her own; her address and household stay.
    assert (stayed.history_no, stayed.household.number, stayed.address, stayed.is_head) == (
        2,
        family.household_number,
        family_move_in().address.address,
        True,
    )
    assert stayed.change.follows_id == draft.change_id


def test_a_member_without_the_head_moving_alone_raises_no_head_alert(
    clerk: User, family: DraftRecorded
) -> None:
    child = family.atena_numbers[2]
    draft = record_move_within(
        actor=clerk, purpose=PURPOSE, move=move([child], relationships={child: "世帯主"})
    )
    assert draft.alerts == ()


def test_movers_join_an_existing_household_at_the_end_of_its_order(
    clerk: User, reviewer: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=move(
            [child, wife],
            household_number=other_household.household_number,
            relationships={wife: "同居人", child: "同居人"},
        ),
    )
    assert draft.household_number == other_household.household_number
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    # Joiners keep their former relative order (妻 before 子) behind the existing member (ORD-2).
    assert (current(wife).member_order, current(child).member_order) == (2, 3)
    assert current(wife).household.number == other_household.household_number
    assert current(head).history_no == 1


def test_a_late_notification_is_an_alert(clerk: User, family: DraftRecorded) -> None:
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=move(list(family.atena_numbers), move_date=date(2026, 11, 2), notification_date=NOTIFIED),
    )
    assert [a.code for a in draft.alerts] == ["registry.late_notification"]


def test_exactly_one_audit_entry_per_draft(clerk: User, family: DraftRecorded) -> None:
    before = AuditEntry.objects.count()
    draft = record_move_within(actor=clerk, purpose=PURPOSE, move=move(list(family.atena_numbers)))
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [(e.action, e.outcome, e.subject_id) for e in entries] == [
        ("resident:move_within:record", "done", str(draft.change_id))
    ]


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    make_clerk: Callable[..., User], family: DraftRecorded
) -> None:
    changes = Change.objects.count()
    with pytest.raises(AccessRefused):
        record_move_within(actor=make_clerk("nobody"), purpose=PURPOSE, move=move(list(family.atena_numbers)))
    assert Change.objects.count() == changes
    assert AuditEntry.objects.get(action="resident:move_within:record").outcome == "refused"


def test_a_second_draft_on_a_drafted_person_is_held_back_even_for_its_maker(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    first = record_move_within(actor=clerk, purpose=PURPOSE, move=move(list(family.atena_numbers)))
    changes = Change.objects.count()
    with pytest.raises(DomainError) as raised:
        record_move_within(
            actor=clerk,
            purpose=PURPOSE,
            move=move(list(family.atena_numbers), address=Address(address="長崎県佐世保市島瀬町1番1号")),
        )
    assert (raised.value.code, raised.value.field) == ("registry.resident_drafted", "atena_number")
    assert str(first.change_id) in raised.value.reason
    assert Change.objects.count() == changes  # nothing half-written
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=first.change_id)
    assert current(family.atena_numbers[0]).address == NEW_ADDRESS.address


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda f: move([]), "registry.no_members"),
        (lambda f: move([f[0], f[0]]), "registry.person_listed_twice"),
        (lambda f: move(list(f), address=Address(address=" ")), "registry.address_required"),
        (lambda f: move(["999999999999"]), "registry.resident_not_found"),
        (lambda f: move(list(f), notification_date=date(2026, 11, 14)), "registry.notified_before_move"),
        (lambda f: move(list(f), move_date=date(2099, 1, 1)), "registry.future_event_date"),
        (
            lambda f: move(list(f), move_date=date(2026, 11, 21), notification_date=date(2099, 1, 1)),
            "registry.future_notification_date",
        ),
        (lambda f: move([f[2]]), "registry.relationship_required"),
        (lambda f: move([f[2]], relationships={f[2]: "孫"}), "relationship.x_term"),
        (lambda f: move([f[1], f[2]], relationships={f[1]: "妻", f[2]: "子"}), "registry.one_head_required"),
        (
            lambda f: move([f[1], f[2]], relationships={f[1]: "世帯主", f[2]: "世帯主"}),
            "registry.one_head_required",
        ),
        (
            lambda f: move([f[2]], relationships={f[2]: "世帯主", f[0]: "夫"}),
            "registry.relationship_for_other_person",
        ),
        (
            lambda f: move(list(f), relationships={f[0]: "世帯主"}),
            "registry.relationship_not_changed_by_move",
        ),
        (
            lambda f: move([f[2]], household_number="000000000000", relationships={f[2]: "同居人"}),
            "registry.household_not_found",
        ),
    ],
)
def test_bad_move_within_input_is_refused_and_writes_nothing(
    clerk: User, family: DraftRecorded, build: Callable[[tuple[str, ...]], MoveWithin], code: str
) -> None:
    changes, entries = Change.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as raised:
        record_move_within(actor=clerk, purpose=PURPOSE, move=build(family.atena_numbers))
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert (Change.objects.count(), AuditEntry.objects.count()) == (changes, entries)


def test_a_mover_who_is_not_a_current_resident_is_refused(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    ResidentSnapshot.objects.filter(pk=current(head).pk).update(status="removed")
    with pytest.raises(DomainError) as raised:
        record_move_within(actor=clerk, purpose=PURPOSE, move=move([head], relationships={head: "世帯主"}))
    assert raised.value.code == "registry.not_a_resident"


def test_movers_from_two_households_are_refused(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    with pytest.raises(DomainError) as raised:
        record_move_within(
            actor=clerk,
            purpose=PURPOSE,
            move=move([family.atena_numbers[2], other_household.atena_numbers[0]]),
        )
    assert raised.value.code == "registry.movers_in_several_households"


def test_joining_ones_own_household_or_as_its_head_is_refused(
    clerk: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    child = family.atena_numbers[2]
    with pytest.raises(DomainError) as own:
        record_move_within(
            actor=clerk,
            purpose=PURPOSE,
            move=move([child], household_number=family.household_number, relationships={child: "子"}),
        )
    assert own.value.code == "registry.joins_own_household"
    with pytest.raises(DomainError) as head:
        record_move_within(
            actor=clerk,
            purpose=PURPOSE,
            move=move(
                [child], household_number=other_household.household_number, relationships={child: "世帯主"}
            ),
        )
    assert head.value.code == "registry.head_joins_household"


def _api_body(family: DraftRecorded) -> str:
    return json.dumps(
        {
            "purpose": PURPOSE,
            "movers": list(family.atena_numbers),
            "address": {"address": NEW_ADDRESS.address, "katagaki": NEW_ADDRESS.katagaki},
            "move_date": MOVED.isoformat(),
            "notification_date": NOTIFIED.isoformat(),
        }
    )


def test_api_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/household/move-within",
        Permission.RESIDENT_RECORD,
        data=_api_body(family),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_returns_the_draft_and_domain_errors_as_400(clerk: User, family: DraftRecorded) -> None:
    client = logged_in(clerk)
    url = "/api/registry/household/move-within"
    response = client.post(url, _api_body(family), content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["household_number"] == family.household_number
    bad = json.loads(_api_body(family))
    bad["notification_date"] = "2026-11-01"
    response = client.post(url, json.dumps(bad), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "registry.notified_before_move"


def _form(family: DraftRecorded, **overrides: str) -> dict[str, str]:
    data = {
        "purpose": PURPOSE,
        "movers": "\n".join(family.atena_numbers),
        "address": NEW_ADDRESS.address,
        "katagaki": NEW_ADDRESS.katagaki,
        "postal_code": "",
        "address_code": "",
        "move_date": MOVED.isoformat(),
        "notification_date": NOTIFIED.isoformat(),
        "household_number": "",
        "relationships": "",
    }
    data.update(overrides)
    return data


def test_screen_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff, "post", reverse("registry:move_within"), Permission.RESIDENT_RECORD, data=_form(family)
    )


def test_screen_enters_a_partial_move_and_shows_errors(clerk: User, family: DraftRecorded) -> None:
    client = logged_in(clerk)
    assert client.get(reverse("registry:move_within")).status_code == 200
    head, _, child = family.atena_numbers
    done = client.post(
        reverse("registry:move_within"),
        _form(family, movers=f"{head}\n{child}", relationships=f"{head} 世帯主\n{child} 子"),
    )
    assert done.status_code == 200
    assert "仮登録しました" in done.content.decode()
    refused = client.post(
        reverse("registry:move_within"), _form(family, movers=child, relationships=f"{child} 孫")
    )
    page = refused.content.decode()
    # Refused, not entered: the alert names the field and the remedy, and no success message shows.
    alert = page.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "続柄" in alert
    assert "子の子" in alert
    assert "仮登録しました" not in page

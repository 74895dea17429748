"""世帯変更 (standard 4.1.4; system.md F05): 世帯主変更, 世帯分離, 世帯合併 as drafts."""

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
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry.models import Change
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.workflows.household_change import (
    HouseholdChange,
    HouseholdChangeKind,
    record_household_change,
)
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, current, logged_in
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db

CHANGED = date(2026, 11, 15)
NOTIFIED = date(2026, 11, 20)
HEAD, SPLIT, MERGE = HouseholdChangeKind.HEAD_CHANGE, HouseholdChangeKind.SPLIT, HouseholdChangeKind.MERGE


def change(kind: HouseholdChangeKind, household_number: str, **overrides: object) -> HouseholdChange:
    values: dict[str, object] = {
        "kind": kind,
        "household_number": household_number,
        "change_date": CHANGED,
        "notification_date": NOTIFIED,
    }
    values.update(overrides)
    return HouseholdChange(**values)  # type: ignore[arg-type]


def test_head_change_re_enters_relationships_and_recomputes_the_order(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    old_head, wife, child = family.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(
            HEAD, family.household_number, relationships={old_head: "父", wife: "母", child: "世帯主"}
        ),
    )
    assert draft.household_number == family.household_number
    assert Change.objects.get(pk=draft.change_id).reason == ChangeReason.HOUSEHOLD_CHANGE
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    rows = {a: current(a) for a in family.atena_numbers}
    assert (rows[child].is_head, rows[child].relationship, rows[child].member_order) == (True, "世帯主", 1)
    assert (rows[old_head].is_head, rows[old_head].relationship) == (False, "父")
    assert rows[wife].relationship == "母"
    assert rows[old_head].member_order < rows[wife].member_order  # D.2 rank 3: parents by birth date
    assert {r.history_no for r in rows.values()} == {2}
    assert {r.address for r in rows.values()} == {family_move_in().address.address}


def test_head_change_to_the_same_head_is_refused(clerk: User, family: DraftRecorded) -> None:
    head, wife, child = family.atena_numbers
    with pytest.raises(DomainError) as raised:
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=change(
                HEAD, family.household_number, relationships={head: "世帯主", wife: "妻", child: "子"}
            ),
        )
    assert raised.value.code == "registry.head_unchanged"


def test_split_forms_a_new_household_at_the_same_address(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(SPLIT, family.household_number, members=[child], relationships={child: "世帯主"}),
    )
    assert draft.household_number != family.household_number
    assert draft.atena_numbers == (child,)
    assert draft.alerts == ()
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    split = current(child)
    assert (split.household.number, split.is_head, split.relationship, split.member_order) == (
        draft.household_number,
        True,
        "世帯主",
        1,
    )
    assert split.address == current(head).address
    assert (current(head).history_no, current(wife).history_no) == (1, 1)


def test_split_of_the_head_leaves_the_rest_without_head_and_alerts(
    clerk: User, family: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(SPLIT, family.household_number, members=[head], relationships={head: "世帯主"}),
    )
    assert [a.code for a in draft.alerts] == ["registry.head_change_request"]


def test_merge_appends_the_joining_household_behind_the_other_head(
    clerk: User, reviewer: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    sato, sato_child = other_household.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(
            MERGE,
            other_household.household_number,
            target_household_number=family.household_number,
            relationships={sato: "同居人", sato_child: "同居人"},
        ),
    )
    assert draft.household_number == family.household_number
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert (current(sato).member_order, current(sato_child).member_order) == (4, 5)
    assert {current(sato).household.number, current(sato_child).household.number} == {family.household_number}
    assert not current(sato).is_head
    assert current(family.atena_numbers[0]).is_head


def test_exactly_one_audit_entry_per_draft(clerk: User, family: DraftRecorded) -> None:
    child = family.atena_numbers[2]
    before = AuditEntry.objects.count()
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(SPLIT, family.household_number, members=[child], relationships={child: "世帯主"}),
    )
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [(e.action, e.outcome, e.subject_id) for e in entries] == [
        ("resident:household_change:record", "done", str(draft.change_id))
    ]


def test_a_clerk_without_permission_is_refused_and_nothing_is_written(
    make_clerk: Callable[..., User], family: DraftRecorded
) -> None:
    changes = Change.objects.count()
    with pytest.raises(AccessRefused):
        record_household_change(
            actor=make_clerk("nobody"), purpose=PURPOSE, change=change(HEAD, family.household_number)
        )
    assert Change.objects.count() == changes
    assert AuditEntry.objects.get(action="resident:household_change:record").outcome == "refused"


def test_a_second_draft_on_a_drafted_person_is_held_back_even_for_its_maker(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    split = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(SPLIT, family.household_number, members=[child], relationships={child: "世帯主"}),
    )
    with pytest.raises(DomainError) as raised:
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=change(
                HEAD, family.household_number, relationships={head: "父", wife: "母", child: "世帯主"}
            ),
        )
    assert raised.value.code == "registry.resident_drafted"
    assert Change.objects.filter(made_by=clerk).count() == 2  # the 転入 and the split only
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=split.change_id)


@pytest.mark.parametrize(
    ("build", "code"),
    [
        (lambda f, o: change(HEAD, "000000000000"), "registry.household_not_found"),
        (lambda f, o: change(HEAD, f.household_number), "registry.relationship_required"),
        (
            lambda f, o: change(
                HEAD, f.household_number, relationships={f.atena_numbers[0]: "父", f.atena_numbers[1]: "母"}
            ),
            "registry.relationship_required",
        ),
        (
            lambda f, o: change(
                HEAD,
                f.household_number,
                relationships=dict(zip(f.atena_numbers, ("父", "母", "孫"), strict=True)),
            ),
            "relationship.x_term",
        ),
        (
            lambda f, o: change(
                HEAD,
                f.household_number,
                relationships=dict(zip(f.atena_numbers, ("世帯主", "世帯主", "子"), strict=True)),
            ),
            "registry.one_head_required",
        ),
        (
            lambda f, o: change(
                HEAD,
                f.household_number,
                relationships=dict(zip(f.atena_numbers, ("父", "母", "兄"), strict=True)),
            ),
            "registry.one_head_required",
        ),
        (lambda f, o: change(SPLIT, f.household_number), "registry.no_members"),
        (
            lambda f, o: change(
                SPLIT,
                f.household_number,
                members=[f.atena_numbers[2], f.atena_numbers[2]],
                relationships={f.atena_numbers[2]: "世帯主"},
            ),
            "registry.person_listed_twice",
        ),
        (
            lambda f, o: change(
                SPLIT,
                f.household_number,
                members=[o.atena_numbers[0]],
                relationships={o.atena_numbers[0]: "世帯主"},
            ),
            "registry.not_a_member",
        ),
        (
            lambda f, o: change(
                SPLIT,
                f.household_number,
                members=list(f.atena_numbers),
                relationships=dict(zip(f.atena_numbers, ("世帯主", "妻", "子"), strict=True)),
            ),
            "registry.split_of_whole_household",
        ),
        (
            lambda f, o: change(
                SPLIT,
                f.household_number,
                members=[f.atena_numbers[1], f.atena_numbers[2]],
                relationships={f.atena_numbers[1]: "母", f.atena_numbers[2]: "子"},
            ),
            "registry.one_head_required",
        ),
        (lambda f, o: change(MERGE, o.household_number), "registry.target_household_required"),
        (
            lambda f, o: change(MERGE, o.household_number, target_household_number=o.household_number),
            "registry.merge_into_itself",
        ),
        (
            lambda f, o: change(MERGE, o.household_number, target_household_number="000000000000"),
            "registry.household_not_found",
        ),
        (
            lambda f, o: change(
                MERGE,
                o.household_number,
                target_household_number=f.household_number,
                relationships=dict(zip(o.atena_numbers, ("世帯主", "同居人"), strict=True)),
            ),
            "registry.head_joins_household",
        ),
        (
            lambda f, o: change(HEAD, f.household_number, target_household_number=o.household_number),
            "registry.target_only_for_merge",
        ),
        (
            lambda f, o: change(HEAD, f.household_number, members=[f.atena_numbers[0]]),
            "registry.members_only_for_split",
        ),
        (
            lambda f, o: change(HEAD, f.household_number, notification_date=date(2026, 11, 14)),
            "registry.notified_before_move",
        ),
        (
            lambda f, o: change(HEAD, f.household_number, change_date=date(2099, 1, 1)),
            "registry.future_event_date",
        ),
    ],
)
def test_bad_household_change_input_is_refused_and_writes_nothing(
    clerk: User,
    family: DraftRecorded,
    other_household: DraftRecorded,
    build: Callable[[DraftRecorded, DraftRecorded], HouseholdChange],
    code: str,
) -> None:
    changes, entries = Change.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as raised:
        record_household_change(actor=clerk, purpose=PURPOSE, change=build(family, other_household))
    assert raised.value.code == code
    assert raised.value.reason
    assert raised.value.remedy
    assert (Change.objects.count(), AuditEntry.objects.count()) == (changes, entries)


def test_merge_into_a_household_without_head_is_refused(
    clerk: User, reviewer: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    head = family.atena_numbers[0]
    split = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(SPLIT, family.household_number, members=[head], relationships={head: "世帯主"}),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=split.change_id)
    with pytest.raises(DomainError) as raised:
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=change(
                MERGE,
                other_household.household_number,
                target_household_number=family.household_number,
                relationships=dict.fromkeys(other_household.atena_numbers, "同居人"),
            ),
        )
    assert raised.value.code == "registry.target_without_head"


def test_a_late_notification_is_an_alert(clerk: User, family: DraftRecorded) -> None:
    child = family.atena_numbers[2]
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(
            SPLIT,
            family.household_number,
            members=[child],
            relationships={child: "世帯主"},
            change_date=date(2026, 11, 2),
        ),
    )
    assert [a.code for a in draft.alerts] == ["registry.late_notification"]


def _api_body(family: DraftRecorded) -> str:
    child = family.atena_numbers[2]
    return json.dumps(
        {
            "purpose": PURPOSE,
            "kind": "世帯分離",
            "household_number": family.household_number,
            "change_date": CHANGED.isoformat(),
            "notification_date": NOTIFIED.isoformat(),
            "members": [child],
            "relationships": {child: "世帯主"},
        }
    )


def test_api_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        "/api/registry/household/change",
        Permission.RESIDENT_RECORD,
        data=_api_body(family),
        content_type="application/json",
        success_status=(201,),
    )


def test_api_returns_domain_errors_as_400(clerk: User, family: DraftRecorded) -> None:
    body = json.loads(_api_body(family))
    body["relationships"] = {family.atena_numbers[2]: "孫"}
    response = logged_in(clerk).post(
        "/api/registry/household/change", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "relationship.x_term"


def _form(family: DraftRecorded) -> dict[str, str]:
    child = family.atena_numbers[2]
    return {
        "purpose": PURPOSE,
        "kind": "世帯分離",
        "household_number": family.household_number,
        "change_date": CHANGED.isoformat(),
        "notification_date": NOTIFIED.isoformat(),
        "relationships": f"{child} 世帯主",
        "members": child,
        "target_household_number": "",
    }


def test_screen_permission_triple(make_staff: Callable[..., object], family: DraftRecorded) -> None:
    assert_permission_triple(
        make_staff,
        "post",
        reverse("registry:household_change"),
        Permission.RESIDENT_RECORD,
        data=_form(family),
    )


def test_screen_enters_a_head_change(clerk: User, family: DraftRecorded) -> None:
    client = logged_in(clerk)
    assert client.get(reverse("registry:household_change")).status_code == 200
    head, wife, child = family.atena_numbers
    data = _form(family) | {
        "kind": "世帯主変更",
        "members": "",
        "relationships": f"{head} 父\n{wife} 母\n{child} 世帯主",
    }
    done = client.post(reverse("registry:household_change"), data)
    assert "仮登録しました" in done.content.decode()
    wrong = client.post(reverse("registry:household_change"), data | {"relationships": f"{child} 世帯主"})
    assert 'role="alert"' in wrong.content.decode()

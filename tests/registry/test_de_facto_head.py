"""事実上の世帯主 (standard 4.1.4.3-a): recorded on every member's row as the type-C remark (備考)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates.documents import printed_person
from jumin.domain.certificates import CertificateOptions
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry import certificate_sources
from jumin.registry.inquiry import resident_timeline
from jumin.registry.models import Change
from jumin.registry.selectors import resident_history, resident_record
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.household_change import HouseholdChangeKind, record_household_change
from tests.registry.conftest import PURPOSE, current, family_move_in, logged_in, person
from tests.registry.test_household_change import MERGE, SPLIT, _form, change

pytestmark = pytest.mark.django_db

DE_FACTO = HouseholdChangeKind.DE_FACTO_HEAD
NAME = "SMITH JOHN"  # synthetic: e.g. a member of foreign forces, not on the registry
REMARK = "事実上の世帯主\u3000SMITH JOHN"


def record(clerk: User, reviewer: User, household_number: str, name: str) -> DraftRecorded:
    draft = record_household_change(
        actor=clerk, purpose=PURPOSE, change=change(DE_FACTO, household_number, de_facto_head=name)
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft


def test_the_de_facto_head_is_recorded_on_every_member_and_shown_as_a_remark(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    head, wife, child = family.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(DE_FACTO, family.household_number, de_facto_head=f" {NAME} "),
    )
    assert set(draft.atena_numbers) == set(family.atena_numbers)
    assert Change.objects.get(pk=draft.change_id).reason == ChangeReason.HOUSEHOLD_CHANGE
    assert AuditEntry.objects.get(subject_id=str(draft.change_id)).reason == "事実上の世帯主"
    assert current(child).de_facto_head == ""  # nothing visible before 本登録
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert {current(a).de_facto_head for a in family.atena_numbers} == {NAME}
    # The registered 世帯主 and 続柄 stay.
    assert (current(head).is_head, current(wife).relationship) == (True, "妻")
    assert resident_record(actor=reviewer, purpose=PURPOSE, atena_number=child).de_facto_head_remark == REMARK
    page = logged_in(reviewer).post(reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": child})
    assert REMARK in page.content.decode()
    [source] = certificate_sources.people([child])
    options = CertificateOptions(atena_numbers=(child,))
    printed = printed_person(source, options, issue_date=date(2026, 12, 1), country_name=str)
    assert REMARK in printed.notes
    without_head = CertificateOptions(atena_numbers=(child,), show_head_and_relationship=False)
    assert (
        REMARK
        not in printed_person(source, without_head, issue_date=date(2026, 12, 1), country_name=str).notes
    )


def test_clearing_it_keeps_the_earlier_remark_in_history(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    child = family.atena_numbers[2]
    record(clerk, reviewer, family.household_number, NAME)
    record(clerk, reviewer, family.household_number, "")
    history = resident_history(actor=reviewer, purpose=PURPOSE, atena_number=child)
    assert [v.de_facto_head_remark for v in history] == ["", REMARK, ""]
    timeline = resident_timeline(actor=reviewer, purpose=PURPOSE, atena_number=child)
    assert [
        (c.label, c.before, c.after)
        for e in timeline.entries
        for c in e.changes
        if c.label == "事実上の世帯主"
    ] == [
        ("事実上の世帯主", "", NAME),
        ("事実上の世帯主", NAME, ""),
    ]


def test_joiners_take_the_household_s_and_a_split_starts_without(
    clerk: User, reviewer: User, family: DraftRecorded, other_household: DraftRecorded
) -> None:
    record(clerk, reviewer, family.household_number, NAME)
    child = family.atena_numbers[2]
    split = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(SPLIT, family.household_number, members=[child], relationships={child: "世帯主"}),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=split.change_id)
    assert current(child).de_facto_head == ""
    merge = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=change(
            MERGE,
            other_household.household_number,
            target_household_number=family.household_number,
            relationships=dict.fromkeys(other_household.atena_numbers, "同居人"),
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=merge.change_id)
    assert {current(a).de_facto_head for a in other_household.atena_numbers} == {NAME}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"de_facto_head": ""}, "registry.de_facto_head_unchanged"),
        ({"de_facto_head": "X" * 101}, "registry.item_too_long"),
        (
            {"de_facto_head": NAME, "relationships": {"x": "子"}},
            "registry.relationships_not_for_de_facto_head",
        ),
        ({"kind": SPLIT, "de_facto_head": NAME}, "registry.de_facto_head_only_for_its_kind"),
    ],
)
def test_bad_de_facto_head_input_is_refused_and_writes_nothing(
    clerk: User, family: DraftRecorded, overrides: dict[str, object], code: str
) -> None:
    values: dict[str, object] = {"kind": DE_FACTO, **overrides}
    kind = values.pop("kind")
    changes, entries = Change.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DomainError) as raised:
        record_household_change(
            actor=clerk,
            purpose=PURPOSE,
            change=change(kind, family.household_number, **values),  # type: ignore[arg-type]
        )
    assert raised.value.code == code
    assert raised.value.remedy
    assert (Change.objects.count(), AuditEntry.objects.count()) == (changes, entries)


def test_the_same_name_again_is_refused(clerk: User, reviewer: User, family: DraftRecorded) -> None:
    record(clerk, reviewer, family.household_number, NAME)
    with pytest.raises(DomainError) as raised:
        record(clerk, reviewer, family.household_number, NAME)
    assert raised.value.code == "registry.de_facto_head_unchanged"


def test_the_screen_records_a_de_facto_head(clerk: User, family: DraftRecorded) -> None:
    data = _form(family) | {
        "kind": "事実上の世帯主",
        "members": "",
        "relationships": "",
        "de_facto_head": NAME,
    }
    done = logged_in(clerk).post(reverse("registry:household_change"), data)
    assert "仮登録しました" in done.content.decode()
    draft = Change.objects.filter(reason=ChangeReason.HOUSEHOLD_CHANGE).latest("pk")
    assert {s.de_facto_head for s in draft.snapshots.all()} == {NAME}


def test_a_person_moving_in_to_the_household_takes_it(
    clerk: User, reviewer: User, family: DraftRecorded
) -> None:
    record(clerk, reviewer, family.household_number, NAME)
    draft = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(
            household_number=family.household_number,
            members=[person("佐藤", "一郎", "サトウ", "イチロウ", relationship="同居人")],
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(draft.atena_numbers[0]).de_facto_head == NAME

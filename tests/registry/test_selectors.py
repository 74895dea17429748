from collections.abc import Callable

import pytest

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry.selectors import (
    MASK,
    draft_for_review,
    drafts_for_review,
    resident_history,
    resident_record,
)
from jumin.registry.services import commit_change, record_move_in
from tests.registry.conftest import PURPOSE, person
from tests.registry.test_move_in import family_move_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(clerk: User, reviewer: User, code_pool: list[str]) -> tuple[str, ...]:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft.atena_numbers


def test_viewing_a_record_is_audited_once_as_viewed(clerk: User, committed: tuple[str, ...]) -> None:
    entries_before = AuditEntry.objects.count()
    view = resident_record(actor=clerk, purpose=PURPOSE, atena_number=committed[0])
    assert (view.surname, view.given_name, view.birth_date) == ("青木", "太郎", "昭和35年4月1日")
    entries = AuditEntry.objects.filter(seq__gt=entries_before)
    assert [(e.action, e.subject_id, e.outcome) for e in entries] == [
        ("resident:record:view", committed[0], "done")
    ]


def test_hidden_fields_are_masked_without_the_field_permission(
    clerk: User, committed: tuple[str, ...]
) -> None:
    view = resident_record(actor=clerk, purpose=PURPOSE, atena_number=committed[0])
    assert view.honseki == MASK
    assert view.hittousha == MASK
    assert view.juminhyo_code == MASK


def test_hidden_fields_are_shown_with_the_field_permission(
    make_clerk: Callable[..., User], committed: tuple[str, ...]
) -> None:
    viewer = make_clerk(
        "viewer", Permission.RESIDENT_VIEW, Permission.FIELD_HONSEKI_VIEW, Permission.FIELD_JUMINHYO_CODE_VIEW
    )
    view = resident_record(actor=viewer, purpose=PURPOSE, atena_number=committed[0])
    assert view.honseki == "長崎県佐世保市八幡町1番地"
    assert len(view.juminhyo_code) == 11


def test_a_viewer_without_permission_is_refused_and_audited(
    make_clerk: Callable[..., User], committed: tuple[str, ...]
) -> None:
    outsider = make_clerk("outsider")
    with pytest.raises(AccessRefused):
        resident_record(actor=outsider, purpose=PURPOSE, atena_number=committed[0])
    assert AuditEntry.objects.filter(action="resident:record:view", outcome="refused").count() == 1


def test_drafts_are_invisible_to_record_views(clerk: User, code_pool: list[str]) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[person()]))
    with pytest.raises(DomainError):
        resident_record(actor=clerk, purpose=PURPOSE, atena_number=draft.atena_numbers[0])


def test_the_review_list_shows_other_clerks_drafts_without_names(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    assert drafts_for_review(actor=clerk) == []  # the maker has no commit permission
    listed = drafts_for_review(actor=reviewer)
    assert [(d.change_id, d.people) for d in listed] == [(draft.change_id, 3)]
    assert "青木" not in repr(listed)
    views = draft_for_review(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert [v.relationship for v in views] == ["世帯主", "妻", "子"]


def test_history_lists_committed_snapshots_in_order(clerk: User, committed: tuple[str, ...]) -> None:
    history = resident_history(actor=clerk, purpose=PURPOSE, atena_number=committed[0])
    assert [h.history_no for h in history] == [1]
    assert history[0].change_reason == "国内転入"


def test_a_foreign_residents_birth_date_is_shown_in_seireki(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    from datetime import date

    from jumin.domain.resident import ResidentKind

    foreigner = person("グエン", "アン", "グエン", "アン", kind=ResidentKind.FOREIGN, born=date(1995, 3, 3))
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[foreigner]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    view = resident_record(actor=clerk, purpose=PURPOSE, atena_number=draft.atena_numbers[0])
    assert view.birth_date == "1995年3月3日"
    assert view.residence_status == MASK

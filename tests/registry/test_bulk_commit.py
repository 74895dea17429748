"""確認待ち一覧, 確認画面 and 一括本登録 (standard 4.0.8-c, 4.0.9-a; issue 4 item 4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import ChangeReason
from jumin.registry import bulk, selectors_review
from jumin.registry.models import Change, ChangeState
from jumin.registry.models_review import LockRelease, ResidentLock
from jumin.registry.restrictions import RestrictedProcess, RestrictionLevel
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.move_out import record_move_out
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, logged_in, person
from tests.registry.test_move_in import family_move_in
from tests.registry.test_move_out import DESTINATION, family, move_out, today
from tests.registry.test_restrictions import officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["family", "officer"]  # the fixtures, imported for use here


def death_of(actor: User, atena: str) -> DraftRecorded:
    return record_death(
        actor=actor,
        purpose=PURPOSE,
        death=Death(atena_number=atena, death_date=today(), notification_date=today()),
    )


def state(change_id: int) -> str:
    return Change.objects.get(pk=change_id).state


def test_the_pending_list_filters_and_never_shows_the_reviewers_own_drafts(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head, wife, child = family.atena_numbers
    leaving = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    died = death_of(clerk, wife)
    own = death_of(reviewer, head)
    listed = [d.change_id for d in selectors_review.pending_drafts(actor=reviewer)]
    assert listed == [leaving.change_id, died.change_id]
    assert own.change_id not in listed
    by_reason = selectors_review.pending_drafts(
        actor=reviewer, filters=selectors_review.PendingFilter(reason=ChangeReason.DEATH)
    )
    assert [d.change_id for d in by_reason] == [died.change_id]
    assert (
        selectors_review.pending_drafts(
            actor=reviewer, filters=selectors_review.PendingFilter(made_by="nobody")
        )
        == []
    )
    with pytest.raises(AccessRefused):
        selectors_review.pending_drafts(actor=clerk)


def test_4_0_8_c_the_drafts_of_chosen_movers_are_found_by_post_and_the_search_is_audited(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head, wife, child = family.atena_numbers
    leaving = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    died = death_of(clerk, wife)
    before = AuditEntry.objects.count()
    chosen = selectors_review.pending_drafts(actor=reviewer, movers=[child, head], purpose=PURPOSE)
    assert [d.change_id for d in chosen] == [leaving.change_id]
    entry = AuditEntry.objects.filter(seq__gt=before, action="resident:change:view").get()
    assert list(entry.result_subjects.values_list("subject_id", flat=True)) == [child]
    assert entry.purpose == PURPOSE
    screen = logged_in(reviewer).post(reverse("registry:review"), {"purpose": PURPOSE, "movers": wife})
    page = screen.content.decode()
    assert f'value="{died.change_id}"' in page
    assert f'value="{leaving.change_id}"' not in page
    assert wife not in screen.request["PATH_INFO"]
    empty = logged_in(reviewer).post(reverse("registry:review"), {"purpose": PURPOSE, "movers": ""})
    assert "宛名番号を1行に1人" in empty.content.decode()


def test_the_confirmation_shows_before_and_after_per_person_and_is_audited(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    leaving = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    joining = record_move_in(
        actor=clerk,
        purpose=PURPOSE,
        move_in=family_move_in(
            members=[person("青木", "花子", "アオキ", "ハナコ", relationship="子")],
            household_number=family.household_number,
        ),
    )
    previews = selectors_review.confirmation(
        actor=reviewer, purpose=PURPOSE, change_ids=[leaving.change_id, joining.change_id]
    )
    assert [p.change_id for p in previews] == [leaving.change_id, joining.change_id]
    moved = {c.label: (c.before, c.after) for c in previews[0].people[0].changes}
    assert moved["住民状態"] == ("住民", "除票")
    assert moved["転出先（予定）"] == ("", DESTINATION)
    assert "氏名" not in moved  # only what changes
    newcomer = previews[1].people[0]
    assert newcomer.is_new
    assert newcomer.name == "青木 花子"
    assert not previews[0].stale
    assert not previews[0].blocked
    views = AuditEntry.objects.filter(action="resident:change:view", reason="confirmation")
    assert sorted(views.values_list("subject_id", flat=True)) == sorted(
        [str(leaving.change_id), str(joining.change_id)]
    )


def test_bulk_commit_commits_each_draft_on_its_own_and_reports_each_outcome(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    head, wife, child = family.atena_numbers
    stale = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    # Released as stale by a reviewer (locks.release_stale_lock): the next draft may be entered.
    ResidentLock.objects.update(released_at=timezone.now(), release=LockRelease.SUPERVISOR)
    newer = death_of(clerk, child)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=newer.change_id)  # makes ``stale`` stale
    died = death_of(clerk, wife)
    own = death_of(reviewer, head)
    result = bulk.commit_drafts(
        actor=reviewer, purpose=PURPOSE, change_ids=[stale.change_id, died.change_id, own.change_id]
    )
    outcomes = {o.change_id: o for o in result.outcomes}
    assert [o.change_id for o in result.outcomes] == [stale.change_id, died.change_id, own.change_id]
    assert outcomes[died.change_id].committed
    assert outcomes[stale.change_id].code == "registry.stale_draft"
    assert outcomes[own.change_id].code == "same_person_as_maker"
    assert (result.committed, result.refused) == (1, 2)
    assert [state(i) for i in (stale.change_id, died.change_id, own.change_id)] == [
        ChangeState.DRAFT,
        ChangeState.COMMITTED,
        ChangeState.DRAFT,
    ]
    summary = AuditEntry.objects.get(action="resident:change:bulk_commit")
    assert summary.reason == "selected=3; committed=1; refused=2"


@override_settings(JUMIN_BULK_COMMIT_CAP=2)
def test_more_drafts_than_the_cap_commit_nothing(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    drafts = [death_of(clerk, number).change_id for number in family.atena_numbers]
    with pytest.raises(DomainError) as refused:
        bulk.commit_drafts(actor=reviewer, purpose=PURPOSE, change_ids=drafts)
    assert refused.value.code == "registry.bulk_cap_exceeded"
    assert "2件" in refused.value.reason
    assert all(state(i) == ChangeState.DRAFT for i in drafts)
    assert bulk.commit_drafts(actor=reviewer, purpose=PURPOSE, change_ids=drafts[:2]).committed == 2


def test_an_unacknowledged_alert_refuses_only_its_own_draft(
    family: DraftRecorded, clerk: User, reviewer: User, officer: User
) -> None:
    _head, wife, _child = family.atena_numbers
    suppress(officer, wife, process=RestrictedProcess.CHANGE_ENTRY, level=RestrictionLevel.ALERT)
    warned = death_of(clerk, wife)
    plain = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([family.atena_numbers[2]]))
    result = bulk.commit_drafts(
        actor=reviewer, purpose=PURPOSE, change_ids=[warned.change_id, plain.change_id]
    )
    assert [(o.committed, o.code) for o in result.outcomes] == [
        (False, "registry.alerts_not_acknowledged"),
        (True, ""),
    ]
    again = bulk.commit_drafts(
        actor=reviewer,
        purpose=PURPOSE,
        change_ids=[warned.change_id],
        acknowledged_alerts=["registry.suppressed"],
    )
    assert again.committed == 1


def test_the_screens_list_confirm_and_commit(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    child = family.atena_numbers[2]
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([child]))
    client = logged_in(reviewer)
    listed = client.get(
        reverse("registry:review"), {"reason": ChangeReason.DOMESTIC_MOVE_OUT}
    ).content.decode()
    assert f'name="change_ids" value="{draft.change_id}"' in listed
    assert "青木" not in listed  # the list discloses no names
    confirm = client.post(
        reverse("registry:review_confirm"), {"purpose": PURPOSE, "change_ids": [draft.change_id]}
    )
    page = confirm.content.decode()
    assert "変更前" in page
    assert DESTINATION in page
    assert "除票" in page
    assert state(draft.change_id) == ChangeState.DRAFT  # the confirmation changes nothing
    done = client.post(
        reverse("registry:review_commit"), {"purpose": PURPOSE, "change_ids": [draft.change_id]}
    )
    assert "本登録 1 件" in done.content.decode()
    assert state(draft.change_id) == ChangeState.COMMITTED


def test_the_commit_screen_needs_the_commit_permission(
    family: DraftRecorded, clerk: User, make_staff: Callable[..., object]
) -> None:
    def fresh_draft() -> dict[str, object]:
        number = family.atena_numbers[2]
        change = Change.objects.filter(state=ChangeState.DRAFT).first()
        if change is None:
            change_id = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([number])).change_id
        else:
            change_id = change.pk
        return {"purpose": PURPOSE, "change_ids": [change_id]}

    assert_permission_triple(
        make_staff, "post", reverse("registry:review_confirm"), Permission.RESIDENT_COMMIT, data=fresh_draft
    )


def test_the_api_confirms_and_bulk_commits(family: DraftRecorded, clerk: User, reviewer: User) -> None:
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([family.atena_numbers[2]]))
    client = logged_in(reviewer)
    body = {"purpose": PURPOSE, "change_ids": [draft.change_id]}
    pending = client.get("/api/registry/review/pending", {"reason": ChangeReason.DOMESTIC_MOVE_OUT})
    assert [d["change_id"] for d in pending.json()] == [draft.change_id]
    preview = client.post("/api/registry/review/confirmation", body, content_type="application/json")
    assert preview.status_code == 200
    assert preview.json()[0]["people"][0]["changes"]
    committed = client.post("/api/registry/review/bulk-commit", body, content_type="application/json")
    assert committed.json()["committed"] == 1
    over = client.post(
        "/api/registry/review/bulk-commit",
        {"purpose": PURPOSE, "change_ids": []},
        content_type="application/json",
    )
    assert (over.status_code, over.json()["code"]) == (400, "registry.no_drafts_selected")

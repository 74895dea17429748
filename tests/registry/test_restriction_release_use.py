"""A 一時解除 lets one request through (issue 6): 異動の本登録 and 照会 use it up; the list shows state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.registry import selectors, services_restrictions
from jumin.registry.models import TemporaryRelease
from jumin.registry.restrictions import RestrictedProcess, check_restrictions
from jumin.registry.selectors_restrictions import person_restrictions
from jumin.registry.services import DraftRecorded, commit_change
from jumin.registry.services_restrictions import ReleaseTarget, consume_releases, release_temporarily
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_locks import death_of
from tests.registry.test_move_out import family
from tests.registry.test_restrictions import audited, officer, suppress

pytestmark = pytest.mark.django_db
__all__ = ["family", "officer"]  # the fixtures, imported for use here

CHANGE = RestrictedProcess.CHANGE_ENTRY
INQUIRY = RestrictedProcess.INQUIRY


def release(
    officer: User, number: str, process: RestrictedProcess, target: ReleaseTarget = ReleaseTarget.SUPPRESSION
) -> int:
    """The responsible officer's 一時解除 of ``process`` for one person; its id."""
    return release_temporarily(
        actor=officer, purpose=PURPOSE, atena_number=number, process=process, target=target, reason="審査済み"
    ).release_id


def consumer(release_id: int) -> tuple[str, str]:
    row = TemporaryRelease.objects.get(pk=release_id)
    return row.consumed_subject_type, row.consumed_subject_id


def test_the_commit_of_the_change_uses_up_a_change_entry_release(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User
) -> None:
    child = family.atena_numbers[2]
    suppress(officer, child, process=CHANGE)
    release_id = release(officer, child, CHANGE)
    draft = death_of(clerk, child)
    assert consumer(release_id) == ("", "")  # the draft only passed it: the 本登録 checks again
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert consumer(release_id) == ("change", str(draft.change_id))
    assert TemporaryRelease.objects.get(pk=release_id).consumed_by == reviewer
    assert audited("resident:restriction_release:consume") == 1
    assert check_restrictions([child], process=CHANGE).blocked  # the next 異動 is held again


def test_a_change_entry_release_taken_first_by_another_commit_refuses_this_one(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = family.atena_numbers[2]
    suppress(officer, child, process=CHANGE)
    release_id = release(officer, child, CHANGE)
    draft = death_of(clerk, child)
    # The commit's own check (inside its transaction) saw the release unused; another request took it
    # before this commit's conditional UPDATE could: only that UPDATE can tell.
    stale = check_restrictions([child], process=CHANGE)
    assert stale.releases_used
    consume_releases(stale, actor=officer, purpose=PURPOSE, subject_type="change", subject_id="999")
    monkeypatch.setattr(services_restrictions, "enforce_in_transaction", lambda **kwargs: stale)
    with pytest.raises(DomainError) as caught:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert caught.value.code == "registry.restricted"
    assert consumer(release_id) == ("change", "999")
    assert AuditEntry.objects.filter(
        action="resident:change:commit", outcome="refused", subject_id=str(draft.change_id)
    ).exists()  # audited after the rollback
    assert audited("resident:change:commit") == 1  # the family's own commit only


def test_an_inquiry_release_lets_one_read_through(family: DraftRecorded, officer: User) -> None:
    head = family.atena_numbers[0]
    suppress(officer, head, process=INQUIRY)
    release_id = release(officer, head, INQUIRY)
    assert selectors.resident_record(actor=officer, purpose=PURPOSE, atena_number=head).atena_number == head
    assert consumer(release_id) == ("resident", head)
    with pytest.raises(DomainError) as caught:
        selectors.resident_history(actor=officer, purpose=PURPOSE, atena_number=head)
    assert caught.value.code == "registry.restricted"


def test_the_person_screen_shows_each_release_as_active_used_or_expired(
    family: DraftRecorded, officer: User, clerk: User, reviewer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = family.atena_numbers[2]
    suppress(officer, child, process=CHANGE)
    suppress(officer, child, process=INQUIRY)
    release(officer, child, CHANGE)
    draft = death_of(clerk, child)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    expiring = release(officer, child, INQUIRY)
    later = clock.now() + timedelta(minutes=services_restrictions.release_minutes())
    monkeypatch.setattr(clock, "now", lambda: later)
    release(officer, child, INQUIRY)  # granted "later": still in force
    view = person_restrictions(actor=officer, purpose=PURPOSE, atena_number=child)
    states = [(r.process_label, r.state_label, r.consumed_for) for r in view.releases]
    assert states == [
        ("照会", "有効", ""),
        ("照会", "期限切れ", ""),
        ("異動入力", "使用済", f"異動 {draft.change_id}"),
    ]
    assert view.releases[1].release_id == expiring
    form = {"purpose": PURPOSE, "atena_number": child}
    html = logged_in(officer).post(reverse("registry:restrictions"), form).content.decode()
    assert f"使用済（異動 {draft.change_id}：{reviewer}" in html
    assert "期限切れ" in html
    assert "有効" in html

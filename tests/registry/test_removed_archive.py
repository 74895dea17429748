"""除票データベース: the archive move after five years, the search fallback and the 150-year purge
(standard 1.1.5-e/f/g, 9.3-a, 4.6.0.1-b; docs/workflows/removed-archive.md)."""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.resident import Sex
from jumin.domain.retention import retention_end, years_before
from jumin.domain.wareki import WarekiDate
from jumin.messaging import housekeeping
from jumin.registry import certificate_sources, removed_archive, removed_archive_purge
from jumin.registry.memos import add_memo, edit_memo
from jumin.registry.models import Change, Resident, ResidentSearchKey, ResidentSnapshot, SearchHistoryEntry
from jumin.registry.models_memo import ResidentMemo, ResidentMemoVersion
from jumin.registry.models_notes import ResidentRemark
from jumin.registry.models_removed_archive import ArchivedSearchKey, ArchivedSnapshot, RemovedArchiveEntry
from jumin.registry.models_removed_notes import RemovedRecordNote
from jumin.registry.remarks import add_remark, withdraw_remark
from jumin.registry.removed_archive import (
    archived_row_matches,
    list_archive_candidates,
    run_archive_move,
    serialized_row,
    snapshot_from_archive,
)
from jumin.registry.removed_archive_purge import (
    atena_digest,
    list_purge_candidates,
    purge_expired_archive,
    run_purge,
)
from jumin.registry.removed_archive_search import (
    ARCHIVE,
    LIVE,
    replay_live_then_archive,
    search_live_then_archive,
)
from jumin.registry.returning import ReturningQuery, find_returning
from jumin.registry.search import SearchCriteria, search_residents
from jumin.registry.search_keys import rebuild_all
from jumin.registry.selectors import resident_history, resident_record
from jumin.registry.services import DraftRecorded, commit_change, discard_change, record_move_in
from jumin.registry.workflows.cancellation import Cancellation, record_cancellation
from jumin.registry.workflows.ex_officio import ExOfficioRemoval, RecordBook, record_ex_officio_removal
from jumin.registry.workflows.foreign_registration import record_foreign_registration
from jumin.registry.workflows.move_in_notice import record_move_in_notice
from jumin.registry.workflows.move_out import record_move_out
from jumin.registry.workflows.removed_record_note import RemovedRecordCorrection, record_removed_record_note
from tests.helpers.permission_matrix import assert_permission_triple
from tests.registry.conftest import PURPOSE, family_move_in, logged_in, person
from tests.registry.test_foreign_registration import registration
from tests.registry.test_move_in_notice import notice
from tests.registry.test_move_out import move_out, today

pytestmark = pytest.mark.django_db

BATCH_PURPOSE = "registry_batch"


@pytest.fixture
def operator(make_clerk: Callable[..., User]) -> User:
    return make_clerk("batch", Permission.RESIDENT_BATCH_RUN, Permission.RESIDENT_VIEW)


@pytest.fixture
def searcher(make_clerk: Callable[..., User]) -> User:
    return make_clerk("searcher", Permission.RESIDENT_SEARCH)


def remove(clerk: User, reviewer: User, atena: str) -> int:
    """A 転出 today, committed: the person is a 除票 removed today. Returns the change id."""
    draft = record_move_out(actor=clerk, purpose=PURPOSE, move_out=move_out([atena]))
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    return draft.change_id


@pytest.fixture
def archived_child(family: DraftRecorded, clerk: User, reviewer: User, operator: User) -> str:
    """The family's child, removed today and moved to the 除票データベース by a run six years on."""
    child = family.atena_numbers[2]
    remove(clerk, reviewer, child)
    run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    return child


def after_years(years: int, days: int = 0) -> date:
    """The day ``years`` calendar years after today, plus ``days``."""
    return years_before(today(), -years) + timedelta(days=days)


def archive_hits(actor: User, **criteria: Any) -> tuple[str, list[str]]:
    result = search_live_then_archive(
        actor=actor, purpose=PURPOSE, criteria=SearchCriteria(include_removed=True, **criteria)
    )
    return result.source, [hit.atena_number for hit in result.hits]


def test_a_removal_moves_the_day_after_its_fifth_anniversary_and_every_row_is_copied_byte_for_byte(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User, searcher: User
) -> None:
    child = family.atena_numbers[2]
    remove(clerk, reviewer, child)
    resident = Resident.objects.get(atena_number=child)
    live_rows = list(resident.snapshots.filter(history_no__isnull=False).order_by("history_no"))
    live_text = [serialized_row(row) for row in live_rows]

    anniversary = run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(5))
    assert anniversary.moved_count == 0
    assert not RemovedArchiveEntry.objects.exists()
    result = run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(5, 1))
    assert (result.moved_count, result.left_locked) == (1, 0)

    entry = RemovedArchiveEntry.objects.get(resident=resident)
    assert (entry.through_history_no, entry.removal_date) == (live_rows[-1].history_no, today())
    assert entry.retain_until == retention_end(today())
    copies = list(ArchivedSnapshot.objects.filter(resident=resident).order_by("history_no"))
    assert [copy.history_no for copy in copies] == [row.history_no for row in live_rows]
    assert [copy.row for copy in copies] == live_text
    for copy, row in zip(copies, live_rows, strict=True):
        assert archived_row_matches(copy)
        rebuilt = snapshot_from_archive(copy)
        assert serialized_row(rebuilt) == copy.row
        assert rebuilt.individual_number == row.individual_number  # still sealed, same token
    # History is kept: the live rows are all still there, unchanged.
    kept = resident.snapshots.filter(history_no__isnull=False).order_by("history_no")
    assert [serialized_row(row) for row in kept] == live_text
    # The keys moved: the live search no longer finds the person; the archive does.
    assert not ResidentSearchKey.objects.filter(resident=resident).exists()
    assert ArchivedSearchKey.objects.filter(resident=resident).exists()
    live = search_residents(
        actor=searcher, purpose=PURPOSE, criteria=SearchCriteria(kana_name="アオキミナ", include_removed=True)
    )
    assert live.hits == []
    assert archive_hits(searcher, kana_name="アオキミナ") == (ARCHIVE, [child])
    moved = AuditEntry.objects.filter(action="resident:removed_archive:move", subject_id=child)
    assert moved.count() == 1


def test_the_fallback_runs_only_when_the_live_search_finds_nobody_and_admits_removed_records(
    archived_child: str, searcher: User
) -> None:
    child = archived_child
    # 「アオキ」 also finds the living parents: the live answer stands, the archive is not read.
    source, hits = archive_hits(searcher, kana_name="アオキ", name_mode="prefix")
    assert source == LIVE
    assert child not in hits
    # Without 「除票も検索する」 the archive is never searched.
    result = search_live_then_archive(
        actor=searcher, purpose=PURPOSE, criteria=SearchCriteria(kana_name="アオキミナ")
    )
    assert (result.source, result.hits) == (LIVE, [])
    assert archive_hits(searcher, kana_name="アオキミナ", sex="male") == (ARCHIVE, [])
    audited = AuditEntry.objects.filter(action="resident:record:list", reason="removed_archive")
    assert audited.count() == 1


def test_removed_records_are_listed_and_found_in_processing_date_order(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User, searcher: User
) -> None:
    _head, wife, child = family.atena_numbers
    remove(clerk, reviewer, child)  # processed first, although ミナ sorts after ハナコ
    remove(clerk, reviewer, wife)
    listed = list_archive_candidates(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    assert [row.atena_number for row in listed] == [child, wife]
    run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    assert archive_hits(searcher, kana_name="アオキ", name_mode="prefix", removal_reason="国内転出") == (
        ARCHIVE,
        [child, wife],
    )


def test_a_second_run_moves_nothing_and_copies_nothing(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    remove(clerk, reviewer, family.atena_numbers[2])
    day = after_years(6)
    assert run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=day).moved_count == 1
    counts = (RemovedArchiveEntry.objects.count(), ArchivedSnapshot.objects.count())
    assert run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=day).moved_count == 0
    assert (RemovedArchiveEntry.objects.count(), ArchivedSnapshot.objects.count()) == counts
    assert list_archive_candidates(actor=operator, purpose=BATCH_PURPOSE, today=day) == []


def test_a_batch_killed_during_a_person_leaves_no_half_moved_person_and_the_next_run_finishes(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _head, wife, child = family.atena_numbers
    remove(clerk, reviewer, wife)
    remove(clerk, reviewer, child)
    real_move_keys = removed_archive.move_keys_to_archive
    calls: list[str] = []

    def dies_on_the_second(resident: Resident, entry: RemovedArchiveEntry) -> int:
        calls.append(resident.atena_number)
        if len(calls) == 2:  # after the second person's rows were copied: the process dies
            raise KeyboardInterrupt
        return real_move_keys(resident, entry)

    monkeypatch.setattr(removed_archive, "move_keys_to_archive", dies_on_the_second)
    with pytest.raises(KeyboardInterrupt):
        run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    first, second = calls
    assert RemovedArchiveEntry.objects.filter(atena_number=first).count() == 1
    assert not RemovedArchiveEntry.objects.filter(atena_number=second).exists()
    assert not ArchivedSnapshot.objects.filter(resident__atena_number=second).exists()
    assert ResidentSearchKey.objects.filter(resident__atena_number=second).exists()
    assert Resident.objects.get(atena_number=second).archive_entry is None
    assert not ResidentSnapshot.objects.filter(
        resident__atena_number=second, archive_entry__isnull=False
    ).exists()
    assert not AuditEntry.objects.filter(action="resident:removed_archive:move", subject_id=second).exists()

    monkeypatch.setattr(removed_archive, "move_keys_to_archive", real_move_keys)
    assert run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6)).moved_count == 1
    for atena in (wife, child):
        resident = Resident.objects.get(atena_number=atena)
        assert (
            ArchivedSnapshot.objects.filter(resident=resident).count()
            == resident.snapshots.filter(history_no__isnull=False).count()
        )
        assert not ResidentSearchKey.objects.filter(resident=resident).exists()


def test_a_person_held_by_another_clerks_draft_is_left_for_the_next_run(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    child = family.atena_numbers[2]
    remove(clerk, reviewer, child)
    record_move_in_notice(actor=clerk, purpose=PURPOSE, notice=notice([child]))  # an open draft
    result = run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    assert (result.moved_count, result.left_locked) == (0, 1)
    assert not RemovedArchiveEntry.objects.exists()


def test_the_archive_age_is_a_setting_and_a_bad_value_stops_the_batch(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    remove(clerk, reviewer, family.atena_numbers[2])
    with override_settings(JUMIN_REMOVED_ARCHIVE_YEARS="1"):
        assert (
            run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(1, 1)).moved_count == 1
        )
    with override_settings(JUMIN_REMOVED_ARCHIVE_YEARS="0"), pytest.raises(ValueError, match="1以上"):
        run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))


def test_rebuilding_the_search_keys_keeps_archived_people_out_of_the_live_search(
    archived_child: str, searcher: User
) -> None:
    child = archived_child
    rebuild_all()
    assert not ResidentSearchKey.objects.filter(resident__atena_number=child).exists()
    assert archive_hits(searcher, kana_name="アオキミナ") == (ARCHIVE, [child])


def test_the_purge_removes_only_archives_past_150_years_from_the_day_after_the_anniversary(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User, searcher: User
) -> None:
    _head, wife, child = family.atena_numbers
    remove(clerk, reviewer, child)
    run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    remove(clerk, reviewer, wife)  # removed as long ago, but never archived: the purge leaves her alone
    last_day = retention_end(today())
    assert list_purge_candidates(actor=operator, purpose=BATCH_PURPOSE, today=last_day) == []
    assert run_purge(actor=operator, purpose=BATCH_PURPOSE, today=last_day).purged_count == 0
    assert ArchivedSnapshot.objects.filter(resident__atena_number=child).exists()
    assert ResidentSnapshot.objects.filter(resident__atena_number=child).exists()

    day_after = last_day + timedelta(days=1)
    listed = list_purge_candidates(actor=operator, purpose=BATCH_PURPOSE, today=day_after)
    assert [row.atena_number for row in listed] == [child]
    rows = ArchivedSnapshot.objects.filter(resident__atena_number=child).count()
    live_rows = ResidentSnapshot.objects.filter(resident__atena_number=child).count()
    result = run_purge(actor=operator, purpose=BATCH_PURPOSE, today=day_after)
    assert (result.purged_count, result.row_count) == (1, rows)
    assert not ArchivedSnapshot.objects.filter(resident__atena_number=child).exists()
    assert not ArchivedSearchKey.objects.filter(resident__atena_number=child).exists()
    assert RemovedArchiveEntry.objects.get(atena_number=child).purged_at is not None
    # The live rows go too; the bare 宛名番号 stays as the record of the purge.
    assert not ResidentSnapshot.objects.filter(resident__atena_number=child).exists()
    assert Resident.objects.get(atena_number=child).current is None
    # The audit entry names the person by a keyed digest only, with counts.
    purged = AuditEntry.objects.get(action="resident:removed_archive:purge", subject_id=atena_digest(child))
    assert child not in purged.reason
    assert f"rows={rows} keys=" in purged.reason
    assert f"live_rows={live_rows}" in purged.reason
    assert not AuditEntry.objects.filter(action="resident:removed_archive:purge", subject_id=child).exists()
    assert run_purge(actor=operator, purpose=BATCH_PURPOSE, today=day_after).purged_count == 0
    assert archive_hits(searcher, kana_name="アオキミナ") == (ARCHIVE, [])
    assert ResidentSnapshot.objects.filter(resident__atena_number=wife).exists()


def test_a_younger_archive_is_never_purged(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    remove(clerk, reviewer, family.atena_numbers[2])
    run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    for day in (after_years(6), after_years(149, 364), retention_end(today())):
        assert run_purge(actor=operator, purpose=BATCH_PURPOSE, today=day).purged_count == 0
    assert RemovedArchiveEntry.objects.get().purged_at is None


def test_cancelling_an_event_of_an_archived_person_asks_to_re_enter_and_the_live_case_still_restores(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    _head, wife, child = family.atena_numbers
    archived_change = remove(clerk, reviewer, child)
    run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    live_change = remove(clerk, reviewer, wife)  # after the run: her 除票 is in the live database
    changes = Change.objects.count()
    with pytest.raises(DomainError) as refused:
        record_cancellation(
            actor=clerk,
            purpose=PURPOSE,
            cancellation=Cancellation(change_id=archived_change, reason="届出人の錯誤"),
        )
    assert refused.value.code == "registry.cancel_archived"
    assert "除票データベース" in refused.value.reason
    assert "改めて入力" in refused.value.remedy
    assert Change.objects.count() == changes
    draft = record_cancellation(
        actor=clerk, purpose=PURPOSE, cancellation=Cancellation(change_id=live_change, reason="届出人の錯誤")
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert Resident.objects.get(atena_number=wife).current.status == "resident"  # type: ignore[union-attr]


def test_running_and_listing_need_the_batch_right(family: DraftRecorded, clerk: User) -> None:
    for call in (run_archive_move, list_archive_candidates, run_purge, list_purge_candidates):
        with pytest.raises(AccessRefused):
            call(actor=clerk, purpose=BATCH_PURPOSE)
    assert not RemovedArchiveEntry.objects.exists()


def test_management_command_moves_and_purges_with_dry_runs(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User
) -> None:
    child = family.atena_numbers[2]
    remove(clerk, reviewer, child)
    day = after_years(6).isoformat()
    out = StringIO()
    call_command("removed_archive", operator=operator.username, date=day, dry_run=True, stdout=out)
    assert "1人（試行" in out.getvalue()
    assert child not in out.getvalue()  # no personal data on the console
    assert not RemovedArchiveEntry.objects.exists()
    out = StringIO()
    call_command("removed_archive", operator=operator.username, date=day, stdout=out)
    assert "1人" in out.getvalue()
    purge_day = (retention_end(today()) + timedelta(days=1)).isoformat()
    out = StringIO()
    call_command(
        "removed_archive", operator=operator.username, date=purge_day, purge=True, dry_run=True, stdout=out
    )
    assert "150年）を過ぎた除票: 1人" in out.getvalue()
    call_command("removed_archive", operator=operator.username, date=purge_day, purge=True, stdout=StringIO())
    assert RemovedArchiveEntry.objects.get().purged_at is not None
    with pytest.raises(CommandError):
        call_command("removed_archive", operator=clerk.username)  # no batch right


def test_screen_and_api_permission_matrix(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User, make_staff: Callable[..., Any]
) -> None:
    child = family.atena_numbers[2]
    remove(clerk, reviewer, child)
    url = reverse("registry:removed_archive_batch")
    for button in ("list", "purge_list", "run", "purge"):
        assert_permission_triple(
            make_staff, "post", url, Permission.RESIDENT_BATCH_RUN, data={"purpose": PURPOSE, button: ""}
        )
    body = json.dumps({"purpose": PURPOSE})
    api = "/api/registry/programs/batch/removed-archive"
    for path in ("candidates", "run", "purge-candidates", "purge"):
        assert_permission_triple(
            make_staff,
            "post",
            f"{api}/{path}",
            Permission.RESIDENT_BATCH_RUN,
            data=body,
            content_type="application/json",
        )
    page = logged_in(operator).post(url, {"purpose": PURPOSE, "list": ""}).content.decode()
    assert "該当者はいません" in page  # removed today: not due for five years


def test_the_archive_key_table_has_every_column_of_the_live_one() -> None:
    """The archive search reuses ``search.search_filter``: a column added to the live key table must be
    added to the archive's too (and the batch copies it by name)."""

    def columns(model: Any) -> dict[str, str]:
        return {
            field.attname: field.get_internal_type()
            for field in model._meta.concrete_fields
            if field.attname not in {"id", "entry_id"}
        }

    assert columns(ArchivedSearchKey) == columns(ResidentSearchKey)


def test_an_archived_removal_is_still_found_as_a_returning_resident_and_comes_back_live(
    archived_child: str, clerk: User, reviewer: User, searcher: User
) -> None:
    child = archived_child
    query = ReturningQuery(name="青木 三奈", birth_date=date(1992, 9, 9))
    assert [found.atena_number for found in find_returning(actor=clerk, purpose=PURPOSE, query=query)] == [
        child
    ]
    minami = person("青木", "三奈", "アオキ", "ミナ", sex=Sex.FEMALE, born=WarekiDate("heisei", 4, 9, 9))
    unnamed = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=[minami]))
    assert "registry.possible_return" in {alert.code for alert in unnamed.alerts}
    discard_change(
        actor=reviewer, purpose=PURPOSE, change_id=unnamed.change_id, reason="再転入として入力し直す"
    )
    back = family_move_in(
        members=[minami], returning_atena_numbers=[child], move_in_date=today(), notification_date=today()
    )
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=back)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    # Back in the live database: the live search finds her, the archive no longer answers for her.
    assert archive_hits(searcher, kana_name="アオキミナ") == (LIVE, [child])
    resident = Resident.objects.get(atena_number=child)
    assert removed_archive.archived_resident_ids([resident.pk]) == set()
    # The person is in the live working set again; the rows copied before keep their mark.
    assert resident.archive_entry is None
    assert resident.current is not None
    assert resident.current.archive_entry is None
    assert resident.snapshots.filter(archive_entry__isnull=False).count() == (
        ArchivedSnapshot.objects.filter(resident=resident).count()
    )


def test_a_residence_card_number_of_an_archived_removal_still_reuses_the_atena_number(
    clerk: User, code_pool: list[str], commit: Callable[..., DraftRecorded], operator: User
) -> None:
    first = commit(record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration()))
    atena = first.atena_numbers[0]
    book = RecordBook("住民基本台帳法施行令第12条第1項", today(), "出国", "出国を確認")
    removal = ExOfficioRemoval(atena_numbers=[atena], removal_date=today(), record=book)
    commit(record_ex_officio_removal(actor=clerk, purpose=PURPOSE, removal=removal))
    assert run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6)).moved_count == 1
    again = record_foreign_registration(actor=clerk, purpose=PURPOSE, registration=registration())
    assert again.atena_numbers == (atena,)


def test_the_node_purges_by_itself_daily_as_a_housekeeping_job(archived_child: str) -> None:
    child = archived_child
    job = housekeeping._jobs["registry.purge_removed_archive"]
    assert (job.kind, job.run) == ("municipality", purge_expired_archive)
    assert purge_expired_archive(today=retention_end(today())).purged_count == 0
    assert purge_expired_archive(today=retention_end(today()) + timedelta(days=1)).purged_count == 1
    entry = AuditEntry.objects.get(action="resident:removed_archive:purge", subject_id=atena_digest(child))
    assert entry.actor_id is None


def test_the_search_screen_and_api_say_the_archive_answered(archived_child: str, searcher: User) -> None:
    child = archived_child
    client = logged_in(searcher)
    form = {"purpose": PURPOSE, "kana_name": "アオキミナ", "name_mode": "exact", "include_removed": "on"}
    body = client.post(reverse("registry:search"), form).content.decode()
    assert "除票データベース（5年を経過した除票）から検索しました" in body
    assert f'value="{child}"' in body
    criteria = {"kana_name": "アオキミナ", "include_removed": True}
    answer = client.post(
        "/api/registry/search",
        json.dumps({"purpose": PURPOSE, "criteria": criteria}),
        content_type="application/json",
    ).json()
    assert (answer["source"], [hit["atena_number"] for hit in answer["hits"]]) == ("archive", [child])


def test_a_saved_search_replayed_after_the_move_is_answered_by_the_archive(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User, searcher: User
) -> None:
    child = family.atena_numbers[2]
    remove(clerk, reviewer, child)
    assert archive_hits(searcher, kana_name="アオキミナ") == (LIVE, [child])  # saved to the history
    entry = SearchHistoryEntry.objects.filter(user=searcher).latest("pk")
    run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    replayed = replay_live_then_archive(actor=searcher, purpose=PURPOSE, entry_id=entry.pk)
    assert (replayed.source, [hit.atena_number for hit in replayed.hits]) == (ARCHIVE, [child])


def test_the_move_verifies_the_copies_then_marks_the_person_and_every_row_out_of_the_working_set(
    archived_child: str,
) -> None:
    resident = Resident.objects.get(atena_number=archived_child)
    entry = RemovedArchiveEntry.objects.get(resident=resident)
    assert resident.archive_entry == entry
    committed = resident.snapshots.filter(history_no__isnull=False)
    assert committed.count() == committed.filter(archive_entry=entry).count() > 0
    # The digest over the copies, in 履歴番号 order, is kept on the entry and named in the audit entry.
    copies = ArchivedSnapshot.objects.filter(resident=resident).order_by("history_no")
    combined = hashlib.sha256("".join(copy.digest for copy in copies).encode("ascii")).hexdigest()
    assert entry.copy_digest == combined
    moved = AuditEntry.objects.get(action="resident:removed_archive:move", subject_id=archived_child)
    assert f"marked={committed.count()}" in moved.reason
    assert f"digest={combined}" in moved.reason
    # The mark is not part of the copy: every copy still equals its (marked) live row.
    assert all(archived_row_matches(copy) for copy in copies)
    # Other readers of the household no longer list the archived member.
    head = family_head_of(resident)
    assert archived_child not in [p.atena_number for p in certificate_sources.household_of(head)]
    assert archived_child in [p.atena_number for p in certificate_sources.household_of(archived_child)]


def family_head_of(resident: Resident) -> str:
    """The 宛名番号 of the head of the household the person's last row was in."""
    assert resident.current is not None
    head = ResidentSnapshot.objects.filter(
        household_id=resident.current.household_id, is_head=True, current_of__isnull=False
    ).get()
    return head.resident.atena_number


def test_a_copy_that_does_not_match_its_live_row_leaves_the_person_wholly_unmoved(
    family: DraftRecorded, clerk: User, reviewer: User, operator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = family.atena_numbers[2]
    remove(clerk, reviewer, child)
    real_copy_rows = removed_archive._copy_rows

    def copies_a_damaged_row(resident: Resident, entry: RemovedArchiveEntry) -> int:
        copied = real_copy_rows(resident, entry)
        ArchivedSnapshot.objects.filter(entry=entry).update(row="{}")
        return copied

    monkeypatch.setattr(removed_archive, "_copy_rows", copies_a_damaged_row)
    with pytest.raises(removed_archive.ArchiveCopyMismatchError):
        run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6))
    assert not RemovedArchiveEntry.objects.exists()
    assert not ArchivedSnapshot.objects.exists()
    resident = Resident.objects.get(atena_number=child)
    assert resident.archive_entry is None
    assert not resident.snapshots.filter(archive_entry__isnull=False).exists()
    assert ResidentSearchKey.objects.filter(resident=resident).exists()
    assert not AuditEntry.objects.filter(action="resident:removed_archive:move", subject_id=child).exists()

    monkeypatch.setattr(removed_archive, "_copy_rows", real_copy_rows)
    assert run_archive_move(actor=operator, purpose=BATCH_PURPOSE, today=after_years(6)).moved_count == 1
    assert Resident.objects.get(atena_number=child).archive_entry is not None


def test_the_purge_deletes_the_persons_other_live_rows_and_leaves_the_household_alone(
    archived_child: str, clerk: User, operator: User
) -> None:
    record_removed_record_note(
        actor=clerk,
        purpose=PURPOSE,
        correction=RemovedRecordCorrection(
            atena_number=archived_child, item="given_name", correct_text="美奈", reason="戸籍謄本により確認"
        ),
    )
    memo = add_memo(actor=clerk, purpose=PURPOSE, atena_number=archived_child, text="窓口で確認済み")
    edit_memo(actor=clerk, purpose=PURPOSE, memo_id=memo, text="窓口で再確認済み")
    remark = add_remark(
        actor=clerk,
        purpose=PURPOSE,
        atena_number=archived_child,
        text="事実上の世帯主　青木　太郎",
        reason="本人の申出",
        recorded_on=today(),
    )
    withdraw_remark(actor=clerk, purpose=PURPOSE, remark_id=remark, reason="転出", withdrawn_on=today())
    resident = Resident.objects.get(atena_number=archived_child)
    head = family_head_of(resident)
    others = ResidentSnapshot.objects.exclude(resident=resident).count()
    per_person = (RemovedRecordNote, ResidentMemo, ResidentRemark)
    assert all(model.objects.filter(resident=resident).exists() for model in per_person)
    day_after = retention_end(today()) + timedelta(days=1)
    assert run_purge(actor=operator, purpose=BATCH_PURPOSE, today=day_after).purged_count == 1
    assert not any(model.objects.filter(resident=resident).exists() for model in per_person)
    assert not ResidentMemoVersion.objects.filter(memo_id=memo).exists()
    assert not ResidentSnapshot.objects.filter(resident=resident).exists()
    assert ResidentSnapshot.objects.count() == others
    assert [p.atena_number for p in certificate_sources.household_of(head)] == [
        p for p in family_atena_numbers(head) if p != archived_child
    ]


def family_atena_numbers(head: str) -> list[str]:
    """The 宛名番号 of the people whose current row is in the head's household, in member order."""
    household = Resident.objects.get(atena_number=head).current
    assert household is not None
    return list(
        Resident.objects.filter(current__household_id=household.household_id)
        .order_by("current__member_order", "atena_number")
        .values_list("atena_number", flat=True)
    )


def test_inquiry_of_an_archived_person_reads_the_archive_and_says_so(
    archived_child: str, operator: User
) -> None:
    resident = Resident.objects.get(atena_number=archived_child)
    # Were the 照会 read from the live rows, this (out-of-band) change would show.
    ResidentSnapshot.objects.filter(resident=resident).update(given_name="改変")
    record = resident_record(actor=operator, purpose=PURPOSE, atena_number=archived_child)
    assert (record.given_name, record.in_removed_archive) == ("三奈", True)
    history = resident_history(actor=operator, purpose=PURPOSE, atena_number=archived_child)
    assert [row.given_name for row in history] == ["三奈"] * ArchivedSnapshot.objects.filter(
        resident=resident
    ).count()
    page = logged_in(operator).post(
        reverse("registry:lookup"), {"purpose": PURPOSE, "atena_number": archived_child}
    )
    assert "この除票は除票データベース（消除から5年を経過した除票）に移されています" in page.content.decode()


def test_a_purge_killed_inside_a_person_deletes_nothing_of_them_and_the_next_run_finishes(
    archived_child: str, operator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    resident = Resident.objects.get(atena_number=archived_child)
    copies = ArchivedSnapshot.objects.filter(resident=resident).count()
    rows = resident.snapshots.count()
    real_delete = removed_archive_purge._delete_live_rows

    def dies_after_the_first_tables(person: Resident) -> Any:
        real_delete(person)  # everything deleted inside the transaction, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(removed_archive_purge, "_delete_live_rows", dies_after_the_first_tables)
    day_after = retention_end(today()) + timedelta(days=1)
    with pytest.raises(KeyboardInterrupt):
        run_purge(actor=operator, purpose=BATCH_PURPOSE, today=day_after)
    resident.refresh_from_db()
    assert resident.current is not None
    assert (ArchivedSnapshot.objects.filter(resident=resident).count(), resident.snapshots.count()) == (
        copies,
        rows,
    )
    assert RemovedArchiveEntry.objects.get(resident=resident).purged_at is None
    assert not AuditEntry.objects.filter(action="resident:removed_archive:purge").exists()

    monkeypatch.setattr(removed_archive_purge, "_delete_live_rows", real_delete)
    assert run_purge(actor=operator, purpose=BATCH_PURPOSE, today=day_after).purged_count == 1
    assert not resident.snapshots.exists()


def test_migration_0041_marks_the_people_archived_before_it(archived_child: str) -> None:
    migration = importlib.import_module("jumin.registry.migrations.0044_removed_archive_marks")
    resident = Resident.objects.get(atena_number=archived_child)
    entry = RemovedArchiveEntry.objects.get(resident=resident)
    marked = resident.snapshots.filter(archive_entry=entry).count()
    # As a move made before the marks existed left them.
    Resident.objects.filter(pk=resident.pk).update(archive_entry=None)
    resident.snapshots.update(archive_entry=None)
    migration.mark_archived(django_apps, None)
    resident.refresh_from_db()
    assert resident.archive_entry == entry
    assert resident.snapshots.filter(archive_entry=entry).count() == marked > 0

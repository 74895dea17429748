"""Registry → 市町村CS: every commit updates the CS file in the same transaction (system.md F13 step 1)."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.cli.federation import _load_cs_file
from jumin.domain.resident import ChangeReason
from jumin.domain.unified_characters import NOT_UNIFIED_CODE
from jumin.jukinet.cs import services as cs_services
from jumin.jukinet.cs.models import (
    CsIdentity,
    CsIdentityVersion,
    PendingNotice,
    UnlinkedUpdate,
    UpdateRejection,
)
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.jukinet.prefecture.models import IdentityRecord as PrefectureRecord
from jumin.jukinet.prefecture.models import IdentityVersion as PrefectureVersion
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from jumin.population import write_population
from jumin.registry import cs_link, numbering
from jumin.registry.cs_link import birth_date_code, cs_reason, load_all
from jumin.registry.importer import import_population
from jumin.registry.models import Change, ChangeState, JuminhyoCodePool, ResidentSnapshot
from jumin.registry.models_review import RegistryEvent
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from jumin.registry.workflows.death import Death, record_death
from jumin.registry.workflows.household_change import HouseholdChangeKind, record_household_change
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.jukinet.cs.factories import resident_code
from tests.registry.conftest import PURPOSE, current, family_move_in, person
from tests.registry.test_cancellation import cancel
from tests.registry.test_household_change import change as household_change
from tests.registry.test_move_within import NEW_ADDRESS

pytestmark = pytest.mark.django_db
__all__ = ["family"]


@pytest.fixture
def code_pool(db: None) -> list[str]:
    """Codes that pass the federation's check-digit rule, so the CS accepts every person."""
    codes = [resident_code(n) for n in range(100, 140)]
    numbering.load_code_pool(codes)
    return codes


@pytest.fixture
def family(
    clerk: User, code_pool: list[str], commit: Callable[[DraftRecorded], DraftRecorded]
) -> DraftRecorded:
    return commit(record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in()))


def cs_row(atena: str) -> CsIdentity:
    return CsIdentity.objects.select_related("current").get(resident_code=current(atena).juminhyo_code)


def pending_of(atena: str) -> int:
    return PendingNotice.objects.filter(identity=cs_row(atena)).count()


def test_a_committed_move_in_creates_one_cs_record_and_one_waiting_notice_per_person(
    family: DraftRecorded,
) -> None:
    assert CsIdentity.objects.count() == 3
    for atena in family.atena_numbers:
        row = current(atena)
        record = cs_row(atena).current
        assert (record.name, record.address, record.change_reason) == (
            f"{row.surname}\u3000{row.given_name}",
            row.address,
            "国内転入",
        )
        assert record.birth_date == birth_date_code(row.birth_date)
        assert record.request_number == f"{atena}-1"
        assert record.relationship == row.relationship
        assert pending_of(atena) == 1


def test_a_draft_never_reaches_the_cs(clerk: User, code_pool: list[str]) -> None:
    record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    assert not CsIdentity.objects.exists()
    assert not CsIdentityVersion.objects.exists()


def test_a_move_within_updates_the_address_keeps_the_history_and_queues_one_notice_each(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    draft = record_move_within(
        actor=clerk,
        purpose=PURPOSE,
        move=MoveWithin(
            movers=list(family.atena_numbers),
            address=NEW_ADDRESS,
            move_date=timezone.localdate(),
            notification_date=timezone.localdate(),
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    for atena in family.atena_numbers:
        identity = cs_row(atena)
        assert (identity.update_seq, identity.current.address, identity.current.change_reason) == (
            2,
            NEW_ADDRESS.address,
            "転居",
        )
        assert CsIdentityVersion.objects.filter(resident_code=identity.resident_code).count() == 2
        assert pending_of(atena) == 2


def test_a_death_removes_the_cs_record_and_queues_one_notice(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    wife = family.atena_numbers[1]
    died = timezone.localdate()
    draft = record_death(
        actor=clerk, purpose=PURPOSE, death=Death(atena_number=wife, death_date=died, notification_date=died)
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    identity = cs_row(wife)
    assert identity.removed
    assert identity.current.change_reason == "死亡"
    assert pending_of(wife) == 2
    assert pending_of(family.atena_numbers[0]) == 1


def test_a_head_change_updates_the_relationship_only_and_queues_no_notice(
    family: DraftRecorded, clerk: User, reviewer: User
) -> None:
    old_head, wife, child = family.atena_numbers
    draft = record_household_change(
        actor=clerk,
        purpose=PURPOSE,
        change=household_change(
            HouseholdChangeKind.HEAD_CHANGE,
            family.household_number,
            relationships={old_head: "父", wife: "母", child: "世帯主"},
        ),
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert cs_row(child).current.relationship == "世帯主"
    assert cs_row(old_head).current.relationship == "父"
    assert cs_row(old_head).current.notifiable is False
    assert PendingNotice.objects.count() == 3  # the 転入's only


def test_a_cancelled_move_in_sends_the_compensating_removal(
    family: DraftRecorded, clerk: User, commit: Callable[[DraftRecorded], DraftRecorded]
) -> None:
    commit(cancel(clerk, family.change_id))
    for atena in family.atena_numbers:
        identity = cs_row(atena)
        assert identity.removed
        assert identity.current.change_reason == "異動の取消し(減)"
        assert pending_of(atena) == 2


def test_a_person_the_cs_refuses_is_listed_as_unlinked_and_the_commit_still_succeeds(
    clerk: User, reviewer: User, db: None
) -> None:
    numbering.load_code_pool(["12345678901"])  # format only: fails the federation's check digit
    draft = record_move_in(
        actor=clerk, purpose=PURPOSE, move_in=family_move_in(members=family_move_in().members[:1])
    )
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert ResidentSnapshot.objects.get().history_no == 1
    assert not CsIdentity.objects.exists()
    unlinked = UnlinkedUpdate.objects.get()
    assert (unlinked.request_number, unlinked.field) == (f"{draft.atena_numbers[0]}-1", "resident_code")


def test_a_name_outside_the_unified_characters_is_held_as_unlinked_with_its_remedy(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    # 住基ネット統一文字 (std 7.1.1.1-e): never sent changed; the commit still succeeds.
    move_in = family_move_in(members=[person(surname="\U00020bb7田")])
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in)
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert current(draft.atena_numbers[0]).surname == "\U00020bb7田"
    assert not CsIdentity.objects.exists()
    unlinked = UnlinkedUpdate.objects.get()
    assert (unlinked.reason_code, unlinked.field) == (NOT_UNIFIED_CODE, "name")


def test_registry_reasons_map_to_cs_reasons() -> None:
    assert cs_reason(ChangeReason.DOMESTIC_MOVE_IN) == "国内転入"
    assert cs_reason(ChangeReason.NATURALISATION) == "職権記載"
    assert cs_reason(ChangeReason.FORMER_SURNAME_CHANGE) == "旧氏の記載等"
    assert cs_reason(ChangeReason.HOUSEHOLD_CHANGE) == "世帯変更"
    assert cs_reason("転出予定日到来") == "転出確定"


def test_unknown_birth_date_parts_become_zeros() -> None:
    assert birth_date_code({"kind": "gregorian", "date": "1980-04-01"}) == "19800401"


def test_the_initial_load_builds_the_cs_file_without_notices(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    batch = make_clerk("batch01", Permission.RESIDENT_BATCH_RUN)
    before = PendingNotice.objects.count()
    taken, unlinked = load_all(actor=batch, purpose="registry_batch", notify=False)
    assert (taken, unlinked) == (3, 0)
    assert PendingNotice.objects.count() == before
    for atena in family.atena_numbers:
        assert cs_row(atena).update_seq == 1  # already this snapshot at the CS: no new version
    assert CsIdentityVersion.objects.count() == 3
    entry = AuditEntry.objects.get(action="cs:identity:load")
    assert (entry.purpose, entry.result_count) == ("registry_batch", 0)
    assert "unchanged 3" in entry.reason


def test_a_second_load_writes_only_the_people_whose_record_changed_with_one_audit_entry_per_batch(
    family: DraftRecorded, make_clerk: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = make_clerk("batch01", Permission.RESIDENT_BATCH_RUN)
    first, *others = family.atena_numbers
    # The CS holds another 依頼管理番号 for the first person (e.g. written before a registry change).
    CsIdentityVersion.objects.filter(resident_code=current(first).juminhyo_code).update(request_number="x-0")
    monkeypatch.setattr(cs_link, "LOAD_BATCH", 2)
    taken, unlinked = load_all(actor=batch, purpose="registry_batch", notify=False)
    assert (taken, unlinked) == (3, 0)
    assert cs_row(first).update_seq == 2  # a record the CS holds from elsewhere is taken again
    assert [cs_row(atena).update_seq for atena in others] == [1] * len(others)
    entries = AuditEntry.objects.filter(action="cs:identity:load").order_by("pk")
    assert [entry.result_count for entry in entries] == [1, 0]  # one entry per batch of two, with counts
    assert all(entry.purpose == "registry_batch" for entry in entries)
    assert entries[0].reason.startswith("batch 1 loaded 1 unchanged 1")


def test_fetch_resident_codes_fills_the_pool_through_the_cs(
    federation: TestFederation, make_clerk: Callable[..., User]
) -> None:
    make_clerk("batch02", Permission.RESIDENT_BATCH_RUN)
    with federation.acting_as(NodeRef("municipality", "422029")):
        call_command("fetch_resident_codes", "--count", "7", "--operator", "batch02", stdout=StringIO())
    assert JuminhyoCodePool.objects.filter(taken_at__isnull=True).count() == 7


def test_with_the_prefecture_as_peer_a_commit_queues_one_notice_per_person_that_reaches_it(
    federation: TestFederation, clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    with federation.acting_as(NodeRef("municipality", "422029")):
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
        assert not OutboxMessage.objects.filter(
            type="jukinet.identity_update"
        ).exists()  # a draft sends nothing
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    queued = OutboxMessage.objects.filter(type="jukinet.identity_update", receiver_code="420000")
    assert queued.count() == 3
    assert not PendingNotice.objects.exists()
    federation.pump()
    assert not UpdateRejection.objects.exists()
    assert OutboxMessage.objects.filter(type="jukinet.identity_update", receiver_code="00").count() == 3


def test_the_initial_load_announces_new_people_as_初期登録_and_reaches_the_national_node(
    federation: TestFederation, make_clerk: Callable[..., User], tmp_path: Path
) -> None:
    loader = make_clerk("loader01")
    batch = make_clerk("batch03", Permission.RESIDENT_BATCH_RUN)
    population = tmp_path / "population.jsonl"
    with population.open("w", encoding="utf-8") as out:
        write_population(out, 30, "422029", seed=3)
    with federation.acting_as(NodeRef("municipality", "422029")):
        import_population(population, actor=loader)  # the bulk import does not feed the CS itself
        assert not CsIdentity.objects.exists()
        load_all(actor=batch, purpose="registry_batch", notify=True)
    current = CsIdentity.objects.filter(removed=False).count()
    assert current > 0
    federation.pump()
    assert not UpdateRejection.objects.exists()
    reasons = set(PrefectureVersion.objects.values_list("change_reason", flat=True))
    assert reasons == {"初期登録"}
    assert PrefectureRecord.objects.count() == current
    assert NationalRecord.objects.count() == current


def test_the_demo_node_set_up_loads_the_cs_file_only_while_it_holds_nobody(
    clerk: User, reviewer: User, code_pool: list[str], make_clerk: Callable[..., User]
) -> None:
    make_clerk("batch", Permission.RESIDENT_BATCH_RUN)
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    versions = CsIdentityVersion.objects.count()
    CsIdentityVersion.objects.update(request_number="x-0")  # a load would now take everyone again
    _load_cs_file()  # a restart: the CS file already follows every commit
    assert CsIdentityVersion.objects.count() == versions
    assert not AuditEntry.objects.filter(action="cs:identity:load").exists()
    PendingNotice.objects.all().delete()
    CsIdentity.objects.all().delete()
    CsIdentityVersion.objects.all().delete()
    _load_cs_file()  # the first start: the initial load
    assert CsIdentity.objects.count() == 3
    assert AuditEntry.objects.filter(action="cs:identity:load").count() == 1


def test_the_cs_update_of_a_commit_takes_no_savepoint_of_its_own(
    clerk: User, reviewer: User, code_pool: list[str]
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())
    with CaptureQueriesContext(connection) as committed:
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    savepoints = [q["sql"] for q in committed.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) == 1  # the commit's own (the test runs inside a transaction), none for the CS
    assert CsIdentity.objects.count() == 3


def test_an_error_in_the_cs_update_rolls_the_whole_commit_back(
    clerk: User, reviewer: User, code_pool: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=family_move_in())

    def broken_peers() -> Callable[[str], bool]:
        raise RuntimeError("CS peers unreadable")  # after the CS versions were inserted

    monkeypatch.setattr(cs_services, "_prefecture_peers", broken_peers)
    with pytest.raises(RuntimeError):
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert Change.objects.get(pk=draft.change_id).state == ChangeState.DRAFT
    assert (CsIdentityVersion.objects.count(), CsIdentity.objects.count()) == (0, 0)
    assert not RegistryEvent.objects.filter(change_id=draft.change_id).exists()
    assert not ResidentSnapshot.objects.filter(change_id=draft.change_id, history_no__isnull=False).exists()
    # Nothing was left half done: the same draft commits once the CS reads its peers again.
    monkeypatch.undo()
    commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    assert CsIdentity.objects.count() == 3

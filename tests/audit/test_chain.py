import pytest
from django.db import DatabaseError, connection, transaction

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.chain import (
    CHAINED_FIELDS,
    SEPARATOR,
    canonical_tail,
    canonical_text,
    chain_hash,
    entry_hash,
)
from jumin.audit.models import AuditChainHead, AuditEntry
from jumin.audit.selectors import run_in_process, verify_chain
from jumin.audit.services import record_event
from tests.audit.conftest import drop_append_only_guards

pytestmark = pytest.mark.django_db


def _record(n: int) -> None:
    for i in range(n):
        record_event(
            actor=None,
            action=AuditAction.STAFF_LOGIN_FAIL,
            outcome=Outcome.REFUSED,
            outcome_reason=f"attempt-{i}",
        )


def _drop_append_only_guard() -> None:
    """Simulate an attacker with DDL rights: the chain must still reveal the change."""
    drop_append_only_guards()


def test_entries_get_gapless_sequence_numbers_linked_by_hash() -> None:
    _record(3)
    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[1].prev_hash == entries[0].entry_hash
    assert entries[2].prev_hash == entries[1].entry_hash
    assert len({e.entry_hash for e in entries}) == 3


def test_verify_reports_entry_count_when_chain_is_intact() -> None:
    _record(5)
    verdict = verify_chain()
    assert verdict.intact
    assert verdict.entries == 5


def test_database_refuses_update_of_an_audit_entry() -> None:
    _record(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).update(outcome="done")


def test_database_refuses_delete_of_an_audit_entry() -> None:
    _record(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=1).delete()
    assert AuditEntry.objects.count() == 1


def test_verify_finds_the_first_changed_entry() -> None:
    _record(5)
    _drop_append_only_guard()
    AuditEntry.objects.filter(seq=3).update(outcome_reason="forged")
    verdict = verify_chain()
    assert verdict.first_broken_seq == 3
    assert verdict.entries == 2


def test_verify_finds_a_removed_entry() -> None:
    _record(5)
    _drop_append_only_guard()
    AuditEntry.objects.filter(seq=4).delete()
    assert verify_chain().first_broken_seq == 4


def test_verify_finds_an_inserted_entry_even_with_a_self_consistent_hash() -> None:
    _record(3)
    _drop_append_only_guard()
    AuditEntry.objects.filter(seq=3).update(seq=4)
    second = AuditEntry.objects.get(seq=2)
    forged = AuditEntry.objects.get(seq=4)
    forged.pk = None
    forged.seq = 3
    forged.prev_hash = second.entry_hash
    forged.outcome_reason = "forged"
    fields = {name: getattr(forged, name) for name in CHAINED_FIELDS}
    forged.entry_hash = entry_hash(fields, second.entry_hash)
    forged.save()
    # The forged entry checks out on its own; its successor's link to the old entry 3 does not.
    assert verify_chain().first_broken_seq == 4


@pytest.mark.parametrize("workers", [1, 3])
def test_verify_finds_a_changed_entry_whose_own_hash_was_recomputed(workers: int) -> None:
    # Entry 3 is changed and given a matching hash of its own; only its successor's stored link to
    # the old hash reveals it (with three range tasks, entry 3 ends the first range).
    _record(9)
    _drop_append_only_guard()
    third = AuditEntry.objects.get(seq=3)
    third.outcome_reason = "forged"
    digest = entry_hash({name: getattr(third, name) for name in CHAINED_FIELDS}, third.prev_hash)
    AuditEntry.objects.filter(seq=3).update(outcome_reason="forged", entry_hash=digest)
    verdict = verify_chain(workers=workers, run=run_in_process)
    assert (verdict.first_broken_seq, verdict.problem) == (4, "entry")


def test_python_and_sql_canonical_forms_agree_for_awkward_text() -> None:
    record_event(
        actor=None,
        action=AuditAction.STAFF_LOGIN_FAIL,
        reason="区切り|文字:と 12:長さ\n改行 🀄 斉\U000e0103",
        outcome=Outcome.REFUSED,
    )
    assert verify_chain().intact


def test_record_event_refuses_nul_characters() -> None:
    with pytest.raises(ValueError, match="NUL"):
        record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, reason="a\x00b")
    assert AuditEntry.objects.count() == 0


def test_the_canonical_text_is_the_seq_followed_by_the_tail() -> None:
    record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, outcome=Outcome.REFUSED, reason="r")
    entry = AuditEntry.objects.get(seq=1)
    fields = {name: getattr(entry, name) for name in CHAINED_FIELDS}
    assert canonical_text(fields) == "1" + canonical_tail(fields)
    assert canonical_tail(fields).startswith(SEPARATOR + str(entry.created_us) + SEPARATOR)
    assert entry.entry_hash == chain_hash(entry.prev_hash, canonical_text(fields))


def test_an_append_whose_database_hash_differs_from_the_chains_fails_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL hashes in SQL; Python recomputes before anything else is written (here: a tail that
    the database hashes differently from the entry Python would chain)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite hashes in Python only")
    from jumin.audit import services

    monkeypatch.setattr(services, "canonical_tail", lambda fields: SEPARATOR + "forged")
    with pytest.raises(RuntimeError, match="differs"), transaction.atomic():
        record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, outcome=Outcome.REFUSED, reason="r")
    assert not AuditEntry.objects.exists()
    assert AuditChainHead.objects.get(id=1).last_seq == 0

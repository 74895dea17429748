"""Signed checkpoints: rewrites and truncations by someone with database access are detected (C-50)."""

import time
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jumin.audit import signing
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.chain import CHAINED_FIELDS, GENESIS_HASH, entry_hash
from jumin.audit.models import AuditChainHead, AuditCheckpoint, AuditEntry
from jumin.audit.selectors import RangeResult, export_checkpoints, run_in_process, verify_chain
from jumin.audit.services import record_event, record_events, write_checkpoint_now
from tests.audit.conftest import drop_append_only_guards

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _every_three_entries(settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUMIN_AUDIT_CHECKPOINT_ENTRIES = 3


def _record(n: int) -> None:
    for i in range(n):
        record_event(actor=None, action=AuditAction.STAFF_LOGIN_FAIL, outcome=Outcome.REFUSED, reason=f"r{i}")


def _rewrite_from(seq: int) -> None:
    """Recompute a self-consistent chain from `seq` on, with one field changed (an attacker's rewrite)."""
    drop_append_only_guards()
    prev = GENESIS_HASH if seq == 1 else AuditEntry.objects.get(seq=seq - 1).entry_hash
    for entry in AuditEntry.objects.filter(seq__gte=seq).order_by("seq"):
        entry.reason = "forged"
        fields = {name: getattr(entry, name) for name in CHAINED_FIELDS}
        digest = entry_hash(fields, prev)
        AuditEntry.objects.filter(pk=entry.pk).update(reason="forged", prev_hash=prev, entry_hash=digest)
        prev = digest


def test_a_checkpoint_is_signed_every_n_entries() -> None:
    _record(7)
    assert list(AuditCheckpoint.objects.order_by("seq").values_list("seq", flat=True)) == [3, 6]
    checkpoint = AuditCheckpoint.objects.get(seq=6)
    assert checkpoint.entry_hash == AuditEntry.objects.get(seq=6).entry_hash
    verdict = verify_chain()
    assert verdict.intact
    assert verdict.entries == 7
    assert verdict.checkpoints == 2


def test_a_checkpoint_is_signed_when_m_minutes_have_passed(settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUMIN_AUDIT_CHECKPOINT_ENTRIES = 1000
    settings.JUMIN_AUDIT_CHECKPOINT_MINUTES = 10
    _record(1)
    assert not AuditCheckpoint.objects.exists()
    eleven_minutes_ago = time.time_ns() // 1000 - 11 * 60_000_000
    AuditChainHead.objects.filter(id=1).update(last_checkpoint_us=eleven_minutes_ago)
    _record(1)
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [2]


def test_checkpoint_now_signs_the_head_once() -> None:
    _record(4)
    assert write_checkpoint_now() is not None
    assert write_checkpoint_now() is None
    assert AuditCheckpoint.objects.filter(seq=4).exists()
    lines = export_checkpoints()
    assert len(lines) == 2
    assert '"seq": 4' in lines[1]


def test_verify_finds_a_truncated_tail_after_a_checkpoint() -> None:
    _record(6)
    drop_append_only_guards()
    AuditEntry.objects.filter(seq__gte=5).delete()
    AuditChainHead.objects.filter(id=1).update(last_seq=4)
    verdict = verify_chain()
    assert verdict.first_broken_seq == 5
    assert verdict.problem == "truncated"


def test_verify_finds_a_rewrite_of_the_whole_chain() -> None:
    _record(7)
    _rewrite_from(1)
    verdict = verify_chain()
    assert verdict.first_broken_seq == 1
    assert verdict.problem == "checkpoint_mismatch"


def test_verify_reports_the_first_entry_after_the_last_good_checkpoint_for_a_partial_rewrite() -> None:
    _record(7)
    _rewrite_from(5)
    verdict = verify_chain()
    assert verdict.first_broken_seq == 4
    assert verdict.problem == "checkpoint_mismatch"


def test_verify_finds_a_forged_checkpoint_signature() -> None:
    _record(6)
    drop_append_only_guards()
    other = Ed25519PrivateKey.generate()
    checkpoint = AuditCheckpoint.objects.get(seq=3)
    message = signing.checkpoint_message(
        node=checkpoint.node, seq=3, entry_hash=checkpoint.entry_hash, created_us=checkpoint.created_us
    )
    AuditCheckpoint.objects.filter(seq=3).update(signature=other.sign(message).hex())
    verdict = verify_chain()
    assert verdict.first_broken_seq == 3
    assert verdict.problem == "checkpoint_signature"


def _forge_signature(seq: int) -> None:
    drop_append_only_guards()
    other = Ed25519PrivateKey.generate()
    checkpoint = AuditCheckpoint.objects.get(seq=seq)
    message = signing.checkpoint_message(
        node=checkpoint.node, seq=seq, entry_hash=checkpoint.entry_hash, created_us=checkpoint.created_us
    )
    AuditCheckpoint.objects.filter(seq=seq).update(signature=other.sign(message).hex())


@pytest.mark.parametrize("workers", [1, 3])
def test_each_range_task_checks_the_signatures_of_its_own_checkpoints(workers: int) -> None:
    _record(9)  # checkpoints at 3, 6, 9; with three tasks the forged one is in the middle range
    _forge_signature(6)
    verdict = verify_chain(workers=workers, run=run_in_process)
    assert (verdict.first_broken_seq, verdict.problem) == (6, "checkpoint_signature")
    assert verdict.checkpoints == 3


def _tasks_vouching_for_no_signature(tasks: list[tuple[str, int, int | None, int]]) -> list[RangeResult]:
    return [replace(result, signed=frozenset()) for result in run_in_process(tasks)]


def test_a_checkpoint_no_range_task_vouched_for_is_verified_by_the_parent() -> None:
    _record(9)
    assert verify_chain(workers=3, run=_tasks_vouching_for_no_signature).intact
    _forge_signature(9)
    verdict = verify_chain(workers=3, run=_tasks_vouching_for_no_signature)
    assert (verdict.first_broken_seq, verdict.problem) == (9, "checkpoint_signature")


def test_verify_refuses_a_checkpoint_signed_by_another_key() -> None:
    _record(3)
    drop_append_only_guards()
    other = Ed25519PrivateKey.generate()
    checkpoint = AuditCheckpoint.objects.get(seq=3)
    message = signing.checkpoint_message(
        node=checkpoint.node, seq=3, entry_hash=checkpoint.entry_hash, created_us=checkpoint.created_us
    )
    AuditCheckpoint.objects.filter(seq=3).update(
        key_id=signing.key_id_of(other.public_key()), signature=other.sign(message).hex()
    )
    assert verify_chain().problem == "checkpoint_signature"


def test_a_missing_key_is_generated_in_demo_mode_only(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ImproperlyConfigured

    settings.JUMIN_AUDIT_SIGNING_KEY = str(tmp_path / "keys" / "fresh.pem")
    settings.JUMIN_DEMO = False
    with pytest.raises(ImproperlyConfigured):
        signing.private_key()
    settings.JUMIN_DEMO = True
    key = signing.private_key()
    pem = (tmp_path / "keys" / "fresh.pem").read_bytes()
    loaded = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(loaded, Ed25519PrivateKey)
    assert signing.key_id_of(loaded.public_key()) == signing.key_id_of(key.public_key())
    assert (tmp_path / "keys" / "fresh.pem").stat().st_mode & 0o077 == 0


def test_database_refuses_to_delete_a_checkpoint() -> None:
    from django.db import DatabaseError, transaction

    _record(3)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditCheckpoint.objects.all().delete()


def test_record_events_writes_the_entries_record_event_would_one_by_one() -> None:
    """The batched append (a received batch of node messages) keeps the chain, seqs and checkpoints."""
    _record(2)
    record_events(
        [
            {
                "actor": None,
                "action": AuditAction.STAFF_LOGIN_FAIL,
                "outcome": Outcome.REFUSED,
                "reason": f"b{i}",
            }
            for i in range(5)
        ]
    )
    record_events([])
    _record(1)
    entries = list(AuditEntry.objects.order_by("seq").values_list("seq", "reason", "prev_hash", "entry_hash"))
    assert [(seq, reason) for seq, reason, _, _ in entries] == [
        (1, "r0"), (2, "r1"), (3, "b0"), (4, "b1"), (5, "b2"), (6, "b3"), (7, "b4"), (8, "r0"),
    ]  # fmt: skip
    assert all(entries[i][2] == entries[i - 1][3] for i in range(1, len(entries)))
    assert list(AuditCheckpoint.objects.order_by("seq").values_list("seq", flat=True)) == [3, 6]
    assert AuditChainHead.objects.get(id=1).last_hash == entries[-1][3]
    verdict = verify_chain()
    assert verdict.intact
    assert (verdict.entries, verdict.checkpoints) == (8, 2)


def test_a_checkpoint_is_due_at_the_nth_entry_even_as_the_first_entry(settings) -> None:  # type: ignore[no-untyped-def]
    """Before the first entry no checkpoint time exists; the N-entries rule still applies (both engines)."""
    settings.JUMIN_AUDIT_CHECKPOINT_ENTRIES = 1
    _record(1)
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [1]
    head = AuditChainHead.objects.get(id=1)
    assert head.checkpoint_due is True
    assert head.last_checkpoint_us == AuditEntry.objects.get(seq=1).created_us


def test_the_head_keeps_the_last_entrys_link_and_checkpoint_state() -> None:
    _record(4)  # checkpoints every three entries (fixture): due at 3, not at 4
    head = AuditChainHead.objects.get(id=1)
    last = AuditEntry.objects.get(seq=4)
    assert (head.last_seq, head.last_hash, head.prev_hash) == (4, last.entry_hash, last.prev_hash)
    assert head.checkpoint_due is False
    assert head.last_checkpoint_us == AuditEntry.objects.get(seq=3).created_us

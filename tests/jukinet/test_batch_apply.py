"""The set-based apply of a received batch of 本人確認情報 updates (prefecture and national, P5).

A batch goes through the real ``receive_batch`` (signatures, order, inbox, the types' ``apply_many``)
and must leave exactly what one message after another leaves: order within a person, refusals in the
middle, de-duplication, and a failing batch apply rolled back and applied one by one.
"""

from __future__ import annotations

from typing import Any

import pytest

from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.audit.selectors import verify_chain
from jumin.audit.services import record_event
from jumin.crypto.keyring import load_keyring, write_keyring
from jumin.jukinet import routing
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE, IDENTITY_UPDATE_REJECTED
from jumin.jukinet.national.models import (
    IdentityHistory,
    IndividualNumberRegister,
    ResidentCode,
    UpdateRefusal,
)
from jumin.jukinet.national.models import IdentityRecord as NationalRecord
from jumin.jukinet.prefecture import updates as prefecture_updates
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion, RefusedUpdate
from jumin.messaging import services
from jumin.messaging.envelope import Envelope, NodeRef, decode_verified, new_envelope, sign_envelope
from jumin.messaging.models import InboxMessage, OutboxMessage
from jumin.messaging.testing import TestFederation
from tests.jukinet.prefecture.helpers import NAGASAKI, NATIONAL, PREFECTURE, SASEBO, notice
from tests.jukinet.synthetic import individual_number, resident_code

pytestmark = pytest.mark.django_db


def token(
    fed: TestFederation, sender: NodeRef, receiver: NodeRef, payload: dict[str, Any], subject: str, seq: int
) -> bytes:
    envelope = new_envelope(
        type=IDENTITY_UPDATE, sender=sender, receiver=receiver, subject=subject, seq=seq, payload=payload
    )
    return sign_envelope(envelope, fed.node(sender).signing_key).encode("ascii")


def receive_batch(fed: TestFederation, sender: NodeRef, receiver: NodeRef, tokens: list[bytes]) -> list[str]:
    with fed.acting_as(receiver):
        return [receipt.status for receipt in services.receive_batch(fed.node(receiver), sender, tokens)]


def entries(action: AuditAction) -> int:
    return AuditEntry.objects.filter(action=action).count()


def forwards() -> list[tuple[str, int]]:
    rows = OutboxMessage.objects.filter(type=IDENTITY_UPDATE, receiver_kind=NATIONAL.kind).order_by("pk")
    return [(row.subject_key, row.seq) for row in rows]


def test_a_prefecture_batch_keeps_order_refuses_in_the_middle_and_forwards_each(
    federation: TestFederation,
) -> None:
    first, other, last = notice(), notice(), notice()
    moved = {**first, "change_reason": "転居", "address": "長崎県佐世保市試験町九丁目9番地", "update_seq": 2}
    wrong = notice(municipality_code=NAGASAKI.code)  # 佐世保市 sending a 長崎市 person: refused
    tokens = [
        token(federation, SASEBO, PREFECTURE, first, "cs-a", 1),
        token(federation, SASEBO, PREFECTURE, other, "cs-b", 1),
        token(federation, SASEBO, PREFECTURE, wrong, "cs-c", 1),
        token(federation, SASEBO, PREFECTURE, moved, "cs-a", 2),
        token(federation, SASEBO, PREFECTURE, last, "cs-d", 1),
    ]

    assert receive_batch(federation, SASEBO, PREFECTURE, tokens) == ["applied"] * 5

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.municipality_mismatch"
    assert IdentityRecord.objects.count() == 3
    record = IdentityRecord.objects.get(resident_code=first["resident_code"])
    assert (record.update_seq, record.address) == (2, moved["address"])
    versions = list(IdentityVersion.objects.filter(record=record).order_by("pk"))
    assert [(v.update_seq, v.superseded_at is not None) for v in versions] == [(1, True), (2, False)]
    assert all(version.forward_message_id for version in IdentityVersion.objects.all())
    a, b, d = (IdentityRecord.objects.get(resident_code=p["resident_code"]).pk for p in (first, other, last))
    assert forwards() == [(f"pf-{a}", 1), (f"pf-{b}", 1), (f"pf-{a}", 2), (f"pf-{d}", 1)]
    assert OutboxMessage.objects.filter(type=IDENTITY_UPDATE_REJECTED, subject_key="cs-c").count() == 1
    assert entries(AuditAction.PREFECTURE_IDENTITY_UPDATE) == 4
    assert entries(AuditAction.NODE_MESSAGE_APPLY) == 5
    assert verify_chain().intact


def test_a_prefecture_batch_applied_again_changes_nothing(federation: TestFederation) -> None:
    tokens = [token(federation, SASEBO, PREFECTURE, notice(), f"cs-{n}", 1) for n in range(3)]
    receive_batch(federation, SASEBO, PREFECTURE, tokens)
    envelopes = [decode_verified(t.decode("ascii")) for t in tokens]
    before = (IdentityVersion.objects.count(), len(forwards()), AuditEntry.objects.count())

    with federation.acting_as(PREFECTURE):
        prefecture_updates.apply_identity_updates(envelopes)  # a restored backup re-applying

    assert (IdentityVersion.objects.count(), len(forwards()), AuditEntry.objects.count()) == before
    assert receive_batch(federation, SASEBO, PREFECTURE, tokens) == ["duplicate"] * 3


def test_a_failing_batch_apply_is_rolled_back_and_applied_one_by_one(
    federation: TestFederation, monkeypatch: pytest.MonkeyPatch
) -> None:
    def store_then_fail(envelopes: list[Envelope]) -> None:
        prefecture_updates.apply_identity_updates(envelopes[:2])
        record_event(actor=None, action=AuditAction.PREFECTURE_IDENTITY_UPDATE, subject_id="half-way")
        raise RuntimeError("the database went away half way")

    monkeypatch.setitem(routing._batch_appliers, (IDENTITY_UPDATE, "prefecture"), store_then_fail)
    people = [notice() for _ in range(4)]
    tokens = [token(federation, SASEBO, PREFECTURE, p, f"cs-{n}", 1) for n, p in enumerate(people)]

    assert receive_batch(federation, SASEBO, PREFECTURE, tokens) == ["applied"] * 4

    # Stored exactly once each: nothing of the failed batch apply stayed, nothing was lost.
    assert not AuditEntry.objects.filter(subject_id="half-way").exists()
    assert IdentityVersion.objects.count() == 4
    assert len(forwards()) == 4
    assert entries(AuditAction.PREFECTURE_IDENTITY_UPDATE) == 4
    assert entries(AuditAction.NODE_MESSAGE_APPLY) == 4
    assert verify_chain().intact


def test_after_a_failed_batch_apply_a_failing_message_holds_back_only_its_person(
    federation: TestFederation, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = notice()
    single = prefecture_updates.apply_identity_update

    def fail_for_one(envelope: Envelope) -> None:
        if envelope.payload["resident_code"] == stuck["resident_code"]:
            raise RuntimeError("a passing failure")
        single(envelope)

    def always_fail(envelopes: list[Envelope]) -> None:
        raise RuntimeError("batch apply unavailable")

    monkeypatch.setitem(routing._batch_appliers, (IDENTITY_UPDATE, "prefecture"), always_fail)
    monkeypatch.setitem(routing._appliers, (IDENTITY_UPDATE, "prefecture"), fail_for_one)
    later = {**stuck, "change_reason": "転居", "address": "長崎県佐世保市試験町八丁目8番地", "update_seq": 2}
    tokens = [
        token(federation, SASEBO, PREFECTURE, notice(), "cs-x", 1),
        token(federation, SASEBO, PREFECTURE, stuck, "cs-stuck", 1),
        token(federation, SASEBO, PREFECTURE, later, "cs-stuck", 2),
        token(federation, SASEBO, PREFECTURE, notice(), "cs-y", 1),
    ]

    assert receive_batch(federation, SASEBO, PREFECTURE, tokens) == ["applied", "stored", "stored", "applied"]

    assert IdentityVersion.objects.count() == 2
    held = InboxMessage.objects.filter(subject_key="cs-stuck").order_by("seq")
    assert [(row.seq, row.status, row.attempts) for row in held] == [(1, "held", 1), (2, "held", 0)]
    monkeypatch.setitem(routing._appliers, (IDENTITY_UPDATE, "prefecture"), single)
    with federation.acting_as(PREFECTURE):
        assert services.retry_held(node=federation.node(PREFECTURE)) == 2
    assert IdentityRecord.objects.get(resident_code=stuck["resident_code"]).update_seq == 2


def test_a_national_batch_sees_the_notices_before_it_in_the_same_batch(federation: TestFederation) -> None:
    number = individual_number()
    first = notice(individual_number=number)
    same_number = notice(individual_number=number)  # another person: refused as a number conflict
    moved = {**first, "change_reason": "転居", "address": "長崎県佐世保市試験町七丁目7番地", "update_seq": 2}
    renumbered = {
        **moved,
        "individual_number": individual_number(),
        "change_reason": "職権修正",
        "update_seq": 3,
    }
    tokens = [
        token(federation, PREFECTURE, NATIONAL, first, "pf-1", 1),
        token(federation, PREFECTURE, NATIONAL, same_number, "pf-2", 1),
        token(federation, PREFECTURE, NATIONAL, moved, "pf-1", 2),
        token(federation, PREFECTURE, NATIONAL, renumbered, "pf-1", 3),
    ]

    assert receive_batch(federation, PREFECTURE, NATIONAL, tokens) == ["applied"] * 4

    assert UpdateRefusal.objects.get().code == "jukinet.national.number_conflict"
    assert OutboxMessage.objects.filter(type=IDENTITY_UPDATE_REJECTED, subject_key="pf-2").count() == 1
    record = NationalRecord.objects.get()
    assert (record.resident_code, record.update_seq, record.address) == (
        first["resident_code"],
        3,
        moved["address"],
    )
    history = IdentityHistory.objects.filter(record=record).order_by("pk")
    assert [(h.update_seq, h.retention_flag) for h in history] == [(1, True), (2, True), (3, False)]
    numbers = IndividualNumberRegister.objects.filter(resident_code=first["resident_code"]).order_by("pk")
    assert [row.status for row in numbers] == ["abolished", "current"]
    assert list(ResidentCode.objects.values_list("code", flat=True)) == [first["resident_code"]]
    assert entries(AuditAction.NATIONAL_IDENTITY_UPDATE) == 4  # three stored, one refused
    assert verify_chain().intact


def test_the_chain_end_to_end_in_batches_matches_one_by_one(federation: TestFederation) -> None:
    """The same updates through batches and through single receives leave the same national records."""
    people = [notice(resident_code=resident_code()) for _ in range(3)]
    tokens = [token(federation, SASEBO, PREFECTURE, p, f"cs-{n}", 1) for n, p in enumerate(people)]
    receive_batch(federation, SASEBO, PREFECTURE, tokens)
    federation.pump()  # the forwards, one message at a time

    stored = NationalRecord.objects.order_by("resident_code").values_list("resident_code", "notice")
    assert [code for code, _ in stored] == sorted(p["resident_code"] for p in people)
    expected = {p["resident_code"]: {k: v for k, v in p.items() if k != "individual_number"} for p in people}
    assert all(notice_ == expected[code] for code, notice_ in stored)


def test_a_batch_with_a_resident_code_change_rekeys_the_same_person_at_both_nodes(
    federation: TestFederation,
) -> None:
    """A 住民票コードの変更 in a batch goes one by one, so the stored person is re-keyed first (Flow 12)."""
    first = notice()
    new_code = resident_code()
    changed = {
        **first,
        "resident_code": new_code,
        "former_resident_code": first["resident_code"],
        "change_reason": "住民票コードの変更",
        "update_seq": 2,
    }
    tokens = [
        token(federation, SASEBO, PREFECTURE, first, "cs-a", 1),
        token(federation, SASEBO, PREFECTURE, changed, "cs-a", 2),
    ]
    assert receive_batch(federation, SASEBO, PREFECTURE, tokens) == ["applied"] * 2
    record = IdentityRecord.objects.get()
    assert record.resident_code == new_code
    assert IdentityVersion.objects.filter(record_id=record.pk).count() == 2
    assert not RefusedUpdate.objects.exists()

    tokens = [
        token(federation, PREFECTURE, NATIONAL, first, "pf-x", 1),
        token(federation, PREFECTURE, NATIONAL, changed, "pf-x", 2),
    ]
    assert receive_batch(federation, PREFECTURE, NATIONAL, tokens) == ["applied"] * 2
    assert NationalRecord.objects.get().resident_code == new_code
    assert not UpdateRefusal.objects.exists()


def test_a_keyring_rotated_between_two_batches_encrypts_the_second_batch(
    federation: TestFederation, settings: Any, tmp_path: Any
) -> None:
    """A batch checks the keyring file once (``one_keyring``); the next batch sees a rotation made by
    another process meanwhile, and the first batch's numbers still decrypt."""
    path = tmp_path / "keys" / "individual-number-keyring.json"
    settings.JUMIN_CRYPTO_KEYRING = path
    first = [notice() for _ in range(2)]
    receive_batch(
        federation,
        SASEBO,
        PREFECTURE,
        [token(federation, SASEBO, PREFECTURE, p, f"cs-{n}", 1) for n, p in enumerate(first)],
    )
    old_id = load_keyring(path).current_id
    write_keyring(path, load_keyring(path).with_new_key("dk-rotated"))  # as `rotate_…_keys` elsewhere
    second = [notice() for _ in range(2)]
    tokens = [token(federation, SASEBO, PREFECTURE, p, f"cs-{n + 2}", 1) for n, p in enumerate(second)]

    assert receive_batch(federation, SASEBO, PREFECTURE, tokens) == ["applied"] * 2

    def key_ids(people: list[dict[str, Any]]) -> set[str]:
        codes = [p["resident_code"] for p in people]
        versions = IdentityVersion.objects.filter(resident_code__in=codes)
        return {version.individual_number.key_id for version in versions}

    assert key_ids(first) == {old_id}
    assert key_ids(second) == {"dk-rotated"}
    version = IdentityVersion.objects.get(resident_code=first[0]["resident_code"])
    assert version.get_individual_number() == first[0]["individual_number"]


def test_a_batch_with_one_bad_signature_refuses_that_message_and_stores_the_others(
    federation: TestFederation,
) -> None:
    people = [notice() for _ in range(3)]
    tokens = [token(federation, SASEBO, PREFECTURE, p, f"cs-{n}", 1) for n, p in enumerate(people)]
    head, payload, signature = tokens[1].split(b".")
    tokens[1] = b".".join(
        (head, payload, signature[:-4] + (b"AAAA" if signature[-4:] != b"AAAA" else b"BBBB"))
    )

    assert receive_batch(federation, SASEBO, PREFECTURE, tokens) == ["applied", "refused", "applied"]

    stored = set(IdentityRecord.objects.values_list("resident_code", flat=True))
    assert stored == {people[0]["resident_code"], people[2]["resident_code"]}
    assert len(forwards()) == 2

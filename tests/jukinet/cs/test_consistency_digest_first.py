"""整合性確認 digest first: matching chunks travel as a digest, differing ones in full (F14, P6)."""

from __future__ import annotations

import uuid

import pytest

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet import routing
from jumin.jukinet.common.catalogue import QUERY_CONSISTENCY_DIGEST
from jumin.jukinet.common.consistency import ConsistencySummary, chunk_digest
from jumin.jukinet.cs import consistency, services
from jumin.jukinet.cs.models import CsIdentity, DifferenceKind
from jumin.jukinet.prefecture import models as prefecture_models
from jumin.messaging import queries
from jumin.messaging.envelope import NodeRef, new_envelope, sign_envelope
from jumin.messaging.services import query
from jumin.messaging.testing import TestFederation
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import update
from tests.jukinet.cs.test_federation import SASEBO, resident

pytestmark = pytest.mark.django_db

PREFECTURE = NodeRef("prefecture", "420000")
DIGEST_SENDS = "jukinet.query.consistency_digest to"
FULL_SENDS = "jukinet.query.consistency to"


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop01")
    grant_permissions(user, [Permission.CS_CONSISTENCY])
    return user


def sends(prefix: str) -> int:
    """How many queries of one kind the CS sent (its node:query:send audit entries)."""
    return AuditEntry.objects.filter(action="node:query:send", reason__startswith=prefix).count()


def differences(run: object) -> list[tuple[str, str]]:
    return [(d.resident_code, d.kind) for d in run.difference_rows.order_by("resident_code")]  # type: ignore[attr-defined]


def test_only_the_chunk_that_differs_goes_in_full_and_its_difference_is_named(
    federation: TestFederation, operator: User
) -> None:
    codes = sorted(resident(federation) for _ in range(4))
    CsIdentity.objects.filter(resident_code=codes[3]).update(digest="A" * 22)  # same count, other contents
    with federation.acting_as(SASEBO):
        runs = consistency.run_consistency(actor=operator, purpose="cs_operator", target="both", size=2)
    for run in runs:
        assert (run.status, run.records, run.chunks) == ("done", 4, 2), run.error
        assert differences(run) == [(codes[3], DifferenceKind.DIFFERENT)]
    assert sends(DIGEST_SENDS) == 4  # two chunks, two receivers
    assert sends(FULL_SENDS) == 2  # only the second chunk, to each receiver
    at_prefecture = prefecture_models.ConsistencyRun.objects.get(run_id=runs[0].run_id)
    assert (at_prefecture.chunks, at_prefecture.entries, at_prefecture.different) == (2, 4, 1)
    assert at_prefecture.finished_at is not None


def test_a_missing_and_an_extra_record_at_equal_counts_are_both_found(
    federation: TestFederation, operator: User
) -> None:
    codes = [resident(federation) for _ in range(3)]
    CsIdentity.objects.filter(resident_code=codes[0]).update(removed=True)  # only the prefecture holds it
    unsent = update()
    with federation.acting_as(SASEBO):
        services.accept_update(unsent, actor=None)  # only the CS holds it (not delivered)
        (run,) = consistency.run_consistency(actor=operator, purpose="cs_operator", target="prefecture")
    assert run.status == "done", run.error
    assert sorted(differences(run)) == sorted(
        [(codes[0], DifferenceKind.EXTRA), (unsent.resident_code, DifferenceKind.MISSING)]
    )
    assert (sends(DIGEST_SENDS), sends(FULL_SENDS)) == (1, 1)


def test_a_receiver_without_the_digest_query_is_sent_every_chunk_in_full(
    federation: TestFederation, operator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = sorted(resident(federation) for _ in range(3))
    CsIdentity.objects.filter(resident_code=codes[0]).update(digest="B" * 22)
    monkeypatch.delitem(routing._answerers, (QUERY_CONSISTENCY_DIGEST, "prefecture"))  # an older node
    with federation.acting_as(SASEBO):
        (run,) = consistency.run_consistency(
            actor=operator, purpose="cs_operator", target="prefecture", size=1
        )
    assert (run.status, run.chunks) == ("done", 3), run.error
    assert differences(run) == [(codes[0], DifferenceKind.DIFFERENT)]
    assert (sends(DIGEST_SENDS), sends(FULL_SENDS)) == (1, 3)  # asked once, then chunks in full


def signed_summary(federation: TestFederation, summary: ConsistencySummary) -> str:
    envelope = new_envelope(
        type=QUERY_CONSISTENCY_DIGEST,
        sender=SASEBO,
        receiver=PREFECTURE,
        subject=queries.QUERY_SUBJECT,
        seq=queries.QUERY_SEQ,
        payload=summary.as_payload(),
    )
    return sign_envelope(envelope, federation.node(SASEBO).signing_key)


def summary_of(held: list[tuple[str, str]], **changes: object) -> ConsistencySummary:
    values: dict[str, object] = {
        "run_id": str(uuid.uuid4()),
        "municipality_code": SASEBO.code,
        "chunk_no": 1,
        "first": "",
        "last": "",
        "count": len(held),
        "chunk_digest": chunk_digest(held),
        "final": True,
        "operator_id": "csop01",
        "terminal_id": "T001",
    }
    values.update(changes)
    return ConsistencySummary(**values)  # type: ignore[arg-type]


def held_pairs() -> list[tuple[str, str]]:
    return list(
        prefecture_models.IdentityRecord.objects.filter(municipality_code=SASEBO.code)
        .order_by("resident_code")
        .values_list("resident_code", "consistency_digest")
    )


def test_a_tampered_summary_is_refused_and_logs_no_chunk(federation: TestFederation) -> None:
    resident(federation)
    token = signed_summary(federation, summary_of(held_pairs()))
    header, payload, signature = token.split(".")
    flipped = "A" if payload[40] != "A" else "B"
    tampered = f"{header}.{payload[:40]}{flipped}{payload[41:]}.{signature}"
    with federation.acting_as(PREFECTURE):
        reply = queries.answer_query(federation.node(PREFECTURE), SASEBO, tampered.encode("ascii"))
    assert reply.status == 401
    assert not prefecture_models.ConsistencyRun.objects.exists()


def test_a_wrong_digest_or_count_is_answered_differs_and_logs_no_chunk(federation: TestFederation) -> None:
    resident(federation)
    resident(federation)
    held = held_pairs()
    wrong = [
        summary_of(held, chunk_digest="0" * 64),  # the count matches, the digest does not
        summary_of(held, count=len(held) + 1),  # the digest matches, the count does not
        summary_of(held[:1]),  # a digest of fewer records than the prefecture holds in the range
    ]
    for summary in wrong:
        with federation.acting_as(SASEBO):
            answer = query(
                query_type=QUERY_CONSISTENCY_DIGEST, receiver=PREFECTURE, payload=summary.as_payload()
            )
        assert answer == {"match": False}
    runs = prefecture_models.ConsistencyRun.objects.all()
    assert [run.chunks for run in runs] == [0, 0, 0]
    checks = AuditEntry.objects.filter(action="prefecture:consistency:check").values_list("reason", flat=True)
    assert len(checks) == 3
    assert all("digest differs" in reason for reason in checks)
    with federation.acting_as(SASEBO):
        answer = query(
            query_type=QUERY_CONSISTENCY_DIGEST, receiver=PREFECTURE, payload=summary_of(held).as_payload()
        )
    assert answer == {"match": True}
    assert prefecture_models.ConsistencyRun.objects.filter(chunks=1, entries=2, different=0).count() == 1

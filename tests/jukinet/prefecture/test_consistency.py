"""整合性確認 at the 都道府県サーバ: chunks answered from stored digests, and the result log (F14)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import QUERY_CONSISTENCY
from jumin.jukinet.common.consistency import build_chunks
from jumin.jukinet.common.notice import IdentityNotice, consistency_digest
from jumin.jukinet.prefecture.consistency import check_chunk
from jumin.jukinet.prefecture.models import ConsistencyDifference, ConsistencyRun
from jumin.messaging import conf, services
from jumin.messaging.testing import TestFederation
from tests.jukinet.prefecture.helpers import NAGASAKI, PREFECTURE, SASEBO, PrefectureNode, notice

pytestmark = pytest.mark.django_db


def cs_file(payloads: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted(
        (p["resident_code"], consistency_digest(IdentityNotice(**p), key=conf.local_node().consistency_key))
        for p in payloads
    )


def stored(prefecture: PrefectureNode, count: int) -> list[dict[str, Any]]:
    payloads = [notice() for _ in range(count)]
    for payload in payloads:
        prefecture.send(SASEBO, payload)
    return payloads


def test_a_run_reports_missing_extra_and_different_records_and_logs_them(prefecture: PrefectureNode) -> None:
    payloads = stored(prefecture, 6)
    cs_side = [dict(p) for p in payloads]
    cs_side[0]["address"] = "長崎県佐世保市別町1番地"  # different
    extra = cs_side.pop(1)  # the prefecture holds it, the CS does not send it
    missing = notice()  # the CS holds it, the prefecture never received it
    cs_side.append(missing)
    run_id = str(uuid.uuid4())

    results = [
        check_chunk(chunk, SASEBO)
        for chunk in build_chunks(
            cs_file(cs_side),
            run_id=run_id,
            municipality_code=SASEBO.code,
            operator_id="op",
            terminal_id="T1",
            size=2,
        )
    ]

    assert [c for r in results for c in r.different] == [payloads[0]["resident_code"]]
    assert [c for r in results for c in r.extra_here] == [extra["resident_code"]]
    assert [c for r in results for c in r.missing_here] == [missing["resident_code"]]
    run = ConsistencyRun.objects.get(run_id=run_id)
    assert (run.chunks, run.entries, run.missing_here, run.extra_here, run.different) == (3, 6, 1, 1, 1)
    assert run.finished_at is not None
    assert ConsistencyDifference.objects.filter(run=run).count() == 3
    assert AuditEntry.objects.filter(action="prefecture:consistency:check").count() == 3


def test_removed_and_other_municipalities_records_are_not_extras(prefecture: PrefectureNode) -> None:
    [kept, gone] = stored(prefecture, 2)
    prefecture.send(SASEBO, {**gone, "change_reason": "死亡", "removed": True, "update_seq": 2})
    prefecture.send(NAGASAKI, notice(municipality_code=NAGASAKI.code))

    [chunk] = build_chunks(
        cs_file([kept]),
        run_id=str(uuid.uuid4()),
        municipality_code=SASEBO.code,
        operator_id="o",
        terminal_id="t",
    )
    assert check_chunk(chunk, SASEBO).count == 0


def test_a_chunk_about_another_municipality_is_refused(prefecture: PrefectureNode) -> None:
    [chunk] = build_chunks(
        [], run_id=str(uuid.uuid4()), municipality_code=NAGASAKI.code, operator_id="o", terminal_id="t"
    )
    with pytest.raises(DomainError):
        check_chunk(chunk, SASEBO)
    assert not ConsistencyRun.objects.exists()


def test_the_cs_asks_through_the_signed_query(federation: TestFederation) -> None:
    payload = notice()
    with federation.acting_as(PREFECTURE):
        from django.db import transaction

        from jumin.jukinet.common.catalogue import IDENTITY_UPDATE
        from jumin.jukinet.prefecture.updates import apply_identity_update
        from jumin.messaging.envelope import new_envelope

        with transaction.atomic():
            apply_identity_update(
                new_envelope(
                    type=IDENTITY_UPDATE,
                    sender=SASEBO,
                    receiver=PREFECTURE,
                    subject="s",
                    seq=1,
                    payload=payload,
                )
            )
    [chunk] = build_chunks(
        [], run_id=str(uuid.uuid4()), municipality_code=SASEBO.code, operator_id="o", terminal_id="t"
    )
    with federation.acting_as(SASEBO):
        answer = services.query(query_type=QUERY_CONSISTENCY, receiver=PREFECTURE, payload=chunk.as_payload())
    assert answer == {"missing_here": [], "extra_here": [payload["resident_code"]], "different": []}

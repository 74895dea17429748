"""整合性確認 at the national node: a CS chunk against the records of that municipality."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE, QUERY_CONSISTENCY
from jumin.jukinet.common.consistency import build_chunks
from jumin.jukinet.common.notice import consistency_digest, notice_from_payload
from jumin.jukinet.national.services.consistency import answer_consistency
from jumin.jukinet.national.services.identity import apply_identity_update
from jumin.messaging import conf
from tests.jukinet.national.helpers import MUNICIPALITY, OTHER_MUNICIPALITY, envelope, notice

pytestmark = pytest.mark.django_db


def store(payload: dict) -> tuple[str, str]:
    with transaction.atomic():
        apply_identity_update(envelope(IDENTITY_UPDATE, payload))
    return payload["resident_code"], consistency_digest(
        notice_from_payload(payload), key=conf.local_node().consistency_key
    )


def check(entries: list[tuple[str, str]], sender=MUNICIPALITY, size: int = 20_000) -> dict:
    found: dict[str, list[str]] = {"missing_here": [], "extra_here": [], "different": []}
    chunks = build_chunks(
        sorted(entries),
        run_id=str(uuid.uuid4()),
        municipality_code=MUNICIPALITY.code,
        operator_id="clerk01",
        terminal_id="T001",
        size=size,
    )
    for chunk in chunks:
        with transaction.atomic():
            answer = answer_consistency(envelope(QUERY_CONSISTENCY, chunk.as_payload(), sender=sender))
        for key in found:
            found[key] += answer[key]
    return found


def test_differences_are_reported_by_code_only() -> None:
    same = store(notice())
    changed_code, changed_digest = store(notice())
    extra_code, _ = store(notice())
    store(notice(municipality_code=OTHER_MUNICIPALITY.code))  # another municipality: not compared
    removed_code, removed_digest = store(notice(removed=True, change_reason="死亡"))  # removed: not compared
    missing = (notice()["resident_code"], "A" * 22)
    sent = [same, (changed_code, "B" * 22), missing, (removed_code, removed_digest)]
    for size in (1, 2, 20_000):
        result = check(sent, size=size)
        assert result == {
            "missing_here": sorted([missing[0], removed_code]),
            "extra_here": [extra_code],
            "different": [changed_code],
        }
    assert changed_digest != "B" * 22
    entry = AuditEntry.objects.filter(action="national:consistency:check").latest("seq")
    assert "missing" in entry.reason
    assert changed_code not in entry.reason


def test_a_cs_may_check_only_its_own_municipality() -> None:
    with pytest.raises(DomainError) as caught:
        check([], sender=OTHER_MUNICIPALITY)
    assert caught.value.code == "jukinet.national.consistency_foreign"

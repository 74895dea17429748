"""A 住民票コードの変更 notice the 都道府県サーバ refuses changes nothing: the person's record stays under
the old code, the refusal names it and is audited (issue 8; docs/jukinet.md Flow 12)."""

from __future__ import annotations

from typing import Any

import pytest

from jumin.audit.models import AuditEntry
from jumin.jukinet.prefecture.models import IdentityRecord, IdentityVersion, RefusedUpdate
from tests.jukinet.prefecture.helpers import SASEBO, PrefectureNode, notice
from tests.jukinet.synthetic import resident_code

pytestmark = pytest.mark.django_db


def code_change(first: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        **first,
        "resident_code": resident_code(),
        "former_resident_code": first["resident_code"],
        "change_reason": "住民票コードの変更",
        "update_seq": 2,
        **changes,
    }


def test_a_refused_code_change_leaves_the_record_under_the_old_code(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first, subject="cs-a", seq=1)
    before = IdentityRecord.objects.values().get()

    # Out of order: seen only once the record is found under the new code (re-keyed first).
    prefecture.send(SASEBO, code_change(first, update_seq=1), subject="cs-a", seq=2)

    assert RefusedUpdate.objects.get().code == "jukinet.prefecture.out_of_order"
    assert IdentityRecord.objects.values().get() == before
    assert list(IdentityVersion.objects.values_list("resident_code", flat=True)) == [first["resident_code"]]
    refused = AuditEntry.objects.get(action="prefecture:identity:update_refuse", outcome="refused")
    assert [s.subject_id for s in refused.result_subjects.all()] == [str(before["id"])]


def test_an_accepted_code_change_moves_the_record(prefecture: PrefectureNode) -> None:
    first = notice()
    prefecture.send(SASEBO, first, subject="cs-a", seq=1)
    changed = code_change(first)

    prefecture.send(SASEBO, changed, subject="cs-a", seq=2)

    assert not RefusedUpdate.objects.exists()
    assert IdentityRecord.objects.get().resident_code == changed["resident_code"]

"""附票の整合性確認 (004 2-⑥; docs/jukinet.md Flow 9): the CS sends its 附票 file in chunks to the
prefecture's 附票都道府県サーバ, which compares it with its own file and answers the differences."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.consistency import ConsistencyFile
from jumin.jukinet.common.fuhyo import FUHYO_COMPARED, fuhyo_consistency_digest
from jumin.jukinet.cs import consistency
from jumin.jukinet.cs.models import CsFuhyo, DifferenceKind
from jumin.jukinet.prefecture.models import ConsistencyDifference as PrefectureDifference
from jumin.jukinet.prefecture.models import ConsistencyRun as PrefectureRun
from jumin.jukinet.prefecture.models import FuhyoRecord as PrefectureFuhyo
from jumin.messaging import conf
from jumin.messaging.testing import TestFederation
from tests.jukinet.cs.test_fuhyo import SASEBO, changed, deleted, fuhyo_system, hand_over
from tests.jukinet.prefecture.helpers import fuhyo

pytestmark = pytest.mark.django_db

__all__ = ["fuhyo_system"]  # the fixture: the 戸籍附票 system's account, which may also run 整合性確認


def kinds_found(run: consistency.ConsistencyRun) -> list[tuple[str, str]]:
    return sorted((row.resident_code, row.kind) for row in run.difference_rows.all())


def test_a_clean_file_matches_then_each_kind_of_difference_is_found(
    federation: TestFederation, fuhyo_system: User
) -> None:
    same, changed_there, gone_there, deleted_here = fuhyo(), fuhyo(), fuhyo(), fuhyo()
    hand_over(federation, fuhyo_system, same, changed_there, gone_there, deleted_here)
    hand_over(federation, fuhyo_system, deleted(changed(deleted_here)))  # a 消除 leaves both files alike
    with federation.acting_as(SASEBO):
        (clean,) = consistency.run_consistency(actor=fuhyo_system, purpose="cs_fuhyo", target="fuhyo", size=2)
    assert (clean.status, clean.file, clean.target) == ("done", "fuhyo", "prefecture:420000")
    assert (clean.records, clean.chunks, clean.differences) == (3, 2, 0)

    # Plant one of each difference on the prefecture's side.
    record = PrefectureFuhyo.objects.get(resident_code=changed_there["resident_code"])
    record.items = {**record.items, "address": "カナダ"}
    record.save()
    PrefectureFuhyo.objects.filter(resident_code=gone_there["resident_code"]).update(state="deleted")
    extra = fuhyo()
    PrefectureFuhyo.objects.create(
        resident_code=extra["resident_code"],
        fuhyo_municipality_code=SASEBO.code,
        state="current",
        name_key="",
        birth_date=extra["birth_date"],
        items=extra,
        received_at=record.received_at,
        sender_code=SASEBO.code,
    )
    other_town = fuhyo(fuhyo_municipality_code="422011")  # another 附票管理市町村's record: not compared
    PrefectureFuhyo.objects.create(
        resident_code=other_town["resident_code"],
        fuhyo_municipality_code="422011",
        state="current",
        name_key="",
        birth_date=other_town["birth_date"],
        items=other_town,
        received_at=record.received_at,
        sender_code="422011",
    )
    with federation.acting_as(SASEBO):
        (run,) = consistency.run_consistency(actor=fuhyo_system, purpose="cs_fuhyo", target="fuhyo")
    assert run.status == "done", run.error
    assert kinds_found(run) == sorted(
        [
            (changed_there["resident_code"], DifferenceKind.DIFFERENT),
            (gone_there["resident_code"], DifferenceKind.MISSING),
            (extra["resident_code"], DifferenceKind.EXTRA),
        ]
    )
    # The prefecture logs the run as a 附票 run, with the same differences.
    logged = PrefectureRun.objects.get(run_id=run.run_id)
    assert (logged.file, logged.entries, logged.missing_here, logged.extra_here, logged.different) == (
        "fuhyo",
        3,
        1,
        1,
        1,
    )
    assert PrefectureDifference.objects.filter(run=logged).count() == 3
    assert AuditEntry.objects.filter(
        action="prefecture:consistency:check", reason__startswith="fuhyo chunk 1 from municipality:422029"
    ).exists()
    cs_entry = AuditEntry.objects.filter(action="cs:consistency:run").order_by("-seq").first()
    assert cs_entry is not None
    assert (cs_entry.reason, cs_entry.result_count) == (
        "fuhyo to prefecture:420000: records 3 differences 3",
        3,
    )


def test_the_identity_file_and_the_fuhyo_file_are_compared_apart(
    federation: TestFederation, fuhyo_system: User
) -> None:
    """A 附票 run never compares the 本人確認情報 file, and the two digests of equal values differ."""
    kept = fuhyo()
    hand_over(federation, fuhyo_system, kept)
    with federation.acting_as(SASEBO):
        (identity_run,) = consistency.run_consistency(
            actor=fuhyo_system, purpose="cs_fuhyo", target="prefecture"
        )
        key = conf.local_node().consistency_key
    assert (identity_run.file, identity_run.records) == (ConsistencyFile.IDENTITY, 0)
    items = CsFuhyo.objects.select_related("current").get().current.items
    digest = fuhyo_consistency_digest(items, key=key)
    assert len(digest) == 22
    assert digest == fuhyo_consistency_digest({**items, "notice_type": "change"}, key=key)  # not compared
    assert "notice_type" not in FUHYO_COMPARED
    assert digest != fuhyo_consistency_digest({**items, "address": "カナダ"}, key=key)
    assert digest != fuhyo_consistency_digest(items, key=key[::-1])


def test_the_fuhyo_file_is_checked_with_the_prefecture_only_and_by_the_command(
    federation: TestFederation, fuhyo_system: User
) -> None:
    hand_over(federation, fuhyo_system, fuhyo())
    with federation.acting_as(SASEBO):
        out = StringIO()
        call_command("cs_consistency", "--operator", fuhyo_system.username, "--to", "fuhyo", stdout=out)
        with pytest.raises(DomainError) as refused:
            consistency.run_consistency(actor=fuhyo_system, purpose="cs_fuhyo", target="fuhyo_national")
    assert "prefecture:420000 (附票本人確認情報): done 件数 1 分割 1 差異 0" in out.getvalue()
    assert refused.value.code == "jukinet.cs.consistency"
    assert "fuhyo（附票）" in refused.value.remedy

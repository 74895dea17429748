"""The P3 baseline of `jumin bench` writes rows with explicit ids; the benchmarks after it must still insert.

On PostgreSQL explicit ids leave the id sequences behind, and the next ORM insert collided (P4 failed
after P3 in the 100,000-resident PostgreSQL run). The test runs on both engines.
"""

from __future__ import annotations

from collections.abc import Callable

from jumin.accounts.models import User
from jumin.cli import bench_registry
from jumin.domain.checkdigits import validate_juminhyo_code
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE
from jumin.registry.models import Change, Household, Resident, ResidentSnapshot
from jumin.registry.services import DraftRecorded, record_move_in
from tests.registry.conftest import PURPOSE, family_move_in


def test_orm_inserts_work_after_the_bare_insert_baseline(
    family: DraftRecorded,
    clerk: User,
    commit: Callable[[DraftRecorded], DraftRecorded],
) -> None:
    before = {m: m.objects.count() for m in (Change, Household, Resident, ResidentSnapshot)}
    samples = bench_registry._bare_inserts(2)
    assert len(samples) == 2
    assert Change.objects.count() == before[Change] + 2
    assert ResidentSnapshot.objects.count() == before[ResidentSnapshot] + 6

    moved_in = commit(
        record_move_in(
            actor=clerk,
            purpose=PURPOSE,
            move_in=family_move_in(previous_address="福岡県福岡市中央区天神1丁目1番1号"),
        )
    )
    assert Change.objects.filter(pk=moved_in.change_id).exists()
    assert len(moved_in.atena_numbers) == 3


def test_the_p3_pool_codes_pass_the_cs_check_digit() -> None:
    """P3's 転入 take codes the CS accepts, so each commit is sent to the CS as a real one is (not 未連携)."""
    codes = [bench_registry._pool_code() for _ in range(200)]
    assert all(validate_juminhyo_code(code, rule=RESIDENT_CODE_RULE) == code for code in codes)
    assert len(set(codes)) > 190

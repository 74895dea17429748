"""The P6 benchmark finds exactly the planted differences and leaves the database as it was."""

from __future__ import annotations

import pytest

from jumin.cli.bench_jukinet import PLANTED, bench_consistency
from jumin.jukinet.prefecture.models import ConsistencyRun, IdentityRecord
from tests.jukinet.prefecture.helpers import PrefectureNode

pytestmark = pytest.mark.django_db


def test_the_benchmark_finds_the_planted_differences(prefecture: PrefectureNode) -> None:
    result = bench_consistency(500)

    assert result["records"] == 500
    assert result["differences_found"] == 3 * PLANTED
    assert result["scanned"] == 500
    assert not IdentityRecord.objects.exists()
    assert not ConsistencyRun.objects.exists()

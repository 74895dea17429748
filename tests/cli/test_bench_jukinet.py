"""The 住基ネット benchmark figures measure what they claim (no timing assertions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jumin.cli.bench_jukinet import PLANTED, bench_cs_consistency
from jumin.jukinet.cs.models import ConsistencyRun, CsIdentity
from jumin.jukinet.prefecture.models import IdentityRecord

pytestmark = pytest.mark.django_db


def test_the_cs_run_finds_the_planted_differences_and_leaves_nothing(tmp_path: Path) -> None:
    result = bench_cs_consistency(300, tmp_path / "nodes")

    assert result["status"] == "done", result.get("error")
    assert result["records"] == 300
    assert result["differences_found"] == 3 * PLANTED
    # The plain scan reads both tables: the CS's 300 and the prefecture's 300 − missing + extra.
    assert result["scanned"] == 600
    assert {"seconds", "scan_seconds", "ratio", "target", "met", "ratio_target", "ratio_met"} <= set(result)
    assert not CsIdentity.objects.exists()
    assert not IdentityRecord.objects.exists()
    assert not ConsistencyRun.objects.exists()
    assert not (tmp_path / "nodes").exists()

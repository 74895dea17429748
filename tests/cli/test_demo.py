import os
import re
import subprocess
import sys
from pathlib import Path


def run_demo(home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUMIN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "jumin.cli", "demo", "--no-serve", *extra],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_demo_sets_up_the_node_prints_the_admin_password_once_and_is_idempotent(tmp_path: Path) -> None:
    first = run_demo(tmp_path)
    assert first.returncode == 0, first.stderr
    assert "佐世保市（422029）" in first.stdout
    assert "市区町村: 1," in first.stdout  # the whole country's municipalities were loaded
    passwords = re.findall(r"パスワード: (\S+)\s+←", first.stdout)
    assert len(passwords) == 1

    second = run_demo(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "マスタを読み込んでいます" not in second.stdout
    assert passwords[0] not in second.stdout
    assert "初回に表示済み" in second.stdout


def test_demo_refuses_an_invalid_municipality_code(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "--municipality", "422020")
    assert result.returncode == 2
    assert "検査数字" in result.stderr

import json
import os
import subprocess
import sys

import pytest

from jumin.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("mynumber", "123456789018"),
        ("mynumber", "１２３４ ５６７８ ９０１８"),
        ("corporate", "7123456789012"),
        ("lgcode", "422029"),
        ("atena", "0001236"),
        ("juminhyo", "24727059608"),
    ],
)
def test_codes_check_prints_ok_and_exits_zero_for_valid_numbers(
    capsys: pytest.CaptureFixture[str], kind: str, value: str
) -> None:
    assert run(capsys, "codes", "check", kind, value) == (0, "OK\n")


@pytest.mark.parametrize(
    ("kind", "value", "reason"),
    [
        ("mynumber", "123456789010", "検査数字"),
        ("mynumber", "12345678901", "12桁"),
        ("corporate", "1123456789012", "検査数字"),
        ("lgcode", "422020", "検査数字"),
        ("juminhyo", "2472705960", "11桁"),
    ],
)
def test_codes_check_prints_the_japanese_reason_and_exits_one_for_invalid_numbers(
    capsys: pytest.CaptureFixture[str], kind: str, value: str, reason: str
) -> None:
    code, out = run(capsys, "codes", "check", kind, value)
    assert code == 1
    assert out.startswith("NG: ")
    assert reason in out
    assert value not in out  # the rejected number is never echoed


@pytest.mark.parametrize(
    ("kind", "base", "digit"),
    [
        ("mynumber", "12345678901", "8"),
        ("corporate", "123456789012", "7"),
        ("lgcode", "13104", "1"),
        ("atena", "000123", "6"),
    ],
)
def test_codes_checkdigit_prints_the_digit_only(
    capsys: pytest.CaptureFixture[str], kind: str, base: str, digit: str
) -> None:
    assert run(capsys, "codes", "checkdigit", kind, base) == (0, f"{digit}\n")


def test_juminhyo_check_digit_is_refused_because_the_formula_is_unknown(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "codes", "checkdigit", "juminhyo", "2472705960")
    assert code == 1
    assert "不明" in out


def test_wareki_to_seireki_prints_iso(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "wareki", "to-seireki", "令和5年4月1日") == (0, "2023-04-01\n")
    assert run(capsys, "wareki", "to-seireki", "R5.4.1") == (0, "2023-04-01\n")


def test_wareki_to_seireki_prints_uncertain_dates_as_structured_json(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "wareki", "to-seireki", "令和2年5月頃")
    assert code == 0
    value = json.loads(out)
    assert (value["pattern"], value["range_start"], value["range_end"]) == ("U02", "2020-05-01", "2020-05-31")


def test_wareki_to_seireki_refuses_a_date_after_the_era_end_and_names_the_correct_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "wareki", "to-seireki", "平成31年5月1日")
    assert code == 1
    assert "令和元年5月1日" in out


def test_wareki_from_seireki_prints_both_spellings_on_an_overlap_day(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "wareki", "from-seireki", "1912-07-30")
    assert code == 0
    assert set(out.splitlines()) == {"明治45年7月30日", "大正元年7月30日"}


def test_wareki_from_seireki_writes_gannen(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "wareki", "from-seireki", "2019-05-01") == (0, "令和元年5月1日\n")


def test_a_node_outside_demo_mode_refuses_to_start_with_the_default_secret() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUMIN_")}
    env["DJANGO_SETTINGS_MODULE"] = "jumin.settings.base"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "JUMIN_SECRET_KEY" in result.stderr

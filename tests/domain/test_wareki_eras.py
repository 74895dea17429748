"""Era master, conversion and validation of 和暦 dates (algorithms.md B.1–B.3)."""

from __future__ import annotations

from datetime import date

import pytest

from jumin.domain.eras import Calendar, EraTable, default_era_table, load_era_rows
from jumin.domain.errors import DomainError
from jumin.domain.wareki import (
    DateFieldKind,
    WarekiDate,
    all_wareki_forms,
    display_calendar,
    format_date_ja,
    format_gregorian_ja,
    parse_date_input,
    to_wareki,
    validate_wareki,
)

NEW_ERA_ROW: dict[str, object] = {
    "code": "shingengo",
    "name": "新元号",
    "letter": "N",
    "first_day": "2040-03-01",
    "overlaps_previous": False,
}


@pytest.fixture
def table_with_new_era() -> EraTable:
    """B.3 fixture: one more row, no code change."""
    return EraTable.from_rows([*load_era_rows(), NEW_ERA_ROW])


# --- B.1 era master ---------------------------------------------------------------------------------


def test_default_master_has_the_five_modern_eras_in_order() -> None:
    table = default_era_table()
    assert [(era.code, era.name, era.letter) for era in table.eras] == [
        ("meiji", "明治", "M"),
        ("taisho", "大正", "T"),
        ("showa", "昭和", "S"),
        ("heisei", "平成", "H"),
        ("reiwa", "令和", "R"),
    ]
    assert [era.gannen_year for era in table.eras] == [1868, 1912, 1926, 1989, 2019]


def test_last_days_are_derived_from_the_next_era_and_its_overlap_flag() -> None:
    assert [era.last_day for era in default_era_table().eras] == [
        date(1912, 7, 30),
        date(1926, 12, 25),
        date(1989, 1, 7),
        date(2019, 4, 30),
        None,
    ]


def test_default_table_is_loaded_once() -> None:
    assert default_era_table() is default_era_table()


def test_rows_round_trip_through_the_table() -> None:
    assert EraTable.from_rows(default_era_table().rows()).rows() == load_era_rows()


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([], id="empty"),
        pytest.param([*load_era_rows(), {**NEW_ERA_ROW, "code": "reiwa"}], id="duplicate-code"),
        pytest.param([*load_era_rows(), {**NEW_ERA_ROW, "letter": "R"}], id="duplicate-letter"),
        pytest.param([*load_era_rows(), {**NEW_ERA_ROW, "first_day": "2019-05-01"}], id="not-increasing"),
        pytest.param([*load_era_rows(), {**NEW_ERA_ROW, "letter": "NN"}], id="letter-too-long"),
        pytest.param([*load_era_rows(), {**NEW_ERA_ROW, "first_day": "2040/03/01"}], id="bad-date"),
        pytest.param([*load_era_rows(), {**NEW_ERA_ROW, "overlaps_previous": "no"}], id="bad-flag"),
        pytest.param([{**load_era_rows()[0], "overlaps_previous": True}], id="first-overlaps"),
        pytest.param([{**NEW_ERA_ROW, "name": 5}], id="name-not-text"),
    ],
)
def test_a_broken_era_master_is_refused_with_a_stable_code(rows: list[dict[str, object]]) -> None:
    with pytest.raises(DomainError) as caught:
        EraTable.from_rows(rows)
    assert caught.value.code == "era_master.invalid"


def test_min_supported_date_may_not_precede_the_first_era() -> None:
    with pytest.raises(DomainError):
        EraTable.from_rows(load_era_rows(), min_supported_date=date(1800, 1, 1))


def test_dates_before_min_supported_date_are_refused() -> None:
    with pytest.raises(DomainError) as caught:
        to_wareki(date(1872, 12, 31))
    assert caught.value.code == "wareki.before_min_supported"
    assert to_wareki(date(1873, 1, 1)) == WarekiDate("meiji", 6, 1, 1)
    with pytest.raises(DomainError) as caught:
        parse_date_input("明治5年12月2日")
    assert caught.value.code == "wareki.before_min_supported"
    assert "明治6年1月1日" in caught.value.reason


def test_min_supported_date_is_a_setting() -> None:
    table = EraTable.from_rows(load_era_rows(), min_supported_date=date(1900, 1, 1))
    with pytest.raises(DomainError):
        parse_date_input("明治32年12月31日", table=table)
    assert parse_date_input("明治33年1月1日", table=table).sort_date == date(1900, 1, 1)


def test_unknown_era_code_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        WarekiDate("kouka", 1, 1, 1).display()
    assert caught.value.code == "wareki.unknown_era"


# --- B.2 conversion and validation ------------------------------------------------------------------

ERA_VALID = [
    pytest.param("明治45年7月29日", date(1912, 7, 29), id="ERA-1"),
    pytest.param("明治45年7月30日", date(1912, 7, 30), id="ERA-2"),
    pytest.param("大正元年7月30日", date(1912, 7, 30), id="ERA-3"),
    pytest.param("大正15年12月25日", date(1926, 12, 25), id="ERA-6"),
    pytest.param("昭和元年12月25日", date(1926, 12, 25), id="ERA-7"),
    pytest.param("昭和64年1月7日", date(1989, 1, 7), id="ERA-9"),
    pytest.param("平成31年4月30日", date(2019, 4, 30), id="ERA-12"),
    pytest.param("令和元年5月1日", date(2019, 5, 1), id="ERA-14"),
    pytest.param("令和2年2月29日", date(2020, 2, 29), id="ERA-15"),
]


@pytest.mark.parametrize(("text", "gregorian"), ERA_VALID)
def test_valid_wareki_input_converts_and_keeps_the_era_as_entered(text: str, gregorian: date) -> None:
    parsed = parse_date_input(text)
    assert isinstance(parsed.value, WarekiDate)
    assert parsed.value.to_gregorian() == gregorian
    assert parsed.sort_date == gregorian
    assert parsed.value.display() == text  # B.2 rule 3: 明治45年7月30日 stays 明治
    assert parsed.alerts == []


ERA_ERRORS = [
    pytest.param("明治45年7月31日", "wareki.after_era_end", "大正元年7月31日", id="ERA-4"),
    pytest.param("大正元年7月29日", "wareki.before_era_start", "明治45年7月29日", id="ERA-5"),
    pytest.param("大正15年12月26日", "wareki.after_era_end", "昭和元年12月26日", id="ERA-8"),
    pytest.param("昭和64年1月8日", "wareki.after_era_end", "平成元年1月8日", id="ERA-10"),
    pytest.param("平成元年1月7日", "wareki.before_era_start", "昭和64年1月7日", id="ERA-11"),
    pytest.param("平成31年5月1日", "wareki.after_era_end", "令和元年5月1日", id="ERA-13"),
]


@pytest.mark.parametrize(("text", "code", "correct_form"), ERA_ERRORS)
def test_dates_outside_their_era_are_refused_with_the_correct_form(
    text: str, code: str, correct_form: str
) -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input(text, field_kind=DateFieldKind.BIRTH)
    assert caught.value.code == code
    assert correct_form in caught.value.remedy
    assert text not in str(caught.value)  # the clerk's input is not echoed


def test_after_era_end_message_names_the_boundary_and_the_new_era() -> None:
    with pytest.raises(DomainError) as caught:
        WarekiDate.of("meiji", 45, 7, 31)
    assert caught.value.reason == "明治は明治45年7月30日までです。"
    assert caught.value.remedy == "大正元年7月31日のように大正で入力してください。"


@pytest.mark.parametrize(
    ("field_kind", "accepted"),
    [
        pytest.param(DateFieldKind.BIRTH, True, id="ERA-16-birth"),
        pytest.param(DateFieldKind.NOTIFICATION, False, id="ERA-16-notification"),
    ],
)
def test_a_non_calendar_day_is_accepted_only_in_the_b4_fields(
    field_kind: DateFieldKind, accepted: bool
) -> None:
    if accepted:
        assert parse_date_input("令和3年2月29日", field_kind=field_kind).alerts
    else:
        with pytest.raises(DomainError) as caught:
            parse_date_input("令和3年2月29日", field_kind=field_kind)
        assert caught.value.code == "wareki.not_a_calendar_date"


def test_wareki_date_of_validates_and_the_plain_constructor_checks_only_the_shape() -> None:
    assert WarekiDate.of("reiwa", 1, 5, 1).display() == "令和元年5月1日"
    assert WarekiDate("heisei", 31, 5, 1).to_gregorian() == date(2019, 5, 1)  # stored values stay readable
    with pytest.raises(DomainError):
        WarekiDate.of("reiwa", 3, 2, 29)
    with pytest.raises(DomainError):
        WarekiDate("reiwa", 1, 13, 1)
    with pytest.raises(DomainError):
        WarekiDate("reiwa", 0, 1, 1)


def test_policy_accepts_the_replaced_era_after_its_end_with_an_alert() -> None:
    parsed = parse_date_input("平成31年5月1日", accept_old_era_after_change=True)
    assert parsed.value == WarekiDate("heisei", 31, 5, 1)
    assert parsed.sort_date == date(2019, 5, 1)
    assert [alert.code for alert in parsed.alerts] == ["wareki.old_era_after_change"]
    assert "令和元年5月1日" in parsed.alerts[0].message


def test_policy_does_not_cover_older_eras_or_dates_before_the_start() -> None:
    with pytest.raises(DomainError):
        parse_date_input("昭和64年1月8日", accept_old_era_after_change=True)
    with pytest.raises(DomainError):
        parse_date_input("令和元年4月30日", accept_old_era_after_change=True)
    assert validate_wareki(WarekiDate("heisei", 31, 4, 30), accept_old_era_after_change=True) == []


# --- B.2 rule 2: 西暦 → 和暦 display --------------------------------------------------------------


@pytest.mark.parametrize(
    ("gregorian", "displayed"),
    [
        pytest.param(date(1912, 7, 30), "大正元年7月30日", id="ERA-D1"),
        pytest.param(date(1926, 12, 25), "昭和元年12月25日", id="ERA-D2"),
        pytest.param(date(1989, 1, 7), "昭和64年1月7日", id="ERA-D3"),
        pytest.param(date(1989, 1, 8), "平成元年1月8日", id="ERA-D4"),
        pytest.param(date(2019, 4, 30), "平成31年4月30日", id="ERA-D5"),
        pytest.param(date(2019, 5, 1), "令和元年5月1日", id="ERA-D6"),
    ],
)
def test_gregorian_dates_display_in_the_latest_era_that_has_started(gregorian: date, displayed: str) -> None:
    assert to_wareki(gregorian).display() == displayed
    assert format_date_ja(gregorian, calendar=Calendar.WAREKI) == displayed


@pytest.mark.parametrize(
    ("gregorian", "forms"),
    [
        (date(1912, 7, 30), ["大正元年7月30日", "明治45年7月30日"]),
        (date(1926, 12, 25), ["昭和元年12月25日", "大正15年12月25日"]),
        (date(1989, 1, 7), ["昭和64年1月7日"]),
        (date(2019, 5, 1), ["令和元年5月1日"]),
    ],
)
def test_overlap_days_have_both_spellings_and_other_days_one(gregorian: date, forms: list[str]) -> None:
    assert [form.display() for form in all_wareki_forms(gregorian)] == forms


# --- B.2 rule 4: which calendar is shown ------------------------------------------------------------


@pytest.mark.parametrize(
    ("foreign", "kind", "expected"),
    [
        (True, DateFieldKind.BIRTH, Calendar.GREGORIAN),
        (True, DateFieldKind.RESIDENCE_EXPIRY, Calendar.GREGORIAN),
        (True, DateFieldKind.BECAME_RESIDENT, Calendar.WAREKI),
        (False, DateFieldKind.BIRTH, Calendar.WAREKI),
    ],
)
def test_only_a_foreign_residents_birth_and_expiry_dates_are_shown_in_seireki(
    foreign: bool, kind: DateFieldKind, expected: Calendar
) -> None:
    assert display_calendar(foreign_resident=foreign, field_kind=kind) is expected


def test_seireki_display_has_no_wareki_beside_it() -> None:
    assert format_gregorian_ja(date(1990, 1, 2)) == "1990年1月2日"
    assert format_date_ja(date(1990, 1, 2), calendar=Calendar.GREGORIAN) == "1990年1月2日"


# --- B.3 a new era by configuration -----------------------------------------------------------------


def test_era_n1_the_last_leap_day_of_reiwa_is_valid(table_with_new_era: EraTable) -> None:
    parsed = parse_date_input("令和22年2月29日", table=table_with_new_era)
    assert parsed.sort_date == date(2040, 2, 29)


def test_era_n2_reiwa_after_its_new_last_day_is_refused(table_with_new_era: EraTable) -> None:
    with pytest.raises(DomainError) as caught:
        parse_date_input("令和22年3月1日", table=table_with_new_era)
    assert caught.value.code == "wareki.after_era_end"
    assert "新元号元年3月1日" in caught.value.remedy


def test_era_n3_the_new_era_is_accepted_from_its_first_day(table_with_new_era: EraTable) -> None:
    parsed = parse_date_input("新元号元年3月1日", table=table_with_new_era)
    assert parsed.value == WarekiDate("shingengo", 1, 3, 1)
    assert parsed.sort_date == date(2040, 3, 1)
    assert parse_date_input("N1.3.1", table=table_with_new_era).value == parsed.value


def test_era_n4_dates_from_the_first_day_display_in_the_new_era(table_with_new_era: EraTable) -> None:
    assert to_wareki(date(2040, 3, 1), table_with_new_era).display(table_with_new_era) == "新元号元年3月1日"


def test_era_n5_stored_wareki_values_are_not_rewritten(table_with_new_era: EraTable) -> None:
    stored = WarekiDate("reiwa", 2, 4, 1)
    assert stored.display(table_with_new_era) == "令和2年4月1日"
    assert stored.to_gregorian(table_with_new_era) == date(2020, 4, 1)


def test_policy_after_a_configured_era_change_covers_reiwa(table_with_new_era: EraTable) -> None:
    parsed = parse_date_input("令和22年3月1日", table=table_with_new_era, accept_old_era_after_change=True)
    assert parsed.alerts
    with pytest.raises(DomainError):
        parse_date_input("平成31年5月1日", table=table_with_new_era, accept_old_era_after_change=True)

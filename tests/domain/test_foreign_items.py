"""The category items of a foreign resident (standard 1.1.2-a/b, 1.1.6-a, 1.1.8-c; records.md §6.8)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from jumin.domain.errors import DomainError
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    ForeignResidentItems,
    PersonFacts,
    ResidentKind,
    Sex,
    check_foreign_items,
    check_person,
    parse_former_alien_registration_date,
    transitional_stay_ends_on,
)
from jumin.domain.uncertain_dates import UncertainDate
from jumin.domain.wareki import WarekiDate

REFUGE = ForeignResidentItems(nationality_code="104", category="一時庇護許可者", landing_period="6月")
PROVISIONAL = ForeignResidentItems(
    nationality_code="104", category="仮滞在許可者", provisional_stay_period="2026-12-31まで"
)
TRANSITIONAL = ForeignResidentItems(nationality_code="156", category="経過滞在者", transitional_reason="出生")


@pytest.mark.parametrize(
    ("items", "field", "label"),
    [
        (replace(REFUGE, landing_period=""), "landing_period", "上陸期間"),
        (replace(REFUGE, landing_period="  "), "landing_period", "上陸期間"),
        (replace(PROVISIONAL, provisional_stay_period=""), "provisional_stay_period", "仮滞在期間"),
    ],
)
def test_1_1_6_a_the_period_of_the_category_may_not_be_blank(
    items: ForeignResidentItems, field: str, label: str
) -> None:
    with pytest.raises(DomainError) as raised:
        check_foreign_items(items)
    assert (raised.value.field, raised.value.code) == (field, "resident.required")
    assert label in raised.value.reason
    assert label in raised.value.remedy


@pytest.mark.parametrize(
    "items", [REFUGE, PROVISIONAL, TRANSITIONAL, replace(TRANSITIONAL, transitional_reason="国籍喪失")]
)
def test_1_1_2_b_each_category_with_its_own_items_is_accepted(items: ForeignResidentItems) -> None:
    check_foreign_items(items)


def test_the_period_of_one_category_does_not_stand_in_for_another() -> None:
    """A 仮滞在許可者 with only a 上陸期間 is still missing the 仮滞在期間."""
    with pytest.raises(DomainError) as raised:
        check_foreign_items(replace(PROVISIONAL, provisional_stay_period="", landing_period="6月"))
    assert raised.value.field == "provisional_stay_period"


@pytest.mark.parametrize(
    "items",
    [
        replace(TRANSITIONAL, transitional_reason=""),
        replace(TRANSITIONAL, transitional_reason="出国"),
        replace(REFUGE, transitional_reason="出生"),
    ],
)
def test_1_1_2_b_the_transitional_flag_belongs_to_transitional_residents_only(
    items: ForeignResidentItems,
) -> None:
    with pytest.raises(DomainError) as raised:
        check_foreign_items(items)
    assert (raised.value.field, raised.value.code) == ("transitional_reason", "resident.transitional_reason")
    assert raised.value.remedy


def test_a_child_born_here_may_stay_60_days_from_the_day_after_birth() -> None:
    assert transitional_stay_ends_on(date(2026, 1, 1)) == date(2026, 3, 2)
    assert transitional_stay_ends_on(date(2024, 2, 1)) == date(2024, 4, 1)  # leap year


def test_1_1_8_c_the_former_registration_date_may_be_exact_or_unknown() -> None:
    assert parse_former_alien_registration_date("", field="f") is None
    assert parse_former_alien_registration_date("平成10年4月1日", field="f") == WarekiDate("heisei", 10, 4, 1)
    approx = parse_former_alien_registration_date("平成10年頃", field="f")
    assert isinstance(approx, UncertainDate)
    assert approx.display() == "平成10年頃"
    unknown = parse_former_alien_registration_date("年月日不詳", field="f")
    assert isinstance(unknown, UncertainDate)
    assert unknown.display() == "年月日不詳"


@pytest.mark.parametrize("text", ["平成24年7月9日", "令和2年頃", "平成10年2月30日"])
def test_a_former_registration_date_after_the_act_or_off_the_calendar_is_refused(text: str) -> None:
    with pytest.raises(DomainError) as raised:
        parse_former_alien_registration_date(text, field="former_alien_registration_date")
    assert raised.value.field == "former_alien_registration_date"
    assert raised.value.remedy


def test_the_last_day_of_the_act_is_accepted() -> None:
    assert parse_former_alien_registration_date("2012-07-08", field="f") == WarekiDate("heisei", 24, 7, 8)


def _person(kind: ResidentKind, **extra: object) -> PersonFacts:
    return PersonFacts(
        kind=kind,
        surname="青木",
        given_name="太郎",
        surname_kana="アオキ",
        given_name_kana="タロウ",
        birth_date=date(1980, 1, 1),
        sex=Sex.MALE,
        relationship=parse_relationship("世帯主"),
        **extra,  # type: ignore[arg-type]
    )


def test_a_japanese_resident_has_no_former_alien_registration_date() -> None:
    registered = WarekiDate("heisei", 10, 4, 1)
    with pytest.raises(DomainError) as raised:
        check_person(
            _person(ResidentKind.JAPANESE, honseki="なし", former_alien_registration_date=registered)
        )
    assert raised.value.field == "former_alien_registration_date"
    facts, _ = check_person(
        _person(ResidentKind.FOREIGN, foreign=REFUGE, former_alien_registration_date=registered)
    )
    assert facts.former_alien_registration_date == registered

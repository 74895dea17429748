"""Every day 1873-01-01 … 2100-12-31 against japanera, an independent implementation (algorithms.md B.2).

japanera stores each era's end as exclusive (``since <= day < until``), so on the overlap days
1912-07-30 and 1926-12-25 it knows only the new era. That matches our display form (B.2 rule 2:
the latest era wins), so the canonical form is compared on *every* day; the old-era spelling that
B.1/1.1.8-a also accepts on those two days is asserted separately, since japanera cannot check it.
japanera also starts 明治 on 1868-01-23 (we: 1868-01-25), which lies before min_supported_date.
"""

from __future__ import annotations

from datetime import date, timedelta

import japanera

from jumin.domain.eras import default_era_table
from jumin.domain.wareki import all_wareki_forms, to_wareki

FIRST, LAST = date(1873, 1, 1), date(2100, 12, 31)
OVERLAP_DAYS = {date(1912, 7, 30): ("taisho", "meiji"), date(1926, 12, 25): ("showa", "taisho")}


def test_every_supported_day_agrees_with_japanera() -> None:
    names = {era.code: era.name for era in default_era_table().eras}
    mismatches: list[str] = []
    day = FIRST
    while day <= LAST:
        theirs = japanera.EraDate.from_date(day).era
        ours = to_wareki(day)
        if (names[ours.era], ours.year) != (theirs.kanji, theirs.calc_relative_year(day)):
            mismatches.append(day.isoformat())
        forms = all_wareki_forms(day)
        if [form.era for form in forms] != list(OVERLAP_DAYS.get(day, (ours.era,))):
            mismatches.append(f"{day.isoformat()} forms")
        day += timedelta(days=1)
    assert mismatches == []


def test_era_first_days_agree_with_japanera_from_taisho_on() -> None:
    theirs = {era.kanji: era.since for era in japanera.ERA_DATA_GENERAL}
    for era in default_era_table().eras[1:]:
        assert theirs[era.name] == era.first_day


def test_overlap_days_accept_both_spellings_per_our_spec() -> None:
    assert [form.display() for form in all_wareki_forms(date(1912, 7, 30))] == [
        "大正元年7月30日",
        "明治45年7月30日",
    ]
    assert [form.display() for form in all_wareki_forms(date(1926, 12, 25))] == [
        "昭和元年12月25日",
        "大正15年12月25日",
    ]

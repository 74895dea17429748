"""EUC analysis (standard 10.1-a/b): nested AND/OR groups, totals grouped by one or two items with
functions, 年齢 at a reference date, card status and the 除票データベース as a source (docs/euc.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.audit.actions import AuditAction
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.domain.recorded_dates import age_on
from jumin.domain.uncertain_dates import UncertainDate, UncertainPattern
from jumin.domain.wareki import WarekiDate
from jumin.registry.cards import CardEventInput, CardEventKind, CardKind, record_card_event
from jumin.registry.euc import services
from jumin.registry.euc.catalogue import age_band
from jumin.registry.euc.definition import describe, parse_definition
from jumin.registry.euc.extraction import prefilter
from jumin.registry.euc.writers import OutputFormat
from jumin.registry.models_euc import EucRun
from jumin.registry.services import DraftRecorded
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_cards import card_clerk
from tests.registry.test_euc import csv_rows, euc_clerk, run
from tests.registry.test_removed_archive import after_years, archived_child, operator, remove

pytestmark = pytest.mark.django_db
__all__ = ["archived_child", "card_clerk", "euc_clerk", "operator"]  # fixtures, imported for use here

# Born 昭和35年4月1日 (世帯主, 一郎), 昭和37年8月15日 (花子), 平成4年9月9日 (三奈), 平成2年1月1日 (二葉).
WOMEN_UNDER_35_OR_THE_HEAD = {
    "items": ["given_name"],
    "combine": "or",
    "conditions": [{"item": "relationship", "op": "eq", "value": "世帯主"}],
    "groups": [
        {
            "combine": "and",
            "conditions": [
                {"item": "sex", "op": "eq", "value": "female"},
                {"item": "age", "op": "lt", "value": "35"},
            ],
        }
    ],
    "reference_date": "令和8年4月1日",
    "sort": [{"item": "age"}],
}


def test_a_nested_group_combines_its_own_conditions_inside_the_outer_or(
    family: DraftRecorded, other_household: DraftRecorded, euc_clerk: User
) -> None:
    definition = parse_definition(WOMEN_UNDER_35_OR_THE_HEAD)
    assert (
        describe(definition)
        == "「続柄」 ＝ 世帯主 または （「性別」 ＝ 女 かつ 「年齢（基準日現在）」 ＜ 35）"
    )
    # 三奈 (33) is the only woman under 35; 二葉 is 36 on 2026-04-01; both heads by the outer OR.
    names = [row[0] for row in csv_rows(run(euc_clerk, WOMEN_UNDER_35_OR_THE_HEAD))[1:]]
    assert names == ["三奈", "太郎", "一郎"]  # sorted by age as a number: 33, 66, 66


def test_an_or_group_is_narrowed_in_sql_only_when_every_member_can_be() -> None:
    answerable = parse_definition(
        {
            "items": ["surname"],
            "conditions": [{"item": "sex", "op": "eq", "value": "male"}],
            "groups": [
                {
                    "combine": "or",
                    "conditions": [
                        {"item": "surname", "op": "eq", "value": "青木"},
                        {"item": "surname", "op": "prefix", "value": "佐"},
                    ],
                }
            ],
        }
    )
    assert "surname__startswith" in str(prefilter(answerable))
    # The inner AND narrows to 性別 (a superset), so the OR of both members can narrow too.
    assert str(prefilter(parse_definition(WOMEN_UNDER_35_OR_THE_HEAD))).startswith("(OR: ")
    computed = parse_definition(
        {
            "items": ["surname"],
            "combine": "or",
            "conditions": [
                {"item": "relationship", "op": "eq", "value": "世帯主"},
                {"item": "resident_years", "op": "lt", "value": "5"},
            ],
            **_ref(),
        }
    )
    # 住民となった日からの年数 is computed in Python only: this OR cannot narrow.
    assert str(prefilter(computed)) == "(AND: )"
    with_age = parse_definition(
        {
            "items": ["surname"],
            "combine": "or",
            "conditions": [
                {"item": "relationship", "op": "eq", "value": "世帯主"},
                {"item": "age", "op": "lt", "value": "35"},
            ],
            **_ref(),
        }
    )
    # 年齢 becomes a 生年月日 range for full dates (since 2026-11-24), so this OR narrows in SQL.
    assert "birth_sort_date__gt" in str(prefilter(with_age))


def test_too_deep_groups_and_a_missing_reference_date_are_refused_naming_the_remedy() -> None:
    deep = {"items": ["surname"], "groups": [{"groups": [{"groups": [{"conditions": []}]}]}]}
    with pytest.raises(DomainError) as too_deep:
        parse_definition(deep)
    assert (too_deep.value.code, too_deep.value.field) == ("euc.too_deep", "groups.0.groups.0.groups")
    with pytest.raises(DomainError) as no_reference:
        parse_definition({**WOMEN_UNDER_35_OR_THE_HEAD, "reference_date": ""})
    assert no_reference.value.code == "euc.reference_date"
    assert "基準日" in no_reference.value.reason
    with pytest.raises(DomainError) as nested_bad:
        parse_definition(
            {"items": ["surname"], "groups": [{"conditions": [{"item": "age", "op": "gt", "value": "x"}]}]}
        )
    assert nested_bad.value.field == "groups.0.conditions.0"
    with pytest.raises(DomainError) as not_numeric:
        parse_definition({"mode": "count", "aggregates": [{"function": "sum", "item": "surname"}]})
    assert not_numeric.value.code == "euc.not_numeric"


def test_a_date_condition_takes_wareki_and_refuses_an_uncertain_date() -> None:
    wareki = parse_definition(
        {"items": ["surname"], "conditions": [{"item": "birth_date", "op": "lt", "value": "昭和37年8月15日"}]}
    )
    assert wareki.conditions[0].values == ("1962-08-15",)
    with pytest.raises(DomainError) as uncertain:
        parse_definition(
            {"items": ["surname"], "conditions": [{"item": "birth_date", "op": "lt", "value": "昭和37年頃"}]}
        )
    assert uncertain.value.code == "euc.date_format"


def test_totals_group_by_two_items_with_sum_average_and_bands(
    family: DraftRecorded, other_household: DraftRecorded, euc_clerk: User
) -> None:
    raw = {
        "mode": "count",
        "group_by": "sex",
        "group_by2": "age_band",
        "aggregates": [{"function": "sum", "item": "age"}, {"function": "avg", "item": "age"}],
        "reference_date": "2026-04-01",
    }
    assert csv_rows(run(euc_clerk, raw)) == [
        ["性別", "年齢階級（5歳）", "件数", "合計（年齢（基準日現在））", "平均（年齢（基準日現在））"],
        ["female", "30～34歳", "1", "33", "33.0"],
        ["female", "35～39歳", "1", "36", "36.0"],
        ["female", "60～64歳", "1", "63", "63.0"],
        ["male", "65～69歳", "2", "132", "66.0"],
    ]
    xml = ET.fromstring(bytes(run(euc_clerk, raw, fmt=OutputFormat.XML).content))  # noqa: S314 (written here)
    assert [item.get("key") for item in xml.iter("item")] == [
        "sex",
        "age_band",
        "count",
        "sum_age",
        "avg_age",
    ]
    whole = run(euc_clerk, {"mode": "count", "aggregates": [{"function": "max", "item": "age"}], **_ref()})
    assert csv_rows(whole)[1] == ["全体", "5", "66"]


def _ref() -> dict[str, Any]:
    return {"reference_date": "2026-04-01"}


def test_age_follows_the_stored_date_and_a_vague_birth_date_gives_no_age() -> None:
    assert age_on(WarekiDate("showa", 35, 4, 1), date(2026, 3, 31)) == 65
    assert age_on(WarekiDate("showa", 35, 4, 1), date(2026, 4, 1)) == 66
    assert age_on(date(2030, 1, 1), date(2026, 4, 1)) is None  # not born yet on the reference date
    year_only = UncertainDate.create(UncertainPattern.U10, era="showa", year=40)
    assert age_on(year_only, date(2026, 4, 1)) is None  # 60 or 61: no single age
    assert age_on(year_only, date(2026, 12, 31)) == 61
    assert age_on(UncertainDate.create(UncertainPattern.U09), date(2026, 4, 1)) is None
    assert [age_band(age) for age in (0, 4, 5, 99, 100, 104)] == [
        "0～4歳",
        "0～4歳",
        "5～9歳",
        "95～99歳",
        "100歳以上",
        "100歳以上",
    ]


def test_card_status_and_expiry_are_items(family: DraftRecorded, euc_clerk: User, card_clerk: User) -> None:
    head, wife, _child = family.atena_numbers
    issued_on = date(2025, 4, 1)
    expiry = date(2035, 4, 1)
    for atena in (head, wife):
        record_card_event(
            actor=card_clerk,
            purpose=PURPOSE,
            entry=CardEventInput(atena, CardEventKind.ISSUED, issued_on, expiry_date=expiry),
        )
    record_card_event(
        actor=card_clerk,
        purpose=PURPOSE,
        entry=CardEventInput(wife, CardEventKind.SUSPENDED, issued_on + timedelta(days=30)),
    )
    raw = {
        "items": ["given_name", "card_individual_number", "card_individual_number_expiry", "card_juki"],
        "sort": [{"item": "atena_number"}],
    }
    assert csv_rows(run(euc_clerk, raw))[1:] == [
        ["太郎", "active", "2035-04-01", "none"],
        ["花子", "suspended", "2035-04-01", "none"],
        ["三奈", "none", "", "none"],
    ]
    holders = {
        "items": ["given_name"],
        "conditions": [{"item": "card_individual_number", "op": "eq", "value": "active"}],
    }
    assert csv_rows(run(euc_clerk, holders))[1:] == [["太郎"]]
    assert CardKind.JUKI.value == "juki"


def test_the_archive_scope_reads_the_removed_archive_copies_only(
    archived_child: str, family: DraftRecorded, clerk: User, reviewer: User, euc_clerk: User
) -> None:
    wife = family.atena_numbers[1]
    remove(clerk, reviewer, wife)  # a 除票 now, not moved to the 除票データベース
    raw = {
        "scope": "archive",
        "items": ["atena_number", "given_name", "status", "household_number", "change_reason", "age"],
        "reference_date": after_years(6).isoformat(),
    }
    rows = csv_rows(run(euc_clerk, raw))
    assert [row[:5] for row in rows[1:]] == [
        [archived_child, "三奈", "removed", family.household_number, "国内転出"]
    ]
    assert rows[1][5].isdigit()  # 年齢 from the copy's 生年月日
    live_removed = csv_rows(run(euc_clerk, {"scope": "removed", "items": ["given_name"]}))
    assert [row[0] for row in live_removed[1:]] == ["花子"]  # the moved 除票 is read in the archive only
    history = csv_rows(run(euc_clerk, {"scope": "history", "items": ["atena_number"]}))
    listed = {row[0] for row in history[1:]}
    assert archived_child not in listed  # an archived person is in the archive scope only (1.1.5-e)
    assert wife in listed
    assert family.atena_numbers[0] in listed
    everyone = csv_rows(run(euc_clerk, {"scope": "current_and_removed", "items": ["atena_number"]}))
    assert archived_child not in {row[0] for row in everyone[1:]}


def test_the_api_checks_a_nested_definition_without_reading_data(
    make_clerk: Callable[..., User],
) -> None:
    client = logged_in(make_clerk("anyone"))
    checked = client.post(
        "/api/registry/euc/definitions/check",
        {"definition": WOMEN_UNDER_35_OR_THE_HEAD},
        content_type="application/json",
    )
    assert checked.status_code == 200
    assert checked.json()["conditions"].startswith("「続柄」 ＝ 世帯主 または （")
    refused = client.post(
        "/api/registry/euc/definitions/check",
        {"definition": {**WOMEN_UNDER_35_OR_THE_HEAD, "reference_date": "いつか"}},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "基準日" in refused.json()["reason"]


@pytest.mark.parametrize(
    "where",
    [
        {"groups": [{"conditions": [{"item": "honseki", "op": "prefix", "value": "長崎"}]}]},
        {"mode": "count", "group_by": "sex", "group_by2": "honseki"},
        {"mode": "count", "aggregates": [{"function": "count", "item": "hittousha"}]},
    ],
    ids=["nested condition", "second grouping item", "function"],
)
def test_an_item_needing_a_field_permission_is_refused_wherever_it_is_named(
    family: DraftRecorded, euc_clerk: User, where: dict[str, Any]
) -> None:
    with pytest.raises(AccessRefused):
        services.request_extraction(
            actor=euc_clerk,
            purpose=PURPOSE,
            raw={"items": ["surname"], **where},
            output_format=OutputFormat.CSV,
        )
    assert AuditEntry.objects.filter(action=AuditAction.EUC_EXTRACTION_RUN, outcome="refused").count() == 1
    assert not EucRun.objects.exists()

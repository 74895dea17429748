"""Identity-information search guard (algorithms.md H, controls.md C-32)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.domain.search_guard import (
    AddressLevel,
    IdentitySearchCriteria,
    SearchType,
    check_identity_search,
    counts_as_given,
)

ADDRESS = "東京都日野市神明1丁目"
REMEDY_ADD_TO_NAME = "氏名に加えて、生年月日または住所を入力してください。"

SG_CASES = [
    pytest.param(
        IdentitySearchCriteria(surname="青木", given_name="太郎", address=ADDRESS),
        SearchType.FOUR_ITEMS,
        id="SG-1",
    ),
    pytest.param(
        IdentitySearchCriteria(
            surname="青木", given_name="太郎", birth_year=1960, birth_month=4, birth_day=1, sex="男"
        ),
        SearchType.FOUR_ITEMS,
        id="SG-2",
    ),
    pytest.param(
        IdentitySearchCriteria(surname="青木", given_name="太郎", sex="男"),
        "identity_search.too_few_items",
        id="SG-3",
    ),
    pytest.param(
        IdentitySearchCriteria(birth_year=1960, birth_month=4, birth_day=1, address=ADDRESS),
        "identity_search.name_required",
        id="SG-4",
    ),
    pytest.param(IdentitySearchCriteria(surname="青木", birth_year=1960), SearchType.FOUR_ITEMS, id="SG-5"),
    pytest.param(
        IdentitySearchCriteria(surname="青木", given_name="太郎", address="*", sex="男"),
        "identity_search.too_few_items",
        id="SG-6",
    ),
    pytest.param(IdentitySearchCriteria(sex="男"), "identity_search.too_few_items", id="SG-7"),
    pytest.param(IdentitySearchCriteria(juminhyo_code="24727059608"), SearchType.EXACT_IDENTIFIER, id="SG-8"),
    pytest.param(
        IdentitySearchCriteria(
            surname="青木",
            given_name="太郎",
            birth_year=1960,
            birth_month=4,
            birth_day=1,
            address=ADDRESS,
            sex="男",
        ),
        SearchType.FOUR_ITEMS,
        id="SG-9",
    ),
]


@pytest.mark.parametrize(("criteria", "expected"), SG_CASES)
def test_search_needs_two_items_other_than_sex_including_the_name(
    criteria: IdentitySearchCriteria, expected: SearchType | str
) -> None:
    if isinstance(expected, SearchType):
        assert check_identity_search(criteria) is expected
    else:
        with pytest.raises(DomainError) as caught:
            check_identity_search(criteria)
        assert caught.value.code == expected
        assert "青木" not in str(caught.value)


def test_name_only_search_says_what_to_add() -> None:
    with pytest.raises(DomainError) as caught:
        check_identity_search(IdentitySearchCriteria(surname="青木", given_name="太郎", sex="男"))
    assert caught.value.remedy == REMEDY_ADD_TO_NAME
    assert "性別以外に2項目以上" in caught.value.reason


def test_wildcard_only_item_is_named_in_the_reason() -> None:
    with pytest.raises(DomainError) as caught:
        check_identity_search(IdentitySearchCriteria(surname="青木", address="＊"))
    assert "ワイルドカード" in caught.value.reason
    assert caught.value.remedy == REMEDY_ADD_TO_NAME


def test_search_without_name_asks_for_the_name() -> None:
    with pytest.raises(DomainError) as caught:
        check_identity_search(IdentitySearchCriteria(birth_year=1960, address=ADDRESS))
    assert caught.value.remedy == "氏名（氏または名）を入力してください。"
    assert caught.value.field == "name"


def test_address_and_birth_date_are_allowed_when_the_name_is_not_required() -> None:
    criteria = IdentitySearchCriteria(birth_year=1960, birth_month=4, birth_day=1, address=ADDRESS)
    assert check_identity_search(criteria, require_name=False) is SearchType.FOUR_ITEMS
    with pytest.raises(DomainError) as caught:
        check_identity_search(IdentitySearchCriteria(birth_year=1960), require_name=False)
    assert caught.value.remedy == "生年月日に加えて、氏名または住所を入力してください。"
    with pytest.raises(DomainError) as caught:
        check_identity_search(IdentitySearchCriteria(sex="女"), require_name=False)
    assert caught.value.remedy == "氏名、生年月日、住所のうち2項目以上を入力してください。"


def test_partial_birth_date_does_not_count_with_the_full_birth_date_setting() -> None:
    criteria = IdentitySearchCriteria(surname="青木", birth_year=1960)
    with pytest.raises(DomainError) as caught:
        check_identity_search(criteria, full_birth_date=True)
    assert caught.value.code == "identity_search.too_few_items"
    assert caught.value.remedy == "氏名に加えて、生年月日（年月日まで）または住所を入力してください。"
    full = IdentitySearchCriteria(surname="青木", birth_year=1960, birth_month=4, birth_day=1)
    assert check_identity_search(full, full_birth_date=True) is SearchType.FOUR_ITEMS


def test_address_above_the_minimum_level_does_not_count_with_the_address_level_setting() -> None:
    coarse = IdentitySearchCriteria(
        surname="青木", address="東京都日野市", address_level=AddressLevel.MUNICIPALITY
    )
    with pytest.raises(DomainError) as caught:
        check_identity_search(coarse, min_address_level=AddressLevel.TOWN)
    assert "町字" in caught.value.remedy
    unknown_level = IdentitySearchCriteria(surname="青木", address=ADDRESS)
    with pytest.raises(DomainError):
        check_identity_search(unknown_level, min_address_level=AddressLevel.TOWN)
    fine = IdentitySearchCriteria(surname="青木", address=ADDRESS, address_level=AddressLevel.BLOCK)
    assert check_identity_search(fine, min_address_level=AddressLevel.TOWN) is SearchType.FOUR_ITEMS
    assert check_identity_search(coarse) is SearchType.FOUR_ITEMS


def test_given_name_alone_counts_as_the_name() -> None:
    assert (
        check_identity_search(IdentitySearchCriteria(given_name="太郎", address=ADDRESS))
        is SearchType.FOUR_ITEMS
    )


@pytest.mark.parametrize("value", ["123456789012", "1234 5678 9012"])
def test_individual_number_search_is_an_exact_identifier_search(value: str) -> None:
    assert (
        check_identity_search(IdentitySearchCriteria(individual_number=value)) is SearchType.EXACT_IDENTIFIER
    )


@pytest.mark.parametrize(
    "criteria",
    [
        IdentitySearchCriteria(juminhyo_code="2472705%"),
        IdentitySearchCriteria(juminhyo_code="2472705960"),
        IdentitySearchCriteria(individual_number="12345678901*"),
    ],
)
def test_partial_identifier_is_refused(criteria: IdentitySearchCriteria) -> None:
    with pytest.raises(DomainError) as caught:
        check_identity_search(criteria)
    assert caught.value.code == "identity_search.identifier_incomplete"


@pytest.mark.parametrize("value", ["%", "*", "＊", "?", "？", "%%", " * ", "", "\u3000", None])
def test_blank_or_wildcard_only_value_does_not_count(value: str | None) -> None:
    assert not counts_as_given(value)


@pytest.mark.parametrize("value", ["青%", "*木", "a"])
def test_value_with_real_characters_counts(value: str) -> None:
    assert counts_as_given(value)


item_text = st.one_of(
    st.none(),
    st.text(alphabet="%*＊?？ ", max_size=4),
    st.text(alphabet="青木太郎%*", min_size=1, max_size=4),
)
birth_part = st.none() | st.integers(min_value=1, max_value=12)


@given(
    item_text,
    item_text,
    birth_part,
    birth_part,
    birth_part,
    item_text,
    st.sampled_from([None, "男", "女"]),
    st.booleans(),
)
def test_allowed_search_always_has_two_counted_items_besides_sex(
    surname: str | None,
    given_name: str | None,
    year: int | None,
    month: int | None,
    day: int | None,
    address: str | None,
    sex: str | None,
    require_name: bool,
) -> None:
    criteria = IdentitySearchCriteria(
        surname=surname,
        given_name=given_name,
        birth_year=year,
        birth_month=month,
        birth_day=day,
        address=address,
        sex=sex,
    )
    name = counts_as_given(surname) or counts_as_given(given_name)
    counted = [name, any(p is not None for p in (year, month, day)), counts_as_given(address)]
    should_pass = sum(counted) >= 2 and (name or not require_name)
    try:
        result = check_identity_search(criteria, require_name=require_name)
    except DomainError:
        assert not should_pass
    else:
        assert should_pass
        assert result is SearchType.FOUR_ITEMS

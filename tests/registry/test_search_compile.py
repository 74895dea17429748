"""The search's conditions compiled once per shape (``registry.search_compile``; docs/search.md).

The ORM is the oracle: for any criteria, the kept SQL text with the derived parameters must equal a
fresh ORM compilation, including values a LIKE must escape. Shapes the derivation cannot reproduce
stay on the ORM's path.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Q
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.registry import search_compile
from jumin.registry.search import (
    REMOVAL_REASONS,
    EmptyField,
    NameMatch,
    SearchCriteria,
    search_filter,
)
from jumin.registry.search_compile import compiled_where, orm_compiled_where

_KANA = st.text(alphabet="アイウエオカキサシタチナヤマミヨッャー", min_size=1, max_size=6)
# Characters a LIKE pattern must escape, among ordinary ones.
_TEXT = st.text(alphabet="佐世保市本町1丁目-%_\\ａＢ", min_size=1, max_size=8)
_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 1))

_criteria = st.builds(
    SearchCriteria,
    kana_name=st.one_of(st.just(""), _KANA),
    kanji_name=st.sampled_from(["", "佐藤", "髙橋一郎", "Smith"]),
    name_mode=st.sampled_from(list(NameMatch)),
    birth_date=st.one_of(
        st.just(""), _DATES.map(date.isoformat), _DATES.map(lambda day: str(day.year)), st.just("昭和35年4月")
    ),
    sex=st.sampled_from(["", "1", "2"]),
    address_code=st.sampled_from(["", "42202900001", "42202900002"]),
    address=st.one_of(st.just(""), _TEXT),
    katagaki=st.one_of(st.just(""), _TEXT),
    relationship=st.sampled_from(["", "子", "妻", "世帯主"]),
    removal_reason=st.sampled_from(["", *REMOVAL_REASONS]),
    empty_fields=st.lists(st.sampled_from(list(EmptyField)), max_size=2, unique=True).map(tuple),
    include_removed=st.booleans(),
    include_past_names=st.booleans(),
    include_past_addresses=st.booleans(),
)


@given(criteria=_criteria)
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_kept_text_and_derived_parameters_equal_the_orm(criteria: SearchCriteria) -> None:
    try:
        q = search_filter(criteria)
    except DomainError:
        assume(False)
        return
    first = compiled_where(q)
    again = compiled_where(q)  # a shape seen before: the kept text and derived parameters
    assert first == orm_compiled_where(q)
    assert again == first


@pytest.mark.parametrize(
    "criteria",
    [
        SearchCriteria(kana_name="サトウタロウ", birth_date="1960-04-01"),
        SearchCriteria(kana_name="サト", name_mode=NameMatch.PREFIX, birth_date="1960"),
        SearchCriteria(kana_name="サト", name_mode=NameMatch.PREFIX, address_code="42202900001"),
        SearchCriteria(kanji_name="佐藤太郎", birth_date="1960-04-01"),
        SearchCriteria(address="佐世保市", katagaki="101%"),
    ],
)
def test_benchmark_shapes_take_the_fast_path(criteria: SearchCriteria) -> None:
    """The P2 shapes (and LIKE conditions) are kept, so a later search of the shape skips the ORM."""
    q = search_filter(criteria)
    compiled_where(q)
    shape = search_compile._shape(q)
    assert shape is not None
    assert search_compile._shapes[shape] is not None


def test_a_shape_whose_text_depends_on_its_values_is_not_kept() -> None:
    """``in`` has one placeholder per value: two lists of different length are different SQL."""
    one = Q(resident_id__in=[1]) & Q(is_current_address=True)
    three = Q(resident_id__in=[1, 2, 3]) & Q(is_current_address=True)
    assert search_compile._shape(one) is None
    assert compiled_where(one) == orm_compiled_where(one)
    assert compiled_where(three) == orm_compiled_where(three)
    assert compiled_where(three)[1].count("%s") == 3


def test_a_related_column_keeps_its_join() -> None:
    """宛名番号 and 世帯番号 name the resident and household tables; the kept shape keeps the joins."""
    q = search_filter(SearchCriteria(atena_number="000000000019"))
    compiled_where(q)
    joins, where, params = compiled_where(q)
    assert (joins, where, params) == orm_compiled_where(q)
    assert joins

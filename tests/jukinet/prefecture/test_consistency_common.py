"""The shared 整合性確認 contract (jukinet.common.consistency): validators, merge and chunking."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jumin.domain.errors import DomainError
from jumin.jukinet.common.consistency import (
    build_chunks,
    chunk_from_payload,
    compare,
    in_range,
    validate_consistency_answer,
)

DIGEST_A = "A" * 22
DIGEST_B = "B" * 22


def payload(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "run_id": str(uuid.uuid4()),
        "municipality_code": "422029",
        "chunk_no": 1,
        "first": "",
        "last": "",
        "entries": [["10000000001", DIGEST_A], ["10000000002", DIGEST_B]],
        "final": True,
        "operator_id": "clerk01",
        "terminal_id": "T001",
    }
    base.update(changes)
    return base


def test_a_valid_chunk_is_parsed() -> None:
    chunk = chunk_from_payload(payload())
    assert chunk.entries == (("10000000001", DIGEST_A), ("10000000002", DIGEST_B))
    assert chunk_from_payload(chunk.as_payload()) == chunk


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"entries": [["10000000002", DIGEST_A], ["10000000001", DIGEST_B]]}, "entries"),
        ({"entries": [["10000000001", DIGEST_A], ["10000000001", DIGEST_B]]}, "entries"),
        ({"first": "10000000001"}, "entries"),
        ({"last": "10000000001"}, "entries"),
        ({"entries": [["1000000000X", DIGEST_A]]}, "entries"),
        ({"entries": [["10000000001", "short"]]}, "entries"),
        ({"entries": [["10000000001"]]}, "entries"),
        ({"entries": [["10000000001", DIGEST_A, "x"]]}, "entries"),
        ({"entries": [{"code": "10000000001"}]}, "entries"),
        ({"entries": [[10000000001, DIGEST_A]]}, "entries"),
        ({"entries": [["10000000001", DIGEST_A], "10000000002"]}, "entries"),
        ({"entries": [["10000000001", None]]}, "entries"),
        ({"chunk_no": 0}, "chunk_no"),
        ({"first": "10000000009", "last": "10000000001", "entries": []}, "last"),
        ({"run_id": "not-a-uuid"}, "run_id"),
        ({"municipality_code": "42202"}, "municipality_code"),
        ({"final": 1}, "final"),
    ],
)
def test_a_bad_chunk_is_refused(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        chunk_from_payload(payload(**changes))
    assert caught.value.field == field


def test_an_unknown_key_is_refused() -> None:
    with pytest.raises(DomainError):
        chunk_from_payload({**payload(), "name": "x"})


def test_the_answer_validator_wants_three_lists_of_codes() -> None:
    validate_consistency_answer({"missing_here": ["10000000001"], "extra_here": [], "different": []})
    with pytest.raises(DomainError):
        validate_consistency_answer({"missing_here": ["x"], "extra_here": [], "different": []})
    with pytest.raises(DomainError):
        validate_consistency_answer({"missing_here": [], "extra_here": []})


def test_compare_finds_each_kind_of_difference() -> None:
    sent = [("1", "a"), ("2", "b"), ("4", "d")]
    held = [("2", "B"), ("3", "c"), ("4", "d"), ("5", "e")]
    result = compare(sent, held)
    assert result.missing_here == ["1"]
    assert result.extra_here == ["3", "5"]
    assert result.different == ["2"]


entries_strategy = st.dictionaries(
    st.integers(min_value=10**10, max_value=10**10 + 200).map(str), st.sampled_from(["a", "b"]), max_size=40
)


@given(entries_strategy, entries_strategy)
def test_compare_agrees_with_set_arithmetic(mine: dict[str, str], theirs: dict[str, str]) -> None:
    result = compare(sorted(mine.items()), sorted(theirs.items()))
    assert result.missing_here == sorted(set(mine) - set(theirs))
    assert result.extra_here == sorted(set(theirs) - set(mine))
    assert result.different == sorted(code for code in set(mine) & set(theirs) if mine[code] != theirs[code])


@given(entries_strategy, st.integers(min_value=1, max_value=7))
def test_chunks_cover_every_code_exactly_once(entries: dict[str, str], size: int) -> None:
    ordered = sorted(entries.items())
    chunks = list(
        build_chunks(
            ordered,
            run_id=str(uuid.uuid4()),
            municipality_code="422029",
            operator_id="o",
            terminal_id="t",
            size=size,
        )
    )
    assert [c.chunk_no for c in chunks] == list(range(1, len(chunks) + 1))
    assert chunks[0].first == ""
    assert chunks[-1].last == ""
    assert chunks[-1].final
    assert not any(c.final for c in chunks[:-1])
    for before, after in itertools.pairwise(chunks):
        assert before.last == after.first
    assert [e for c in chunks for e in c.entries] == ordered
    for code in [str(10**10 + n) for n in range(0, 201, 13)]:
        assert sum(in_range(code, c.first, c.last) for c in chunks) == 1

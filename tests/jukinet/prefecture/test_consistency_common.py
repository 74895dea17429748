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
    ConsistencyChunk,
    build_chunks,
    chunk_digest,
    chunk_from_payload,
    compare,
    in_range,
    summarise,
    summary_from_payload,
    validate_consistency_answer,
    validate_summary_answer,
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


def summary_payload(**changes: Any) -> dict[str, Any]:
    chunk = chunk_from_payload(payload())
    summary = summarise(chunk)
    assert summary is not None
    return {**summary.as_payload(), **changes}


def test_a_chunk_summary_carries_its_range_count_and_digest() -> None:
    chunk = chunk_from_payload(payload())
    summary = summarise(chunk)
    assert summary is not None
    assert (summary.count, summary.first, summary.last, summary.final) == (2, "", "", True)
    assert summary_from_payload(summary.as_payload()) == summary
    assert summary.matches(list(chunk.entries))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"count": -1}, "count"),
        ({"count": 20_001}, "count"),
        ({"count": True}, "count"),
        ({"count": "2"}, "count"),
        ({"chunk_digest": "0" * 63}, "chunk_digest"),
        ({"chunk_digest": "G" * 64}, "chunk_digest"),
        ({"chunk_digest": None}, "chunk_digest"),
        ({"run_id": "not-a-uuid"}, "run_id"),
        ({"first": "10000000002", "last": "10000000001"}, "last"),
        ({"entries": []}, "payload"),  # a summary has no entries
    ],
)
def test_a_bad_summary_is_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        summary_from_payload(summary_payload(**changes))
    assert caught.value.field == field
    assert caught.value.remedy


def test_the_summary_answer_validator_wants_one_boolean() -> None:
    validate_summary_answer({"match": False})
    for bad in ({"match": "yes"}, {"match": 1}, {}, {"match": True, "different": []}):
        with pytest.raises(DomainError):
            validate_summary_answer(bad)


def test_the_chunk_digest_changes_with_any_digest_code_or_count_at_equal_widths() -> None:
    entries = [("10000000001", DIGEST_A), ("10000000002", DIGEST_B)]
    digest = chunk_digest(entries)
    assert digest is not None
    assert len(digest) == 64
    assert chunk_digest(list(entries)) == digest
    assert chunk_digest([entries[0], ("10000000002", DIGEST_A)]) != digest  # one record's contents
    assert chunk_digest([entries[0], ("10000000003", DIGEST_B)]) != digest  # another person
    assert chunk_digest(entries[:1]) != digest
    assert chunk_digest([]) is not None


def test_a_chunk_of_other_widths_has_no_digest_and_goes_in_full() -> None:
    # Without fixed widths "1"+"0000000000…" could read back as another split of the same characters.
    assert chunk_digest([("1000000000", "1" + DIGEST_A)]) is None
    assert chunk_digest([("10000000001", DIGEST_A[:-1])]) is None
    chunk = ConsistencyChunk(
        run_id=str(uuid.uuid4()),
        municipality_code="422029",
        chunk_no=1,
        first="",
        last="",
        entries=(("10000000001", "short"),),
        final=True,
        operator_id="o",
        terminal_id="t",
    )
    assert summarise(chunk) is None


fixed_strategy = st.dictionaries(
    st.integers(min_value=10**10, max_value=10**10 + 50).map(str),
    st.sampled_from([DIGEST_A, DIGEST_B]),
    max_size=12,
)


@given(fixed_strategy, fixed_strategy)
def test_equal_chunk_digests_mean_equal_chunks(mine: dict[str, str], theirs: dict[str, str]) -> None:
    same_digest = chunk_digest(sorted(mine.items())) == chunk_digest(sorted(theirs.items()))
    assert same_digest == (mine == theirs)

"""整合性確認 (system.md F14): the chunked comparison of a CS file with the prefecture's or the national file.

The CS sends its whole file as a sequence of ``jukinet.query.consistency`` queries, one chunk each.
A chunk covers the 住民票コード range ``first < code ≤ last`` ("" = open end) of one municipality and
lists ``[resident_code, digest]`` pairs in ascending code order; ``digest`` is
``common.notice.consistency_digest`` of the record. Consecutive chunks share a bound (the ``last`` of
one is the ``first`` of the next), the first chunk opens with "" and the final one ends with "", so the
chunks together cover every possible code and the receiver reports its own extra records too.

The receiver reads only (code, digest) of its current records of that municipality in the range
(an index on (municipality_code, resident_code)) and answers with ``compare``: one merge of two
sorted sequences, O(n + m) (performance.md P6: 1,000,000 records within 30 s).

Digest first (``jukinet.query.consistency_digest``, wire format 1 of the chunk digest): before a chunk's
entries, the CS sends only its range, its count and ``chunk_digest`` of its entries (SHA-256 over the
fixed-width codes, then the fixed-width digests). The receiver computes the same over what it holds in
that range: equal digests and counts mean the two sequences are identical, and the chunk is logged as
compared with no difference; otherwise (or when either side's rows are not of the fixed widths, or the
receiver does not know the query) the CS sends the chunk's entries as above and the merge names every
differing code. A forged or wrong digest can only make the receiver answer "differs", never hide a
difference: the receiver trusts no digest but its own computation over its own rows.

Pure Python (no Django): the CS, the prefecture and the national node use the same functions.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from itertools import islice
from operator import itemgetter, lt
from typing import Any

from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_operator, require_keys

#: At most this many entries per chunk: about 1 MiB of JSON, the messaging size limit.
MAX_ENTRIES = 20_000
#: At most this many codes in each list of an answer (a receiver holding more extras than this in one
#: chunk's range is reporting a gross mismatch; the CS re-runs with smaller chunks).
MAX_ANSWER_CODES = 100_000

PAYLOAD_KEYS = frozenset(
    {
        "run_id",
        "municipality_code",
        "chunk_no",
        "first",
        "last",
        "entries",
        "final",
        "operator_id",
        "terminal_id",
    }
)
ANSWER_KEYS = frozenset({"missing_here", "extra_here", "different"})
#: What a chunk and its summary share.
HEADER_KEYS = (
    "run_id",
    "municipality_code",
    "chunk_no",
    "first",
    "last",
    "final",
    "operator_id",
    "terminal_id",
)
SUMMARY_KEYS = (PAYLOAD_KEYS - {"entries"}) | {"count", "chunk_digest"}
SUMMARY_ANSWER_KEYS = frozenset({"match"})
#: Domain separation and version of ``chunk_digest``: a changed definition gets a new label.
CHUNK_DIGEST_LABEL = b"jumin.consistency.chunk-digest.v1\n"
_CHUNK_DIGEST = re.compile(r"^[0-9a-f]{64}$")

_CODE = re.compile(r"^\d{11}$")
CODE_LENGTH = 11
DIGEST_LENGTH = 22
_DIGITS = re.compile(r"[0-9]*")
_DIGEST_TEXT = re.compile(r"[A-Za-z0-9_-]*")
_MUNICIPALITY = re.compile(r"^\d{6}$")
#: A pair is a JSON array as received, or a tuple where the sender validates what it builds.
_PAIR_TYPES = {list, tuple}

Entry = tuple[str, str]


class ConsistencyFile(StrEnum):
    """Which file a run compares: the 本人確認情報 (F14, with the prefecture and the national node) or
    the 附票本人確認情報 (004 2-⑥, with the prefecture's 附票都道府県サーバ only). Same chunks; each
    file has digests of its own."""

    IDENTITY = "identity"
    FUHYO = "fuhyo"

    @property
    def label(self) -> str:
        """The file's name as the screens show it."""
        return {ConsistencyFile.IDENTITY: "本人確認情報", ConsistencyFile.FUHYO: "附票本人確認情報"}[self]


_CONSISTENCY = "jukinet.consistency"


def _bad(field_name: str, reason: str, remedy: str) -> DomainError:
    return refusal(field_name, reason, remedy, _CONSISTENCY)


@dataclass(frozen=True)
class ConsistencyChunk:
    """One validated chunk of a CS file (the payload of one ``jukinet.query.consistency``)."""

    run_id: str
    municipality_code: str
    chunk_no: int
    first: str
    last: str
    entries: tuple[Entry, ...]
    final: bool
    operator_id: str
    terminal_id: str

    def as_payload(self) -> dict[str, Any]:
        """The JSON payload of the query."""
        return {
            "run_id": self.run_id,
            "municipality_code": self.municipality_code,
            "chunk_no": self.chunk_no,
            "first": self.first,
            "last": self.last,
            "entries": list(self.entries),  # (code, digest) tuples: JSON arrays on the wire
            "final": self.final,
            "operator_id": self.operator_id,
            "terminal_id": self.terminal_id,
        }


@dataclass(frozen=True)
class ConsistencyResult:
    """The differences found in one chunk, each list in ascending code order."""

    missing_here: list[str] = field(default_factory=list)
    extra_here: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)

    def as_answer(self) -> dict[str, Any]:
        """The JSON answer of the query."""
        return {"missing_here": self.missing_here, "extra_here": self.extra_here, "different": self.different}

    @property
    def count(self) -> int:
        """Number of differing codes."""
        return len(self.missing_here) + len(self.extra_here) + len(self.different)


@dataclass(frozen=True)
class ConsistencySummary:
    """A chunk without its entries: its range, count and ``chunk_digest``
    (the payload of ``jukinet.query.consistency_digest``)."""

    run_id: str
    municipality_code: str
    chunk_no: int
    first: str
    last: str
    count: int
    chunk_digest: str
    final: bool
    operator_id: str
    terminal_id: str

    def as_payload(self) -> dict[str, Any]:
        """The JSON payload of the query (every field is a string, an integer or a boolean)."""
        return asdict(self)

    def matches(self, held: Sequence[Entry]) -> bool:
        """Whether ``held`` (the receiver's ascending pairs in the range) is exactly the sender's chunk."""
        return len(held) == self.count and chunk_digest(held) == self.chunk_digest


def chunk_digest(entries: Sequence[Entry]) -> str | None:
    """SHA-256 (hex) of ascending (code, digest) pairs: the count, every code, then every digest.

    Codes and digests have fixed widths, so the concatenation reads back in one way only and equal
    digests mean equal sequences. None when a pair is not of those widths: such a chunk goes in full,
    where the validator names the fault.
    """
    # Both sides digest strings from their own CharFields (a sender's entries are never taken from the
    # wire here), so only the widths need checking, with C-level passes over each column.
    codes, digests = tuple(zip(*entries, strict=True)) if entries else ((), ())
    if set(map(len, codes)) - {CODE_LENGTH} or set(map(len, digests)) - {DIGEST_LENGTH}:
        return None
    hasher = hashlib.sha256(CHUNK_DIGEST_LABEL)
    hasher.update(f"{len(entries)}\n".encode("ascii"))
    hasher.update("".join(codes).encode("utf-8"))
    hasher.update("".join(digests).encode("utf-8"))
    return hasher.hexdigest()


def summarise(chunk: ConsistencyChunk) -> ConsistencySummary | None:
    """The chunk's summary, or None when its entries are not of the fixed widths (send it in full)."""
    digest = chunk_digest(chunk.entries)
    if digest is None:
        return None
    header = {name: getattr(chunk, name) for name in HEADER_KEYS}
    return ConsistencySummary(**header, count=len(chunk.entries), chunk_digest=digest)


def in_range(code: str, first: str, last: str) -> bool:
    """``first < code ≤ last`` with "" as an open end (11-digit codes compare correctly as strings)."""
    return (not first or code > first) and (not last or code <= last)


def _check_bound(payload: dict[str, Any], name: str) -> str:
    value = payload[name]
    if not isinstance(value, str) or (value and not _CODE.match(value)):
        raise _bad(name, "範囲の住民票コードが不正です。", "11桁の数字または空文字を送ってください。")
    return value


def _check_entries(raw: object, first: str, last: str) -> tuple[Entry, ...]:
    # Checked column-wise with C-level passes (map, set, one join and one regular expression per
    # column, pairwise comparison) rather than a Python loop per entry: a chunk holds up to 20,000
    # entries and this runs on both ends of every chunk (performance.md P6).
    if not isinstance(raw, list) or len(raw) > MAX_ENTRIES:
        raise _bad("entries", "整合性確認の明細が不正です。", f"{MAX_ENTRIES}件以内の配列を送ってください。")
    if raw and (not set(map(type, raw)) <= _PAIR_TYPES or set(map(len, raw)) != {2}):
        raise _bad("entries", "明細は［住民票コード, ダイジェスト］の組です。", "形式を確認してください。")
    codes = list(map(itemgetter(0), raw))
    digests = list(map(itemgetter(1), raw))
    if codes and (
        set(map(type, codes)) != {str}
        or set(map(len, codes)) != {CODE_LENGTH}
        or not _DIGITS.fullmatch("".join(codes))
    ):
        raise _bad("entries", "明細の住民票コードが不正です。", "11桁の数字を送ってください。")
    if digests and (
        set(map(type, digests)) != {str}
        or set(map(len, digests)) != {DIGEST_LENGTH}
        or not _DIGEST_TEXT.fullmatch("".join(digests))
    ):
        raise _bad("entries", "明細のダイジェストが不正です。", "22文字のダイジェストを送ってください。")
    # Strictly ascending (sorted, no duplicate), inside the range.
    if (codes and first and codes[0] <= first) or not all(map(lt, codes, islice(codes, 1, None))):
        raise _bad(
            "entries",
            "明細が住民票コードの昇順でないか、範囲外です。",
            "範囲内のコードを重複なく昇順に並べてください。",
        )
    if codes and last and codes[-1] > last:
        raise _bad("entries", "明細が範囲外です。", "範囲内のコードだけを送ってください。")
    return tuple(zip(codes, digests, strict=True))


def chunk_from_validated(payload: dict[str, Any]) -> ConsistencyChunk:
    """The chunk of a payload the messaging layer has already validated with ``validate_consistency_payload``
    (a query's answerer runs only after its payload passed the registered validator): built as it is,
    without checking the entries a second time."""
    return ConsistencyChunk(
        run_id=payload["run_id"],
        municipality_code=payload["municipality_code"],
        chunk_no=payload["chunk_no"],
        first=payload["first"],
        last=payload["last"],
        entries=tuple(map(tuple, payload["entries"])),
        final=payload["final"],
        operator_id=payload["operator_id"],
        terminal_id=payload["terminal_id"],
    )


def _check_header(payload: dict[str, Any]) -> dict[str, Any]:
    """Check what a chunk and its summary share (``HEADER_KEYS``); returns those items."""
    run_id = payload["run_id"]
    try:
        valid_run = isinstance(run_id, str) and str(uuid.UUID(run_id)) == run_id
    except ValueError:
        valid_run = False
    if not valid_run:
        raise _bad("run_id", "実行IDが不正です。", "小文字のUUIDを送ってください。")
    municipality = payload["municipality_code"]
    if not isinstance(municipality, str) or not _MUNICIPALITY.match(municipality):
        raise _bad("municipality_code", "市町村コードが不正です。", "6桁の数字を送ってください。")
    chunk_no = payload["chunk_no"]
    if not isinstance(chunk_no, int) or isinstance(chunk_no, bool) or chunk_no < 1:
        raise _bad("chunk_no", "チャンク番号が不正です。", "1以上の整数を送ってください。")
    first, last = _check_bound(payload, "first"), _check_bound(payload, "last")
    if first and last and first >= last:
        raise _bad("last", "範囲の終わりが始まり以下です。", "first < last となる範囲を送ってください。")
    if not isinstance(payload["final"], bool):
        raise _bad("final", "最終チャンクの指定が不正です。", "true または false を送ってください。")
    check_operator(payload, _CONSISTENCY)
    return {name: payload[name] for name in HEADER_KEYS}


def chunk_from_payload(payload: dict[str, Any]) -> ConsistencyChunk:
    """Validate a query payload (exact keys, formats, sorted unique entries inside the range)."""
    payload = require_keys(payload, PAYLOAD_KEYS, _CONSISTENCY, what="整合性確認")
    header = _check_header(payload)
    entries = _check_entries(payload["entries"], header["first"], header["last"])
    return ConsistencyChunk(**header, entries=entries)


def validate_consistency_payload(payload: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.query.consistency`` payloads."""
    chunk_from_payload(payload)


def validate_consistency_answer(answer: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.query.consistency`` answers: three lists of codes."""
    answer = require_keys(
        answer,
        ANSWER_KEYS,
        _CONSISTENCY,
        what="整合性確認の結果",
        field="answer",
        remedy="定義された項目だけを返してください。",
    )
    for name in sorted(ANSWER_KEYS):
        codes = answer[name]
        if not isinstance(codes, list) or len(codes) > MAX_ANSWER_CODES:
            raise _bad(name, "整合性確認の結果が不正です。", "住民票コードの配列を返してください。")
        if not all(isinstance(code, str) and _CODE.match(code) for code in codes):
            raise _bad(name, "整合性確認の結果の住民票コードが不正です。", "11桁の数字を返してください。")


def summary_from_payload(payload: dict[str, Any]) -> ConsistencySummary:
    """Validate a ``jukinet.query.consistency_digest`` payload (exact keys, formats, count, digest)."""
    payload = require_keys(payload, SUMMARY_KEYS, _CONSISTENCY, what="整合性確認（ダイジェスト）")
    header = _check_header(payload)
    count = payload["count"]
    if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= MAX_ENTRIES:
        raise _bad("count", "チャンクの件数が不正です。", f"0以上{MAX_ENTRIES}以下の整数を送ってください。")
    digest = payload["chunk_digest"]
    if not isinstance(digest, str) or not _CHUNK_DIGEST.match(digest):
        raise _bad(
            "chunk_digest", "チャンクのダイジェストが不正です。", "64桁の16進数（小文字）を送ってください。"
        )
    return ConsistencySummary(**header, count=count, chunk_digest=digest)


def validate_summary_payload(payload: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.query.consistency_digest`` payloads."""
    summary_from_payload(payload)


def validate_summary_answer(answer: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.query.consistency_digest`` answers: ``{"match": bool}``."""
    answer = require_keys(
        answer,
        SUMMARY_ANSWER_KEYS,
        _CONSISTENCY,
        what="整合性確認（ダイジェスト）の結果",
        field="answer",
        remedy="定義された項目だけを返してください。",
    )
    if not isinstance(answer["match"], bool):
        raise _bad("match", "ダイジェスト照合の結果が不正です。", "true または false を返してください。")


def compare(sent: Iterable[Entry], held: Iterable[Entry]) -> ConsistencyResult:
    """What the receiver lacks, has extra, or has differently, each list in ascending code order.

    ``sent`` is the sender's chunk, ``held`` the receiver's records in the same range; both must be
    sorted by code without duplicates (the validator guarantees it for ``sent``, the receiver's
    ORDER BY on its unique 住民票コード for ``held``).
    """
    mine, theirs = list(sent), list(held)
    if mine == theirs:  # the usual chunk: one C-level comparison of the two sequences
        return ConsistencyResult()
    # Set differences in C rather than a Python merge loop: with unique codes on each side, a code
    # whose pair is not on the other side is missing there, extra here, or held with another digest.
    sent_codes = {code for code, _ in set(mine).difference(theirs)}
    held_codes = {code for code, _ in set(theirs).difference(mine)}
    return ConsistencyResult(
        missing_here=sorted(sent_codes - held_codes),
        extra_here=sorted(held_codes - sent_codes),
        different=sorted(sent_codes & held_codes),
    )


def build_chunks(
    entries: Sequence[Entry],
    *,
    run_id: str,
    municipality_code: str,
    operator_id: str,
    terminal_id: str,
    size: int = MAX_ENTRIES,
) -> Iterator[ConsistencyChunk]:
    """Split a whole ascending file into chunks whose ranges together cover every code.

    An empty file still gives one (final, open-ended) chunk, so the receiver reports all it holds.
    """
    if not 1 <= size <= MAX_ENTRIES:
        raise ValueError("chunk size out of range")
    start = 0
    first = ""
    chunk_no = 1
    while True:
        part = tuple(entries[start : start + size])
        final = start + size >= len(entries)
        last = "" if final else part[-1][0]
        yield ConsistencyChunk(
            run_id=run_id,
            municipality_code=municipality_code,
            chunk_no=chunk_no,
            first=first,
            last=last,
            entries=part,
            final=final,
            operator_id=operator_id,
            terminal_id=terminal_id,
        )
        if final:
            return
        first, start, chunk_no = last, start + size, chunk_no + 1

"""Entering several movers of one household at once (一括入力, standard 4.0.10-a).

The common items of a 届出 (異動日, 届出日, 住所, 転入前住所 …) are entered once for the household; the
per-person items are entered per row. To save typing, items one member shares with another are copied
into the blank fields of the rows (「共通項目を複写」):

- the 氏 (with its フリガナ) from the previous member, the 世帯主 or the row's 筆頭者, as the clerk chooses;
- 本籍 and 筆頭者 together from the previous member, or the 本籍 alone from the new 住所;
- a foreign resident's 国籍・地域 from the previous foreign member.

Copying stays within one 住民種別: a Japanese row never takes a foreign row's items and the reverse
(the standard keeps the two apart). The 旧氏 is never copied (it is one person's own). A filled field is
never overwritten. The copy is shown to the clerk before the draft is entered; nothing is guessed at save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from jumin.domain.errors import DomainError
from jumin.domain.resident import ResidentKind

HEAD_TEXT = "世帯主"


class SurnameSource(StrEnum):
    """Where a blank 氏 is copied from."""

    PREVIOUS = "previous"  # 前の方
    HEAD = "head"  # 世帯主
    HITTOUSHA = "hittousha"  # 筆頭者（本籍の筆頭者の氏）


class HonsekiSource(StrEnum):
    """Where a blank 本籍 is copied from."""

    PREVIOUS = "previous"  # 前の方の本籍・筆頭者
    ADDRESS = "address"  # 転入先の住所


HONSEKI_SOURCE_LABELS: Mapping[HonsekiSource, str] = {
    HonsekiSource.PREVIOUS: "前の方の本籍・筆頭者",
    HonsekiSource.ADDRESS: "転入先の住所（筆頭者は複写しません）",
}

SURNAME_SOURCE_LABELS: Mapping[SurnameSource, str] = {
    SurnameSource.PREVIOUS: "前の方の氏",
    SurnameSource.HEAD: "世帯主の氏",
    SurnameSource.HITTOUSHA: "筆頭者の氏（日本人住民）",
}


@dataclass(frozen=True)
class CopiedItem:
    """One field a copy filled: the row (0-based) and the field name."""

    row: int
    field: str


def _blank(row: Mapping[str, str], field: str) -> bool:
    return not str(row.get(field, "") or "").strip()


def _kind(row: Mapping[str, str]) -> str:
    return str(row.get("kind") or ResidentKind.JAPANESE)


def _is_used(row: Mapping[str, str]) -> bool:
    """A row with any name or date in it; an untouched extra row takes no copies."""
    return any(not _blank(row, f) for f in ("given_name", "given_name_kana", "birth_date", "relationship"))


def _surname_of_full_name(full_name: str) -> str:
    """The 氏 of a full name written 「氏 名」 (a half- or full-width space between), "" without one."""
    parts = full_name.replace("\u3000", " ").split()
    return parts[0] if len(parts) > 1 else ""


def _surname_source(rows: list[dict[str, str]], index: int, source: SurnameSource) -> dict[str, str] | None:
    kind = _kind(rows[index])
    if source is SurnameSource.HEAD:
        return next(
            (
                r
                for r in rows
                if r is not rows[index]
                and _kind(r) == kind
                and str(r.get("relationship", "")).strip() == HEAD_TEXT
                and not _blank(r, "surname")
            ),
            None,
        )
    if source is SurnameSource.HITTOUSHA:
        surname = _surname_of_full_name(str(rows[index].get("hittousha", "")))
        if kind != ResidentKind.JAPANESE or not surname:
            return None
        # The reading comes from a member of that 氏 when one has it; otherwise it stays blank.
        same = next((r for r in rows if r.get("surname") == surname and not _blank(r, "surname_kana")), None)
        return {"surname": surname, "surname_kana": same["surname_kana"] if same else ""}
    return next(
        (r for r in reversed(rows[:index]) if _kind(r) == kind and not _blank(r, "surname")),
        None,
    )


def _previous_with(rows: list[dict[str, str]], index: int, field: str) -> dict[str, str] | None:
    kind = _kind(rows[index])
    return next((r for r in reversed(rows[:index]) if _kind(r) == kind and not _blank(r, field)), None)


def copy_between_rows(
    rows: Sequence[Mapping[str, str]],
    surname_source: SurnameSource = SurnameSource.PREVIOUS,
    honseki_source: HonsekiSource = HonsekiSource.PREVIOUS,
    address: str = "",
) -> tuple[list[dict[str, str]], list[CopiedItem]]:
    """The rows with shared items copied into their blank fields, and which fields were filled.

    ``address`` is the household's new 住所, the source of the 本籍 with ``HonsekiSource.ADDRESS``."""
    filled = [dict(row) for row in rows]
    copied: list[CopiedItem] = []

    def take(index: int, source: Mapping[str, str] | None, *names: str) -> None:
        if source is None:
            return
        for name in names:
            if _blank(filled[index], name) and not _blank(source, name):
                filled[index][name] = source[name]
                copied.append(CopiedItem(index, name))

    for index, row in enumerate(filled):
        if not _is_used(row):
            continue
        if _kind(row) == ResidentKind.JAPANESE:
            if honseki_source is HonsekiSource.ADDRESS:
                take(index, {"honseki": address}, "honseki")
            elif _blank(row, "honseki") and _blank(row, "hittousha"):
                take(index, _previous_with(filled, index, "honseki"), "honseki", "hittousha")
        else:
            take(index, _previous_with(filled, index, "nationality_code"), "nationality_code")
        if _blank(row, "surname"):
            take(index, _surname_source(filled, index, surname_source), "surname", "surname_kana")
    return filled, copied


def per_member(index: int, error: DomainError) -> DomainError:
    """The error of one member's item named by its row: 「surname」 → 「members[1].surname」."""
    if error.field.startswith("members["):
        return error
    return DomainError(
        field=f"members[{index}].{error.field}",
        reason=error.reason,
        remedy=error.remedy,
        code=error.code,
    )

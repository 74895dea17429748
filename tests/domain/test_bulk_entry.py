"""一括入力: copying shared items between the member rows of one household (standard 4.0.10-a)."""

from __future__ import annotations

from jumin.domain.bulk_entry import (
    CopiedItem,
    HonsekiSource,
    SurnameSource,
    copy_between_rows,
    per_member,
)
from jumin.domain.errors import DomainError

HEAD = {
    "kind": "J",
    "surname": "青木",
    "surname_kana": "アオキ",
    "given_name": "太郎",
    "relationship": "世帯主",
    "honseki": "長崎県佐世保市八幡町1番地",
    "hittousha": "青木 太郎",
    "former_surname": "山田",
}


def row(**values: str) -> dict[str, str]:
    return {"kind": "J", "given_name": "花子", "relationship": "妻", **values}


def test_blank_surname_honseki_and_hittousha_are_copied_from_the_previous_member() -> None:
    rows, copied = copy_between_rows([HEAD, row()])
    assert rows[1]["surname"] == "青木"
    assert rows[1]["surname_kana"] == "アオキ"
    assert rows[1]["honseki"] == HEAD["honseki"]
    assert rows[1]["hittousha"] == "青木 太郎"
    assert {item.field for item in copied} == {"surname", "surname_kana", "honseki", "hittousha"}
    assert all(item.row == 1 for item in copied)


def test_the_former_surname_is_never_copied() -> None:
    rows, _ = copy_between_rows([HEAD, row()])
    assert rows[1].get("former_surname", "") == ""


def test_a_filled_field_is_never_overwritten() -> None:
    rows, copied = copy_between_rows([HEAD, row(surname="佐藤", surname_kana="サトウ", honseki="東京都")])
    assert (rows[1]["surname"], rows[1]["honseki"]) == ("佐藤", "東京都")
    assert rows[1].get("hittousha", "") == ""  # 本籍 and 筆頭者 go together: one entered, none copied
    assert copied == []


def test_the_surname_can_come_from_the_head_rather_than_the_previous_member() -> None:
    other = row(surname="佐藤", surname_kana="サトウ", relationship="妻の母")
    rows, _ = copy_between_rows([HEAD, other, row(relationship="子")], SurnameSource.HEAD)
    assert rows[2]["surname"] == "青木"
    previous, _ = copy_between_rows([HEAD, other, row(relationship="子")], SurnameSource.PREVIOUS)
    assert previous[2]["surname"] == "佐藤"


def test_the_surname_can_come_from_the_hittousha_with_the_reading_of_a_member_of_that_name() -> None:
    rows, _ = copy_between_rows(
        [HEAD, row(hittousha="青木　太郎", honseki="長崎県")], SurnameSource.HITTOUSHA
    )
    assert (rows[1]["surname"], rows[1]["surname_kana"]) == ("青木", "アオキ")


def test_japanese_and_foreign_rows_never_copy_from_each_other() -> None:
    foreign = {"kind": "F", "given_name": "AN", "relationship": "同居人", "nationality_code": "704"}
    sibling = {**foreign, "nationality_code": "", "surname": "NGUYEN"}
    rows, copied = copy_between_rows([HEAD, foreign, sibling])
    assert rows[1].get("surname", "") == ""  # not the Japanese head's 氏
    assert rows[1].get("honseki", "") == ""
    assert rows[2]["nationality_code"] == "704"  # from the previous foreign member
    assert CopiedItem(2, "nationality_code") in copied


def test_an_untouched_extra_row_takes_no_copies() -> None:
    rows, copied = copy_between_rows([HEAD, {"kind": "J"}])
    assert rows[1] == {"kind": "J"}
    assert copied == []


def test_per_member_names_the_row_of_the_field() -> None:
    error = DomainError(field="surname_kana", reason="r", remedy="m", code="c")
    assert per_member(2, error).field == "members[2].surname_kana"
    assert per_member(2, per_member(0, error)).field == "members[0].surname_kana"


def test_the_honseki_can_be_copied_from_the_new_address_without_the_hittousha() -> None:
    rows, copied = copy_between_rows(
        [HEAD, row()], honseki_source=HonsekiSource.ADDRESS, address="長崎県佐世保市相生町1番1号"
    )
    assert rows[1]["honseki"] == "長崎県佐世保市相生町1番1号"
    assert rows[1].get("hittousha", "") == ""
    assert rows[0]["honseki"] == HEAD["honseki"]  # filled: kept
    assert CopiedItem(1, "honseki") in copied

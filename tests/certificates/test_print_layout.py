"""The certificate template's flat layout: items two to a row, reduced type sizes as classes (P4)."""

from __future__ import annotations

from jumin.certificates.documents import Line, PrintedPerson
from jumin.certificates.rendering import SCALE_RULES
from jumin.domain.certificates import SHRINK_STEPS


def _person(count: int) -> PrintedPerson:
    items = tuple(Line(f"項目{index}", f"値{index}") for index in range(count))
    return PrintedPerson(atena_number="0", name="見本　一郎", furigana="", items=items, notes=(), history=())


def test_items_are_printed_two_to_a_row_and_an_odd_last_item_gets_an_empty_pair() -> None:
    rows = _person(5).item_rows
    assert [(left.label, right.label) for left, right in rows] == [
        ("項目0", "項目1"),
        ("項目2", "項目3"),
        ("項目4", ""),
    ]
    assert [right.value for _left, right in rows][-1] == ""
    assert len(_person(4).item_rows) == 2
    assert _person(0).item_rows == ()


def test_every_reduced_type_size_has_its_class_rule() -> None:
    for step in SHRINK_STEPS:
        if step != 100:
            assert f".s{step} {{ font-size: {step}%; }}" in SCALE_RULES

"""Property tests of issue 5 item 7 over a synthetic population (jumin.population; docs/search.md).

- every living resident is found by any two of their current 4情報;
- every living resident is found by any folded variant of their kana name (algorithms.md C.1);
- a search never returns a 仮登録 draft, to its maker or to anybody else.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.kana import kana_search_key
from jumin.population import write_population
from jumin.registry.importer import import_population
from jumin.registry.models import Change, Resident
from jumin.registry.search import NameMatch
from jumin.registry.services import Address, MoveIn, record_move_in
from tests.registry.conftest import PURPOSE, person
from tests.registry.test_search import enter, found, searcher

pytestmark = pytest.mark.django_db
__all__ = ["enter", "searcher"]  # fixtures, imported for use here

FOUR_ITEMS = ("name", "birth", "address", "sex")
PAIRS = [(a, b) for i, a in enumerate(FOUR_ITEMS) for b in FOUR_ITEMS[i + 1 :]]
SEX = {"1": "male", "2": "female"}
_SETTINGS = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def population(tmp_path: Path, make_clerk: Callable[..., User]) -> list[dict[str, Any]]:
    """The living residents of a small synthetic population, bulk-imported (search keys included)."""
    path = tmp_path / "pop.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_population(out, 40, "422029", seed=11)
    import_population(path, actor=make_clerk("loader"))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [record for record in records if record["status"] != "removed"]


def _conditions(record: dict[str, Any], item: str) -> dict[str, str]:
    return {
        "name": {"kana_name": f"{record['surname_kana']} {record.get('given_name_kana', '')}"},
        "birth": {"birth_date": record["birth_date"]},
        "address": {"address_code": record["address_code"]},
        "sex": {"sex": SEX[record["sex"]]},
    }[item]


@_SETTINGS
@given(data=st.data())
def test_any_two_of_the_current_four_items_find_every_resident(
    population: list[dict[str, Any]], searcher: User, data: st.DataObject
) -> None:
    for record in population:
        first, second = data.draw(st.sampled_from(PAIRS), label="pair")
        conditions = {**_conditions(record, first), **_conditions(record, second)}
        assert record["atena_number"] in found(searcher, **conditions, limit=1000), (first, second)


# Fold-equivalent katakana: characters whose K1–K7 key is the same (algorithms.md C.1). ヴ is left
# out because K4 reads it together with the next character (ヴァ → バ).
_KATAKANA = [chr(c) for c in range(0x30A1, 0x30F7) if chr(c) != "ヴ"]
_CLASSES: dict[str, list[str]] = {}
for _char in _KATAKANA:
    _CLASSES.setdefault(kana_search_key(_char), []).append(_char)
EQUIVALENT = {char: members for members in _CLASSES.values() for char in members if len(members) > 1}


def _hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


_TO_HALF = {ord(unicodedata.normalize("NFKC", chr(c))): chr(c) for c in range(0xFF66, 0xFF9E)}


def _half_width(text: str) -> str:
    """Half-width katakana where one exists (voiced kana stay full-width: mixed input is allowed)."""
    return unicodedata.normalize("NFKC", text).translate(_TO_HALF)


@st.composite
def folded_variant(draw: st.DrawFn, surname: str, given_name: str) -> str:
    """A spelling of the name that the folding rules must treat as the same name."""
    chars: list[str] = []
    text = f"{surname}\x00{given_name}"
    for index, char in enumerate(text):
        after_vu = index > 0 and text[index - 1] == "ヴ"
        if char in EQUIVALENT and not after_vu and draw(st.booleans()):
            char = draw(st.sampled_from(EQUIVALENT[char]))
        chars.append(char)
        if char not in "\x00" and draw(st.integers(0, 5)) == 0:
            chars.append(draw(st.sampled_from(["ー", "－", "―", "‐", " ", "\u3000"])))
    joined = "".join(chars).replace("\x00", draw(st.sampled_from(["", " ", "\u3000"])))
    script = draw(st.sampled_from(["katakana", "hiragana", "half-width"]))
    if script == "hiragana":
        return _hiragana(joined)
    return _half_width(joined) if script == "half-width" else joined


@_SETTINGS
@given(data=st.data())
def test_any_folded_variant_of_the_kana_name_finds_every_resident(
    population: list[dict[str, Any]], searcher: User, data: st.DataObject
) -> None:
    for record in population:
        surname, given_name = record["surname_kana"], record.get("given_name_kana", "")
        query = data.draw(folded_variant(surname, given_name), label="query")
        assert record["atena_number"] in found(searcher, kana_name=query, limit=1000)


def test_the_variant_generator_really_varies_the_spelling() -> None:
    assert "ガ" in EQUIVALENT["カ"]
    assert "ッ" in EQUIVALENT["ツ"]
    assert "ヂ" in EQUIVALENT["ジ"]
    assert "ヴ" not in EQUIVALENT.get("ブ", [])
    assert kana_search_key(_hiragana("サトウ タロウ")) == kana_search_key("サトウタロウ")


class _Rollback(Exception):  # noqa: N818 (control flow)
    pass


kana_names = st.tuples(
    st.text(alphabet="アイウエオカキクケコサシスセソタチツテトナニヌネノマミムメモ", min_size=2, max_size=5),
    st.text(alphabet="アイウエオカキクケコハヒフヘホヤユヨラリルレロ", min_size=1, max_size=4),
)


@pytest.fixture
def drafter(make_clerk: Callable[..., User]) -> User:
    """A clerk who enters drafts and may also search: a draft must not reach even its maker."""
    return make_clerk(
        "drafter", Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW, Permission.RESIDENT_SEARCH
    )


@_SETTINGS
@given(new_name=kana_names, amended_name=kana_names)
def test_a_search_never_returns_a_draft(
    enter: Callable[..., str],
    drafter: User,
    searcher: User,
    new_name: tuple[str, str],
    amended_name: tuple[str, str],
) -> None:
    try:
        with transaction.atomic():
            committed = enter(person())
            draft = record_move_in(
                actor=drafter,
                purpose=PURPOSE,
                move_in=MoveIn(
                    members=[
                        person(surname_kana=new_name[0], given_name_kana=new_name[1], born=date(1990, 1, 2))
                    ],
                    address=Address(address="長崎県佐世保市相生町1番1号", address_code="42202146000"),
                    move_in_date=date(2026, 11, 1),
                    notification_date=date(2026, 11, 5),
                    previous_address="東京都日野市神明1丁目1番1号",
                ),
            )
            # A pending amendment of a committed person is a draft too: its new name must not find them.
            current = Resident.objects.select_related("current").get(atena_number=committed).current
            assert current is not None
            change = Change.objects.create(
                reason="職権修正",
                change_date=date(2026, 12, 1),
                notification_kind="職権",
                made_by=drafter,
                made_at=timezone.now(),
            )
            current.pk, current.history_no, current.change = None, None, change
            current.surname_kana, current.given_name_kana = amended_name
            current.save()
            amended_query = " ".join(amended_name)
            for actor in (searcher, drafter):
                hits = found(actor, kana_name=" ".join(new_name), include_removed=True)
                hits |= found(actor, kana_name=new_name[0], name_mode=NameMatch.PARTIAL, limit=1000)
                hits |= found(actor, birth_date="1990-01-02", include_removed=True)
                assert not hits & set(draft.atena_numbers)
                if kana_search_key(amended_query) != kana_search_key("アオキ タロウ"):
                    assert committed not in found(actor, kana_name=amended_query, include_removed=True)
            raise _Rollback
    except _Rollback:
        pass

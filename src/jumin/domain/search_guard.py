"""Guard on 本人確認情報 (identity information) searches via the CS (algorithms.md H, controls.md C-32).

The guard keeps the national identity data from being mined: a 4情報 search must name at least two
items other than sex, one of them the name by default. Searches by 住民票コード or 個人番号 are a
separate exact-match search type.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from jumin.domain.errors import DomainError

WILDCARD_CHARACTERS = frozenset("%*＊?？")
"""Characters that match anything; an item made only of these does not count (algorithms.md H)."""

JUMINHYO_CODE_LENGTH = 11
INDIVIDUAL_NUMBER_LENGTH = 12

_NAME, _BIRTH, _ADDRESS = "氏名", "生年月日", "住所"
_BASE_REASON = "本人確認情報の検索には、性別以外に2項目以上の指定が必要です。"


class SearchType(StrEnum):
    """The kind of search the guard allowed."""

    EXACT_IDENTIFIER = "exact_identifier"  # by 住民票コード or 個人番号
    FOUR_ITEMS = "four_items"  # by a 4情報 combination


class AddressLevel(IntEnum):
    """How far down an address goes, for the optional ``guard_min_address_level`` setting."""

    PREFECTURE = 1  # 都道府県
    MUNICIPALITY = 2  # 市区町村
    TOWN = 3  # 町字
    BLOCK = 4  # 丁目・番地

    @property
    def label(self) -> str:
        """The Japanese name of the level, as used in messages."""
        return {1: "都道府県", 2: "市区町村", 3: "町字", 4: "番地"}[self.value]


@dataclass(frozen=True)
class IdentitySearchCriteria:
    """What a clerk entered for a 本人確認情報 search (algorithms.md H).

    Birth-date parts are Gregorian numbers already converted from 和暦 by the caller. ``address_level``
    is how far the address reaches, as the caller's address dictionary tells; it only matters when
    ``min_address_level`` is set.
    """

    surname: str | None = None
    given_name: str | None = None
    birth_year: int | None = None
    birth_month: int | None = None
    birth_day: int | None = None
    address: str | None = None
    address_level: AddressLevel | None = None
    sex: str | None = None
    juminhyo_code: str | None = None
    individual_number: str | None = None


def counts_as_given(value: str | None) -> bool:
    """Non-blank after trimming and not made only of wildcard characters (algorithms.md H)."""
    if value is None:
        return False
    stripped = "".join(value.split())
    return bool(stripped) and not set(stripped) <= WILDCARD_CHARACTERS


def check_identity_search(
    criteria: IdentitySearchCriteria,
    *,
    require_name: bool = True,
    full_birth_date: bool = False,
    min_address_level: AddressLevel | None = None,
) -> SearchType:
    """Return the search type allowed for ``criteria``, or raise :class:`DomainError` saying what to add
    (algorithms.md H, controls.md C-32).

    Settings (Jumin policies, to be confirmed against the official text):

    * ``require_name`` (``guard_require_name``, default on): one counted item must be the name;
    * ``full_birth_date`` (``guard_full_birth_date``, default off): a birth date counts only with year,
      month and day;
    * ``min_address_level`` (``guard_min_address_level``, default off): an address counts only when it
      reaches this level.

    Sex never counts. An exact 住民票コード or 個人番号 makes it an exact-identifier search, which the
    guard does not limit; the identifier must then be complete, since a partial one would be a scan.
    """
    exact = _exact_identifier(criteria)
    if exact is not None:
        return exact

    name_given = counts_as_given(criteria.surname) or counts_as_given(criteria.given_name)
    birth_parts = (criteria.birth_year, criteria.birth_month, criteria.birth_day)
    birth_given = any(part is not None for part in birth_parts)
    birth_counts = all(part is not None for part in birth_parts) if full_birth_date else birth_given
    address_given = counts_as_given(criteria.address)
    address_counts = address_given and (
        min_address_level is None
        or (criteria.address_level is not None and criteria.address_level >= min_address_level)
    )

    counted = [
        item for item, ok in ((_NAME, name_given), (_BIRTH, birth_counts), (_ADDRESS, address_counts)) if ok
    ]
    if len(counted) >= 2 and (name_given or not require_name):
        return SearchType.FOUR_ITEMS

    notes: list[str] = []
    if _only_wildcards(criteria):
        notes.append("ワイルドカードだけの項目は数えません。")
    if birth_given and not birth_counts:
        notes.append("生年月日は年月日のすべてを指定した場合だけ数えます。")
    if address_given and not address_counts and min_address_level is not None:
        notes.append(f"住所は{min_address_level.label}まで指定した場合だけ数えます。")

    birth_label = "生年月日（年月日まで）" if full_birth_date else _BIRTH
    address_label = f"住所（{min_address_level.label}まで）" if min_address_level is not None else _ADDRESS
    labels = {_NAME: _NAME, _BIRTH: birth_label, _ADDRESS: address_label}

    if require_name and not name_given and counted:
        raise DomainError(
            field="name",
            reason="".join(["本人確認情報の検索には、氏名の指定が必要です。", *notes]),
            remedy="氏名（氏または名）を入力してください。",
            code="identity_search.name_required",
        )
    if len(counted) == 1:
        present = counted[0]
        others = [labels[item] for item in (_NAME, _BIRTH, _ADDRESS) if item != present]
        remedy = f"{present}に加えて、{others[0]}または{others[1]}を入力してください。"
    elif require_name:
        remedy = f"氏名に加えて、{birth_label}または{address_label}を入力してください。"
    else:
        remedy = f"氏名、{birth_label}、{address_label}のうち2項目以上を入力してください。"
    raise DomainError(
        field="search_criteria",
        reason="".join([_BASE_REASON, *notes]),
        remedy=remedy,
        code="identity_search.too_few_items",
    )


def _exact_identifier(criteria: IdentitySearchCriteria) -> SearchType | None:
    identifiers = (
        ("juminhyo_code", "住民票コード", criteria.juminhyo_code, JUMINHYO_CODE_LENGTH),
        ("individual_number", "個人番号", criteria.individual_number, INDIVIDUAL_NUMBER_LENGTH),
    )
    found = False
    for field, label, value, length in identifiers:
        if value is None or not "".join(value.split()):
            continue
        digits = "".join(value.split())
        if not (digits.isascii() and digits.isdigit() and len(digits) == length):
            raise DomainError(
                field=field,
                reason=f"{label}による検索は、全桁が一致するものだけを探します。",
                remedy=f"{label}を{length}桁の数字で入力してください。",
                code="identity_search.identifier_incomplete",
            )
        found = True
    return SearchType.EXACT_IDENTIFIER if found else None


def _only_wildcards(criteria: IdentitySearchCriteria) -> bool:
    texts = (criteria.surname, criteria.given_name, criteria.address)
    return any(text is not None and "".join(text.split()) and not counts_as_given(text) for text in texts)

"""住民検索 (standard 2.1.1–2.1.3): criteria, the breadth guard and the audited search selector.

The search reads only ``ResidentSearchKey`` rows, which exist for committed current records alone, so
a draft (仮登録) is never returned to anybody. Every search is authorised (``RESIDENT_SEARCH``; a
個人番号 condition also needs ``INDIVIDUAL_NUMBER_ACCESS``) and audited with ``record_results``
("appeared in results") in the transaction of the read, which also saves the conditions to the
clerk's own sealed search history (``search_history``). Neither refusals nor the audit entry repeat
the values searched for: the entry names only the kinds of conditions used. docs/search.md.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.views.decorators.debug import sensitive_variables

from jumin.accounts.authorization import authorize
from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction
from jumin.audit.services import record_results
from jumin.crypto.models import filter_by_individual_number
from jumin.domain import recorded_dates
from jumin.domain.eras import last_day_of_month, resolve_table
from jumin.domain.errors import DomainError, refusal
from jumin.domain.kana import kana_search_key, variant_kanji_key
from jumin.domain.relationships import parse_relationship
from jumin.domain.resident import (
    DISAPPEARANCE_REMOVAL_REASON,
    ChangeCategory,
    ChangeReason,
    ResidentKind,
    ResidentStatus,
    Sex,
)
from jumin.domain.wareki import parse_date_input
from jumin.registry import search_history
from jumin.registry.models import Household, Resident, ResidentSearchKey, ResidentSnapshot, SearchKeyKind
from jumin.registry.restrictions import marks_columns, marks_parameters
from jumin.registry.search_compile import compiled_where

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "REMOVAL_REASONS",
    "BirthRange",
    "EmptyField",
    "NameMatch",
    "SearchCriteria",
    "SearchHit",
    "SearchResult",
    "matching_ids",
    "parse_birth_condition",
    "replay_search",
    "search_filter",
    "search_residents",
]

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000
SEARCH_ACTION = AuditAction.RESIDENT_RECORD_LIST
_MAX_CHAR = "\U0010ffff"


REMOVAL_REASONS = (
    *(reason.value for reason in ChangeReason if reason.category is ChangeCategory.REMOVAL),
    DISAPPEARANCE_REMOVAL_REASON,  # a 職権消除 on a 失踪宣告 keeps this 消除事由 (workflows/disappearance.py)
)
"""消除事由 a search may name: the removal group of 異動事由 (standard 1.2.2-a), and 失踪宣告."""

_CARD_NUMBER = re.compile(r"[A-Z]{2}[0-9]{8}[A-Z]{2}")


class EmptyField(StrEnum):
    """Items a search can ask to be blank (standard 2.1.3-c "search for empty items")."""

    KANA_UNCONFIRMED = "kana_unconfirmed"  # フリガナ未確認
    KATAGAKI = "katagaki"  # 方書なし
    ADDRESS_CODE = "address_code"  # 住所コードなし
    JUMINHYO_CODE = "juminhyo_code"  # 住民票コードなし

    @property
    def label(self) -> str:
        """The Japanese label shown on the screen."""
        return _EMPTY_LABELS[self]


_EMPTY_LABELS = {
    EmptyField.KANA_UNCONFIRMED: "フリガナ未確認",
    EmptyField.KATAGAKI: "方書なし",
    EmptyField.ADDRESS_CODE: "住所コードなし",
    EmptyField.JUMINHYO_CODE: "住民票コードなし",
}
_EMPTY_Q = {
    EmptyField.KANA_UNCONFIRMED: Q(kana_confirmed=False),
    EmptyField.KATAGAKI: Q(katagaki=""),
    EmptyField.ADDRESS_CODE: Q(address_code=""),
    EmptyField.JUMINHYO_CODE: Q(juminhyo_code=""),
}


class NameMatch(StrEnum):
    """Name match modes (standard 2.1.2-c; algorithms.md C.1 "Match modes").

    ``prefix`` (前方一致) is the indexable kind of partial match; ``partial`` (部分一致) is the
    substring match of C.1 and may scan, bounded by the result limit.
    """

    EXACT = "exact"
    PREFIX = "prefix"
    PARTIAL = "partial"
    SURNAME = "surname"
    GIVEN_NAME = "given_name"


@dataclass(frozen=True)
class SearchCriteria:
    """Conditions of one search; all given conditions must hold (AND, standard 2.1.3-c).

    ``kana_name`` is フリガナ (katakana, hiragana or half-width; folded per algorithms.md C.1),
    ``kanji_name`` the name in kanji or alphabet (compared through the variant key, C.2), both with
    ``name_mode``. ``birth_date`` is 和暦 or 西暦 text: a day, a year and month (「昭和35年4月」,
    「1960-04」) or a year (「S35年」, 「1960」) (2.1.3-a). ``address`` is a prefix of the address text,
    ``katagaki`` a part of the 方書 (部分一致). ``empty_fields`` asks items to be blank (2.1.3-c).
    Past names and addresses from history are searched unless switched off (2.1.3-d); 除票 only
    with ``include_removed`` or a ``removal_reason`` (1.1.5-f).
    """

    kana_name: str = ""
    kanji_name: str = ""
    name_mode: NameMatch = NameMatch.EXACT
    birth_date: str = ""
    sex: str = ""
    address_code: str = ""
    address: str = ""
    atena_number: str = ""
    household_number: str = ""
    juminhyo_code: str = ""
    individual_number: str = field(default="", repr=False)
    relationship: str = ""
    katagaki: str = ""
    removal_reason: str = ""
    residence_card_number: str = ""
    special_permanent_resident_number: str = ""
    empty_fields: tuple[EmptyField, ...] = ()
    include_removed: bool = False
    include_past_names: bool = True
    include_past_addresses: bool = True
    limit: int = DEFAULT_LIMIT


@dataclass(slots=True)
class SearchHit:
    """One person found: their current committed record as a result list shows it.

    ``matched_on`` names the kinds of row that matched (``name``, ``former_surname``, ``alias``,
    ``past_name``, ``past_address``). ``suppressed`` and ``support_measure`` are the 抑止 and
    支援措置 marks of the person today (standard 3.1-f, 2.2.4-a; ``restrictions.marks_columns``).
    Not frozen: a frozen dataclass sets each field through ``object.__setattr__``, about 8 µs per hit
    against 1 µs, and a result page holds up to 200 hits (P2). Nothing changes a hit once built.
    """

    atena_number: str
    status: str
    kind: str
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    birth_date: str
    sex: str
    address: str
    katagaki: str
    household_number: str
    relationship: str
    removal_reason: str
    is_removed: bool
    matched_on: tuple[str, ...]
    suppressed: bool = False
    support_measure: bool = False


@dataclass(frozen=True)
class SearchResult:
    """The hits (at most ``limit``) and whether more people matched than were returned."""

    hits: list[SearchHit]
    has_more: bool
    limit: int


@dataclass(frozen=True)
class BirthRange:
    """A birth-date condition as a closed range of sort dates; ``full_day`` when a whole day was given."""

    start: date
    end: date
    full_day: bool


_YEAR = re.compile(r"(?P<era>[^0-9]*?)(?P<y>[0-9]{1,4}|元)年?")
_YEAR_MONTH = re.compile(r"(?P<era>[^0-9]*?)(?P<y>[0-9]{1,4}|元)(?:年|[./-])(?P<m>[0-9]{1,2})月?")


def _gregorian_year(era_token: str, year_text: str) -> int:
    if not era_token:
        if len(year_text) == 4:
            return int(year_text)
        raise refusal(
            "birth_date",
            "生年月日の年が正しくありません。",
            "「昭和35年」のように元号を付けるか、西暦の4桁で入力してください。",
            "search.birth_year",
        )
    era = resolve_table(None).find(era_token)
    if era is None or len(year_text) == 4:
        raise refusal(
            "birth_date",
            "生年月日の元号または年が正しくありません。",
            "「昭和35年」「S35」のように、元号と3桁までの年で入力してください。",
            "search.birth_era",
        )
    return era.gregorian_year(1 if year_text == "元" else int(year_text))


def parse_birth_condition(text: str) -> BirthRange:
    """A birth-date condition: a day (via parse_date_input), a year and month, or a year (2.1.3-a).

    和暦 and 西暦 are both accepted and compared on the Gregorian sort date, so either finds a
    person recorded in the other (standard 2.1.3-a "converted both ways").
    """
    normalized = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    try:
        day = parse_date_input(text, field="birth_date").sort_date
    except DomainError as error:
        month = _YEAR_MONTH.fullmatch(normalized)
        year = _YEAR.fullmatch(normalized)
        if month is not None:
            first = date(_gregorian_year(month.group("era"), month.group("y")), 1, 1)
            number = int(month.group("m"))
            if not 1 <= number <= 12:
                raise refusal(
                    "birth_date",
                    "生年月日の月が正しくありません。",
                    "月は1から12で入力してください。",
                    "search.birth_month",
                ) from None
            start = first.replace(month=number)
            return BirthRange(start, last_day_of_month(start.year, number), full_day=False)
        if year is not None:
            gregorian = _gregorian_year(year.group("era"), year.group("y"))
            return BirthRange(date(gregorian, 1, 1), date(gregorian, 12, 31), full_day=False)
        raise error from None
    return BirthRange(day, day, full_day=True)


def _digits(value: str, field_name: str, label: str, *, max_length: int, exact: bool = False) -> str:
    text = unicodedata.normalize("NFKC", value).strip()
    if not text.isdigit() or len(text) > max_length or (exact and len(text) != max_length):
        size = f"{max_length}桁" if exact else f"{max_length}桁以内"
        raise refusal(
            field_name,
            f"{label}の形式が正しくありません。",
            f"{label}は数字{size}で入力してください。",
            f"search.{field_name}_format",
        )
    return text


@dataclass
class _Plan:
    """The parsed conditions: a filter, what counts for the breadth guard, and the audit summary."""

    q: Q = field(default_factory=Q)
    kinds: list[str] = field(default_factory=list)
    has_name: bool = False
    has_address: bool = False
    strong: bool = False
    identifier: bool = False
    uses_individual_number: bool = False
    include_removed: bool = False


def _prefix(column: str, value: str) -> Q:
    """An index-friendly prefix condition: a range on SQLite (binary order), LIKE on PostgreSQL.

    PostgreSQL has a ``varchar_pattern_ops`` index on each ``db_index`` key column for LIKE 'x%',
    which is correct under any collation; SQLite only uses an index for a range.
    """
    if connection.vendor == "postgresql":
        return Q(**{f"{column}__startswith": value})
    return Q(**{f"{column}__gte": value, f"{column}__lt": value + _MAX_CHAR})


def _name_q(columns: tuple[str, str, str], key: str, mode: NameMatch) -> Q:
    full, surname, given = columns
    if mode is NameMatch.EXACT:
        return Q(**{full: key})
    if mode is NameMatch.PREFIX:
        return _prefix(full, key)
    if mode is NameMatch.PARTIAL:
        return Q(**{f"{full}__contains": key})
    if mode is NameMatch.SURNAME:
        # The full key starts with the surname key, so the range narrows through the full-key index.
        return _prefix(full, key) & Q(**{surname: key})
    # Given-name only: the given-name key itself, never a substring of the full key (C.1).
    return Q(**{given: key})


def _add_names(plan: _Plan, criteria: SearchCriteria) -> None:
    mode = NameMatch(criteria.name_mode)
    if criteria.kana_name.strip():
        key = kana_search_key(criteria.kana_name, field="kana_name")
        if not key:
            raise refusal(
                "kana_name",
                "検索するフリガナが入力されていません。",
                "カタカナ（またはひらがな）を1文字以上入力してください。",
                "search.kana_empty",
            )
        plan.q &= _name_q(("full_key", "surname_key", "given_key"), key, mode)
        plan.kinds.append(f"kana_name_{mode.value}")
        plan.has_name = True
        plan.strong |= len(key) >= 2
    kanji = criteria.kanji_name.translate({ord(" "): None, ord("\u3000"): None})
    if kanji:
        key = variant_kanji_key(kanji)
        plan.q &= _name_q(("variant_key", "variant_surname_key", "variant_given_key"), key, mode)
        plan.kinds.append(f"name_{mode.value}")
        plan.has_name = True
        plan.strong |= len(key) >= 2 or mode in (NameMatch.EXACT, NameMatch.SURNAME, NameMatch.GIVEN_NAME)
    if plan.has_name and not criteria.include_past_names:
        plan.q &= Q(is_current_name=True)


def _card_number(value: str, field_name: str, label: str) -> str:
    text = unicodedata.normalize("NFKC", value).strip().upper()
    if not _CARD_NUMBER.fullmatch(text):
        raise refusal(
            field_name,
            f"{label}の形式が正しくありません。",
            "英字2桁・数字8桁・英字2桁の12文字で入力してください。",
            f"search.{field_name}_format",
        )
    return text


def _add_identifiers(plan: _Plan, criteria: SearchCriteria) -> None:
    """Exact identifiers: each alone is enough to run a search (standard 2.1.3-a)."""
    exact: list[tuple[str, str, Q]] = []
    if criteria.atena_number.strip():
        number = _digits(criteria.atena_number, "atena_number", "宛名番号", max_length=16)
        exact.append(("atena_number", number, Q(resident__atena_number=number)))
    if criteria.household_number.strip():
        number = _digits(criteria.household_number, "household_number", "世帯番号", max_length=16)
        exact.append(("household_number", number, Q(household__number=number)))
    if criteria.juminhyo_code.strip():
        code = _digits(criteria.juminhyo_code, "juminhyo_code", "住民票コード", max_length=11, exact=True)
        exact.append(("juminhyo_code", code, Q(juminhyo_code=code)))
    if criteria.residence_card_number.strip():
        card = _card_number(criteria.residence_card_number, "residence_card_number", "在留カード番号")
        exact.append(("residence_card_number", card, Q(residence_card_number=card)))
    if criteria.special_permanent_resident_number.strip():
        card = _card_number(
            criteria.special_permanent_resident_number,
            "special_permanent_resident_number",
            "特別永住者証明書番号",
        )
        exact.append(("special_permanent_resident_number", card, Q(special_permanent_resident_number=card)))
    for kind, _value, condition in exact:
        plan.q &= condition
        plan.kinds.append(kind)
        plan.identifier = True
    if criteria.individual_number.strip():
        plan.kinds.append("individual_number")
        plan.identifier = True
        plan.uses_individual_number = True


def _add_address(plan: _Plan, criteria: SearchCriteria) -> None:
    if criteria.address_code.strip():
        code = _digits(criteria.address_code, "address_code", "住所コード", max_length=11, exact=True)
        plan.q &= Q(address_code=code)
        plan.kinds.append("address_code")
        plan.strong = plan.has_address = True
    address = criteria.address.strip(" \u3000")
    if address:
        plan.q &= Q(address__startswith=address)
        plan.kinds.append("address")
        plan.has_address = True
    katagaki = criteria.katagaki.strip(" \u3000")
    if katagaki:
        plan.q &= Q(katagaki__contains=katagaki)
        plan.kinds.append("katagaki")
        # An address and a building name together name one building: narrow enough on their own.
        plan.strong |= bool(address)
        plan.has_address = True


def _add_items(plan: _Plan, criteria: SearchCriteria) -> None:
    """続柄, 消除事由 and empty items: they narrow a search but never run one alone."""
    if criteria.relationship.strip():
        relationship = parse_relationship(criteria.relationship, field="relationship")
        plan.q &= Q(relationship=relationship.text)
        plan.kinds.append("relationship")
    if criteria.removal_reason:
        if criteria.removal_reason not in REMOVAL_REASONS:
            raise refusal(
                "removal_reason",
                "消除事由の指定が正しくありません。",
                f"{'・'.join(REMOVAL_REASONS)}から選んでください。",
                "search.removal_reason",
            )
        plan.q &= Q(removal_reason=criteria.removal_reason)
        plan.kinds.append("removal_reason")
        plan.include_removed = True  # only a 除票 has a 消除事由
    for name in dict.fromkeys(criteria.empty_fields):
        if name not in EmptyField._value2member_map_:
            raise refusal(
                "empty_fields",
                "空欄検索の項目が正しくありません。",
                f"{'・'.join(item.label for item in EmptyField)}から選んでください。",
                "search.empty_field",
            )
        plan.q &= _EMPTY_Q[EmptyField(name)]
        plan.kinds.append(f"empty_{name}")


@sensitive_variables("criteria")
def _plan(criteria: SearchCriteria) -> _Plan:
    plan = _Plan(include_removed=criteria.include_removed)
    _add_names(plan, criteria)
    if criteria.birth_date.strip():
        birth = parse_birth_condition(criteria.birth_date)
        plan.q &= Q(birth_sort_date__range=(birth.start, birth.end))
        plan.kinds.append("birth_date" if birth.full_day else "birth_period")
        plan.strong |= birth.full_day
    if criteria.sex:
        if criteria.sex not in Sex._value2member_map_:
            raise refusal(
                "sex", "性別の指定が正しくありません。", "男または女を選んでください。", "search.sex"
            )
        plan.q &= Q(sex=criteria.sex)
        plan.kinds.append("sex")
    _add_address(plan, criteria)
    _add_identifiers(plan, criteria)
    _add_items(plan, criteria)
    if not plan.has_name:
        # Without a name condition one row per person and address suffices: the current 氏名 rows.
        plan.q &= Q(kind=SearchKeyKind.NAME, is_current_name=True)
    if not (plan.has_address and criteria.include_past_addresses):
        # Past-address rows answer address conditions only; every other item is the current one.
        plan.q &= Q(is_current_address=True)
    if not plan.include_removed:
        plan.q &= ~Q(status=ResidentStatus.REMOVED)
    return plan


def search_filter(criteria: SearchCriteria) -> Q:
    """The key-row filter of these criteria as ``search_residents`` runs it (no 個人番号 condition).

    For inspection (query plans, docs/search.md "Indexes"); it neither authorises nor audits.
    """
    return _plan(criteria).q


def _check_breadth(plan: _Plan) -> None:
    """Refuse a search too broad to be useful before running it (issue 5 "Bad input")."""
    if not plan.kinds:
        raise refusal(
            "criteria",
            "検索条件が入力されていません。",
            "フリガナ・氏名・生年月日・住所・宛名番号などを入力してください。",
            "search.no_criteria",
        )
    if plan.identifier or plan.strong:
        return
    if plan.has_name:
        remedy = "フリガナは2文字以上で入力するか、生年月日（年月日）または住所コードを加えてください。"
    else:
        remedy = (
            "フリガナか氏名、生年月日（年月日）、住所コード、住所と方書の組合せ、"
            "番号（宛名番号・住民票コード・在留カード番号など）のいずれかを加えてください。"
        )
    raise refusal(
        "criteria",
        "検索条件が広すぎます（性別・続柄・消除事由・空欄・年だけ・1文字だけでは検索できません）。",
        remedy,
        "search.too_broad",
    )


def _check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise refusal(
            "limit",
            "表示件数の指定が正しくありません。",
            f"1から{MAX_LIMIT}までの件数を指定してください。",
            "search.limit",
        )
    return limit


@sensitive_variables("number")
def _individual_number_q(number: str) -> Q:
    # Blind-index lookup among current committed records only (C-9, C-32).
    snapshots = filter_by_individual_number(
        ResidentSnapshot.objects.filter(current_of__isnull=False), number
    ).values_list("resident_id", flat=True)
    return Q(resident_id__in=list(snapshots))


#: What a result row needs, read in the same statement as the matching key rows (no model instances).
_HIT_COLUMNS = (
    "resident_id",
    "household_id",
    "kind",
    "is_current_name",
    "is_current_address",
    "resident__atena_number",
    "household__number",
    "snapshot__status",
    "snapshot__kind",
    "snapshot__surname",
    "snapshot__given_name",
    "snapshot__surname_kana",
    "snapshot__given_name_kana",
    "snapshot__birth_date",
    "snapshot__sex",
    "snapshot__address",
    "snapshot__katagaki",
    "snapshot__relationship",
    "snapshot__removal_reason",
)


def _hit(row: tuple[Any, ...], matched: tuple[str, ...]) -> SearchHit:
    (
        *_,
        atena_number,
        household_number,
        status,
        kind,
        surname,
        given_name,
        surname_kana,
        given_name_kana,
        birth_json,
        sex,
        address,
        katagaki,
        relationship,
        removal_reason,
        _found,
        suppressed,
        support_measure,
    ) = row
    # A raw statement returns the JSON column as text on SQLite (the ORM would decode it in
    # from_db_value); PostgreSQL's driver decodes jsonb itself.
    if not isinstance(birth_json, str):
        birth_json = json.dumps(birth_json, sort_keys=True)
    return SearchHit(
        atena_number=atena_number,
        status=status,
        kind=kind,
        surname=surname,
        given_name=given_name,
        surname_kana=surname_kana,
        given_name_kana=given_name_kana,
        # Foreign residents' birth dates are shown in 西暦 (algorithms.md B.2 rule 4).
        birth_date=_birth_display(birth_json, kind == ResidentKind.FOREIGN),
        sex=sex,
        address=address,
        katagaki=katagaki,
        household_number=household_number,
        relationship=relationship,
        removal_reason=removal_reason,
        is_removed=status == ResidentStatus.REMOVED,
        matched_on=matched,
        suppressed=bool(suppressed),
        support_measure=bool(support_measure),
    )


@functools.lru_cache(maxsize=65_536)
def _birth_display(birth_json: str, gregorian: bool) -> str:
    """A stored birth date as the registry spells it, memoised by its JSON text: a result page of a
    large search shows a hundred or more people, and about 37,000 days cover a century of births."""
    return recorded_dates.display(recorded_dates.from_json(json.loads(birth_json)), gregorian=gregorian)


def _matched(kind: str, is_current_name: bool, is_current_address: bool) -> str:
    if not is_current_address:
        return "past_address"
    return kind if is_current_name else "past_name"


def matching_ids(q: Q, limit: int) -> QuerySet[ResidentSearchKey, int]:
    """The ids of the first limit + 1 people with a key row matching ``q`` (one of the covering indexes)."""
    keys = ResidentSearchKey.objects.filter(q).order_by()
    return keys.values_list("resident_id", flat=True).distinct()[: limit + 1]


@functools.cache
def _hit_head() -> tuple[str, frozenset[str]]:
    """The SELECT list and joins of the hit statement, built once per process, and the joined tables.

    The columns are ``_HIT_COLUMNS`` in order, then the number of people the id walk found, then the
    person's two marks (``restrictions.marks_columns``; they take ``marks_parameters``).
    """
    quote = connection.ops.quote_name
    key = quote(ResidentSearchKey._meta.db_table)
    tables = {
        "resident": Resident._meta.db_table,
        "household": Household._meta.db_table,
        "snapshot": ResidentSnapshot._meta.db_table,
    }
    columns = []
    for name in _HIT_COLUMNS:
        relation, _, column = name.partition("__")
        columns.append(f"{quote(tables[relation])}.{quote(column)}" if column else f"{key}.{quote(name)}")
    joins = " ".join(
        f"INNER JOIN {quote(table)} ON ({key}.{quote(relation + '_id')} = {quote(table)}.{quote('id')})"
        for relation, table in tables.items()
    )
    marks = marks_columns(f"{key}.{quote('resident_id')}", f"{key}.{quote('household_id')}")
    head = f"SELECT {', '.join(columns)}, (SELECT COUNT(*) FROM ids), {marks} FROM {key} {joins}"  # noqa: S608
    return head, frozenset(tables.values())


def _hit_statement(q: Q, limit: int) -> tuple[str, list[Any]]:
    """One statement for the hits: the first limit + 1 people matching ``q``, then their matching rows.

    ``ids`` is the statement ``matching_ids`` builds (a covering-index walk that stops after limit + 1
    people); the rows are read for its first ``limit`` people, in the order the walk found them, and
    each row carries the number of people found (``has_more``). The conditions are compiled once and
    used twice: for the walk and for which rows of those people matched (``matched_on``).
    """
    joins, where, params = compiled_where(q)
    quote = connection.ops.quote_name
    key = quote(ResidentSearchKey._meta.db_table)
    resident_id = f"{key}.{quote('resident_id')}"
    head, joined = _hit_head()
    extra = " ".join(sql for table, sql in joins.items() if table not in joined)
    # Only compiled conditions and fixed names go into the text; every value is a parameter.
    ids = f"SELECT DISTINCT {resident_id} FROM {key} {' '.join(joins.values())} WHERE {where} LIMIT %s"  # noqa: S608
    sql = (
        f"WITH ids (resident_id) AS ({ids}) {head} {extra} "  # noqa: S608
        f"WHERE ({where}) AND {resident_id} IN (SELECT resident_id FROM ids LIMIT %s)"
    )
    # The marks' parameters come between the walk's and the rows' conditions (the SELECT list).
    return sql, [*params, limit + 1, *marks_parameters(), *params, limit]


def _run(q: Q, limit: int) -> SearchResult:
    """At most ``limit`` people matching ``q``: their matching rows in one statement, then marks.

    The id walk uses a covering index and stops after limit + 1 people (``has_more``); the rows of the
    first ``limit`` of them come with the snapshot, resident and household columns a hit shows, as
    tuples (docs/search.md "Indexes").
    """
    sql, params = _hit_statement(q, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return SearchResult(hits=[], has_more=False, limit=limit)
    has_more = rows[0][-3] > limit
    first: dict[int, tuple[Any, ...]] = {}
    matched: dict[int, list[str]] = {}
    for row in rows:
        resident_id = row[0]
        first.setdefault(resident_id, row)
        label = _matched(row[2], bool(row[3]), bool(row[4]))
        if label not in matched.setdefault(resident_id, []):
            matched[resident_id].append(label)
    # Each row carries its person's marks as of today (standard 3.1-f); the first row's are the hit's.
    hits = [_hit(row, tuple(sorted(matched[pk]))) for pk, row in first.items()]
    hits.sort(key=lambda hit: (hit.surname_kana, hit.given_name_kana, hit.atena_number))
    return SearchResult(hits=hits, has_more=has_more, limit=limit)


def replay_search(*, actor: Any, purpose: str, entry_id: int, individual_number: str = "") -> SearchResult:
    """Re-run one of the actor's saved searches (standard 2.1.1-a): opened (audited), then searched anew.

    A saved 個人番号 search needs the number again, since the history never keeps it.
    """
    saved = search_history.saved_criteria(actor=actor, purpose=purpose, entry_id=entry_id)
    if saved.needs_individual_number and not individual_number.strip():
        raise refusal(
            "individual_number",
            "この検索履歴は個人番号で検索したものですが、個人番号は履歴に保存されません。",
            "個人番号を入力して再検索してください。",
            "search_history.individual_number_required",
        )
    criteria = replace(saved.criteria, individual_number=individual_number)
    return search_residents(actor=actor, purpose=purpose, criteria=criteria, replay_of=entry_id)


def search_residents(
    *, actor: Any, purpose: str, criteria: SearchCriteria, replay_of: int | None = None
) -> SearchResult:
    """Search residents by any combination of conditions (standard 2.1.1-a, 2.1.2-a–d, 2.1.3-a/c/d).

    Order: authorise ``RESIDENT_SEARCH`` (refusal audited); parse and check the conditions (typed
    ``DomainError`` with field, reason and remedy; a too-broad search is refused without running);
    a 個人番号 condition also needs ``INDIVIDUAL_NUMBER_ACCESS`` (refusal audited, C-9); then one
    transaction reads the hits, writes one ``record_results`` entry listing their 宛名番号 and saves
    the conditions to the clerk's search history (the 個人番号 never). Removed people (除票) are
    included only with ``include_removed`` or a 消除事由; past names and addresses from history are
    searched unless switched off (2.1.3-d). ``replay_of`` is the history entry being re-run; the
    audit entry says so.
    """
    authorize(
        actor=actor,
        permission=Permission.RESIDENT_SEARCH,
        action=SEARCH_ACTION,
        purpose=purpose,
        subject_type="resident",
    )
    limit = _check_limit(criteria.limit)
    plan = _plan(criteria)
    _check_breadth(plan)
    if plan.uses_individual_number:
        authorize(
            actor=actor,
            permission=Permission.INDIVIDUAL_NUMBER_ACCESS,
            action=SEARCH_ACTION,
            purpose=purpose,
            subject_type="resident",
        )
    with transaction.atomic():
        q = plan.q
        if plan.uses_individual_number:
            q &= _individual_number_q(criteria.individual_number)
        result = _run(q, limit)
        summary = "+".join(plan.kinds)
        record_results(
            actor,
            "resident",
            [hit.atena_number for hit in result.hits],
            purpose,
            summary,
            action=SEARCH_ACTION,
            reason=f"search history replay {replay_of}" if replay_of is not None else "",
        )
        search_history.remember(actor, criteria, summary, len(result.hits))
    return result

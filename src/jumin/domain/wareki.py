"""Japanese-era dates (和暦): conversion, validation, display and clerk input (algorithms.md B.2–B.5).

Standard rows 1.1.8-a/b (which dates are valid), 1.1.9-a/b/c (which calendar is shown)
and 1.3.6-a (the era master is data, see :mod:`jumin.domain.eras`).
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from jumin.domain.eras import (
    Calendar,
    Era,
    EraTable,
    check_date_parts,
    era_year_text,
    gregorian_year_or_error,
    outside_era_error,
    real_day,
    resolve_table,
)
from jumin.domain.errors import Alert, DomainError
from jumin.domain.uncertain_dates import UncertainDate, UncertainPattern

# Longest accepted input is a U12 text of about 30 characters; a cap keeps the parser cheap on junk.
_MAX_INPUT_LENGTH = 64


class DateFieldKind(StrEnum):
    """What a date field holds; the value is the field's code name used in errors (algorithms.md B.4).

    Only the lenient kinds accept non-calendar dates and the 14 不詳 patterns (standard 1.1.8-a).
    """

    BIRTH = "birth_date"
    BECAME_RESIDENT = "became_resident_date"
    ADDRESS_SET = "address_set_date"
    BECAME_FOREIGN_RESIDENT = "became_foreign_resident_date"
    EVENT_BIRTH = "birth_event_date"
    EVENT_DEATH = "death_event_date"
    EVENT_DISAPPEARANCE = "disappearance_event_date"
    NOTIFICATION = "notification_date"
    RESIDENCE_EXPIRY = "residence_expiry_date"
    # 旧外登法登録年月日: may be 不詳 (standard 1.1.8-c), but is never a non-calendar day (1.1.8-a).
    FORMER_ALIEN_REGISTRATION = "former_alien_registration_date"
    OTHER = "date"

    @property
    def allows_non_calendar(self) -> bool:
        """Whether a day that does not exist in its month is accepted with an alert (algorithms.md B.4)."""
        return self in _LENIENT_KINDS

    @property
    def allows_uncertain(self) -> bool:
        """Whether the 14 unknown-date patterns are accepted (algorithms.md B.5, standard 1.1.8-a/c)."""
        return self in _LENIENT_KINDS or self is DateFieldKind.FORMER_ALIEN_REGISTRATION


_LENIENT_KINDS = frozenset(
    {
        DateFieldKind.BIRTH,
        DateFieldKind.BECAME_RESIDENT,
        DateFieldKind.ADDRESS_SET,
        DateFieldKind.BECAME_FOREIGN_RESIDENT,
        DateFieldKind.EVENT_BIRTH,
        DateFieldKind.EVENT_DEATH,
        DateFieldKind.EVENT_DISAPPEARANCE,
    }
)


@dataclass(frozen=True)
class WarekiDate:
    """A real calendar date written in an era, kept in the era as entered (algorithms.md B.2 rule 3).

    The constructor checks only the shape, so stored values survive a later era change (B.3);
    :meth:`of` and :func:`parse_date_input` validate new input against the era master.
    """

    era: str
    year: int
    month: int
    day: int

    def __post_init__(self) -> None:
        check_date_parts(year=self.year, month=self.month, day=self.day, field="date")

    @classmethod
    def of(cls, era: str, year: int, month: int, day: int, *, table: EraTable | None = None) -> WarekiDate:
        """A validated 和暦 date: a real day inside the era's span (algorithms.md B.2 rules 1 and 6)."""
        value = cls(era, year, month, day)
        validate_wareki(value, table=table)
        return value

    def era_row(self, table: EraTable | None = None) -> Era:
        """The era master row of this date's era."""
        return resolve_table(table).by_code(self.era)

    def to_gregorian(self, table: EraTable | None = None) -> date:
        """The 西暦 day: year of 元年 + era year − 1, same month and day (algorithms.md B.2 rule 1)."""
        era = self.era_row(table)
        return real_day(
            gregorian_year_or_error(era, self.year, field="date"), self.month, self.day, field="date"
        )

    def display(self, table: EraTable | None = None) -> str:
        """The registry spelling, e.g. ``令和元年5月1日`` (algorithms.md conventions, B.2 rule 3)."""
        return f"{self.era_row(table).name}{era_year_text(self.year)}年{self.month}月{self.day}日"


def validate_wareki(
    value: WarekiDate,
    *,
    table: EraTable | None = None,
    field: str = "date",
    accept_old_era_after_change: bool = False,
) -> list[Alert]:
    """Check that a 和暦 date is a real day inside its era (algorithms.md B.2 rules 1 and 6).

    A date after the era's last day is refused with the correct form. With the policy
    ``accept_old_era_after_change`` (default off, B.2 rule 6) a date in the era just replaced
    is kept as entered and an alert is returned instead.
    """
    table = resolve_table(table)
    era = table.by_code(value.era, field=field)
    gregorian_year = gregorian_year_or_error(era, value.year, field=field)
    day = real_day(gregorian_year, value.month, value.day, field=field)
    table.check_supported(day, calendar=Calendar.WAREKI, field=field)
    if era.contains(day):
        return []
    # B.2 rule 6: the correct form is the canonical spelling of the same day.
    right_era = table.era_at(day)
    correct = right_era.format_day(day)
    error = outside_era_error(
        era, after=day > era.first_day, suggestion=correct, suggested_era=right_era, field=field
    )
    # The policy covers only the era just replaced, and only after its end (B.2 rule 6).
    if accept_old_era_after_change and day > era.first_day and table.previous(table.latest) is era:
        return [
            Alert(
                field=field,
                message=f"{error.reason}改元直後の経過措置として入力どおり受け付けました（正しくは{correct}）。",
                code="wareki.old_era_after_change",
            )
        ]
    raise error


def to_wareki(day: date, table: EraTable | None = None) -> WarekiDate:
    """The display form of a 西暦 day: the latest era whose first day ≤ day (algorithms.md B.2 rule 2).

    On an overlap day (1912-07-30, 1926-12-25) this is the new era.
    """
    era = resolve_table(table).era_at(day)
    return WarekiDate(era.code, era.era_year(day.year), day.month, day.day)


def all_wareki_forms(day: date, table: EraTable | None = None) -> list[WarekiDate]:
    """Every valid 和暦 spelling of a day, canonical first; two on overlap days (algorithms.md B.1)."""
    return [
        WarekiDate(era.code, era.era_year(day.year), day.month, day.day)
        for era in resolve_table(table).eras_on(day)
    ]


def format_gregorian_ja(day: date) -> str:
    """A 西暦 day written for screens, e.g. ``2023年4月1日`` (algorithms.md B.2 rule 4)."""
    return f"{day.year}年{day.month}月{day.day}日"


def display_calendar(*, foreign_resident: bool, field_kind: DateFieldKind) -> Calendar:
    """The calendar a date is shown in: 和暦, except a foreign resident's birth and expiry dates (B.2 rule 4).

    Standard 1.1.9-a/b/c: never both calendars side by side, so exactly one is chosen.
    """
    if foreign_resident and field_kind in (DateFieldKind.BIRTH, DateFieldKind.RESIDENCE_EXPIRY):
        return Calendar.GREGORIAN
    return Calendar.WAREKI


def format_date_ja(day: date, *, calendar: Calendar, table: EraTable | None = None) -> str:
    """A day written in the chosen calendar only (algorithms.md B.2 rule 4, standard 1.1.9-a/b/c)."""
    if calendar is Calendar.GREGORIAN:
        return format_gregorian_ja(day)
    return to_wareki(day, table).display(table)


# ---------------------------------------------------------------------------
# Clerk input (algorithms.md B.2 rule 5, B.4, B.5)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedDate:
    """A parsed input: the value as entered, its Gregorian sort date and the alerts to show.

    ``value`` is a :class:`WarekiDate` or a ``date`` for exact days, an :class:`UncertainDate`
    for 不詳 patterns and non-calendar dates. ``sort_date`` is the Gregorian value kept beside
    it (B.2 rule 3), approx_date for uncertain dates (B.5) and the month's last day for
    non-calendar dates (B.4).
    """

    value: WarekiDate | UncertainDate | date
    sort_date: date
    alerts: list[Alert] = dataclasses.field(default_factory=list)


# Words that only occur in 不詳 input; used to say "not one of the 14 patterns" instead of "bad format".
_UNCERTAIN_WORDS = ("頃", "推定", "旬", "不詳", "春", "夏", "秋", "冬", "から", "まで", "ごろ")


@dataclass(frozen=True)
class _Grammar:
    exact: tuple[re.Pattern[str], ...]
    uncertain: tuple[tuple[UncertainPattern, re.Pattern[str]], ...]


@lru_cache(maxsize=8)
def _grammar(table: EraTable) -> _Grammar:
    """Regular expressions built from the era master, so a new era needs no code change (B.3)."""
    names = "|".join(re.escape(era.name) for era in sorted(table.eras, key=lambda e: -len(e.name)))
    letters = "".join(era.letter + era.letter.lower() for era in table.eras)
    era = rf"(?P<era>{names}|[{letters}])?"
    # Era years have 1–3 digits or 元; a 4-digit year is a 西暦 year (checked in _resolve_year).
    y = rf"{era}(?P<y>[0-9]{{1,4}}|元)年"
    m, d = r"(?P<m>[0-9]{1,2})月", r"(?P<d>[0-9]{1,2})日"
    em, ed = r"(?P<em>[0-9]{1,2})月", r"(?P<ed>[0-9]{1,2})日"
    exact = (
        rf"{y}{m}{d}",
        rf"{era}(?P<y>[0-9]{{1,4}}|元)(?P<sep>[./-])(?P<m>[0-9]{{1,2}})(?P=sep)(?P<d>[0-9]{{1,2}})",
        r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})",
    )
    # algorithms.md B.5 display patterns; spaces were removed by _normalize.
    uncertain = {
        UncertainPattern.U01: rf"{y}頃",
        UncertainPattern.U02: rf"{y}{m}頃",
        UncertainPattern.U03: rf"{y}{m}{d}頃",
        UncertainPattern.U04: rf"推定{y}{m}{d}",
        UncertainPattern.U05: rf"推定{y}{m}",
        UncertainPattern.U06: rf"{y}春",
        UncertainPattern.U07: rf"{y}{m}上旬",
        UncertainPattern.U08: rf"{y}{m}中旬頃",
        UncertainPattern.U09: r"年月日不詳",
        UncertainPattern.U10: rf"{y}月日不詳",
        UncertainPattern.U11: rf"{y}{m}日不詳",
        UncertainPattern.U12: rf"{y}{m}{d}から{em}{ed}頃までの間",
        UncertainPattern.U13: rf"{y}{m}推定{d}から{ed}までの間",
        UncertainPattern.U14: rf"{y}{m}{d}頃から{ed}頃までの間",
    }
    return _Grammar(
        exact=tuple(re.compile(text) for text in exact),
        uncertain=tuple((pattern, re.compile(text)) for pattern, text in uncertain.items()),
    )


def _normalize(text: str) -> str:
    """Full-width digits, letters and punctuation to ASCII (NFKC); drop spaces except between digits.

    A space between two digits is kept so that "2023 0401" fails instead of being guessed.
    """
    folded = unicodedata.normalize("NFKC", text).strip()
    return re.sub(r"(?<![0-9])\s+|\s+(?![0-9])", "", folded)


def _format_error(field: str, *, uncertain_words: bool) -> DomainError:
    if uncertain_words:
        return DomainError(
            field=field,
            reason="不詳日の書き方が、認められている14種類のいずれにも当たりません。",
            remedy="「令和2年頃」「令和2年5月上旬」「令和2年5月中旬頃」「年月日不詳」のような形で入力してください。",
            code="wareki.unsupported_uncertain_pattern",
        )
    return DomainError(
        field=field,
        reason="日付の形式が正しくありません。",
        remedy="「令和5年4月1日」「R5.4.1」「2023-04-01」のように入力してください。",
        code="wareki.unrecognized",
    )


def _calendar_mismatch(field: str, wanted: Calendar) -> DomainError:
    if wanted is Calendar.GREGORIAN:
        return DomainError(
            field=field,
            reason="この項目は西暦で記録します。",
            remedy="「2020年頃」「2020年5月上旬」のように西暦の年で入力してください。",
            code="wareki.calendar_mismatch",
        )
    return DomainError(
        field=field,
        reason="この項目は和暦で記録します。",
        remedy="「令和2年頃」「令和2年5月上旬」のように元号を付けて入力してください。",
        code="wareki.calendar_mismatch",
    )


def _resolve_year(
    match: re.Match[str], *, default_era: str | None, table: EraTable, field: str
) -> tuple[Calendar, Era | None, int]:
    """The calendar and era of the year: the written era, else 4 digits = 西暦, else ``default_era``."""
    token, year_text = match.groupdict().get("era"), match.group("y")
    if token is None and len(year_text) == 4:
        return Calendar.GREGORIAN, None, int(year_text)
    if token is not None:
        era = table.find(token)
    elif default_era is not None:
        era = table.find(default_era) or table.by_code(default_era, field=field)
    else:
        raise DomainError(
            field=field,
            reason="元号が指定されていません。",
            remedy="「令和5年4月1日」「R5.4.1」のように元号を付けるか、元号を選んでから入力してください。",
            code="wareki.era_required",
        )
    if era is None or len(year_text) == 4:
        raise DomainError(
            field=field,
            reason="元号の年が正しくありません。",
            remedy="元号の年は3桁までで入力してください（西暦なら元号を付けずに4桁で入力します）。",
            code="wareki.invalid_year",
        )
    return Calendar.WAREKI, era, 1 if year_text == "元" else int(year_text)


def _group_int(match: re.Match[str], name: str) -> int | None:
    groups = match.groupdict()
    text = groups.get(name)
    return int(text) if text is not None else None


def parse_date_input(
    text: str,
    *,
    field_kind: DateFieldKind = DateFieldKind.OTHER,
    default_era: str | None = None,
    table: EraTable | None = None,
    calendar: Calendar | None = None,
    field: str | None = None,
    accept_old_era_after_change: bool = False,
) -> ParsedDate:
    """Parse a clerk's date input; anything unrecognised is a DomainError, never a guess (algorithms.md B).

    Accepts 「令和5年4月1日」「R5.4.1」「R05.04.01」, 元年 and 1年, 「5.4.1」 with ``default_era``,
    西暦 「2023-04-01」「2023/4/1」「2023年4月1日」「20230401」, full-width characters, the 14
    不詳 patterns and non-calendar days (the last two only for lenient ``field_kind``, B.4/B.5).
    ``calendar`` is the field's recording calendar: exact days are converted to it, 不詳 and
    non-calendar values must be entered in it; ``None`` keeps every value as entered.
    """
    table = resolve_table(table)
    field = field or field_kind.value
    normalized = _normalize(text) if isinstance(text, str) else ""
    if not normalized:
        raise DomainError(
            field=field,
            reason="日付が入力されていません。",
            remedy="「令和5年4月1日」「2023-04-01」のように入力してください。",
            code="wareki.empty",
        )
    if len(normalized) > _MAX_INPUT_LENGTH:
        raise _format_error(field, uncertain_words=False)
    grammar = _grammar(table)
    for regex in grammar.exact:
        match = regex.fullmatch(normalized)
        if match:
            return _parse_exact(
                match,
                field_kind=field_kind,
                default_era=default_era,
                table=table,
                calendar=calendar,
                field=field,
                accept_old_era_after_change=accept_old_era_after_change,
            )
    for pattern, regex in grammar.uncertain:
        match = regex.fullmatch(normalized)
        if match:
            return _parse_uncertain(
                pattern,
                match,
                field_kind=field_kind,
                default_era=default_era,
                table=table,
                calendar=calendar,
                field=field,
            )
    raise _format_error(field, uncertain_words=any(word in normalized for word in _UNCERTAIN_WORDS))


def _parse_exact(
    match: re.Match[str],
    *,
    field_kind: DateFieldKind,
    default_era: str | None,
    table: EraTable,
    calendar: Calendar | None,
    field: str,
    accept_old_era_after_change: bool,
) -> ParsedDate:
    entered, era, year = _resolve_year(match, default_era=default_era, table=table, field=field)
    month, day = int(match.group("m")), int(match.group("d"))
    check_date_parts(year=year, month=month, day=day, field=field)
    gregorian_year = gregorian_year_or_error(era, year, field=field)
    try:
        gregorian = real_day(gregorian_year, month, day, field=field)
    except DomainError:
        if not field_kind.allows_non_calendar:
            raise
        if calendar is not None and calendar is not entered:
            raise _calendar_mismatch(field, calendar) from None
        value = UncertainDate.create(
            UncertainPattern.NON_CALENDAR,
            calendar=entered,
            era=era.code if era else None,
            year=year,
            month=month,
            day=day,
            table=table,
            field=field,
        )
        alert = Alert(
            field=field,
            message="暦にない日付です。入力どおり記録し、並べ替えにはその月の末日を使います。誤りがないか確認してください。",
            code="wareki.non_calendar_date",
        )
        return ParsedDate(value, value.approx_date, [alert])
    alerts: list[Alert] = []
    result: WarekiDate | date
    if era is not None:
        result = WarekiDate(era.code, year, month, day)
        alerts = validate_wareki(
            result, table=table, field=field, accept_old_era_after_change=accept_old_era_after_change
        )
    else:
        table.check_supported(gregorian, calendar=Calendar.GREGORIAN, field=field)
        result = gregorian
    # Exact days convert losslessly, so the field's recording calendar decides the stored form.
    if calendar is Calendar.GREGORIAN:
        result = gregorian
    elif calendar is Calendar.WAREKI and isinstance(result, date):
        result = to_wareki(gregorian, table)
    return ParsedDate(result, gregorian, alerts)


def _parse_uncertain(
    pattern: UncertainPattern,
    match: re.Match[str],
    *,
    field_kind: DateFieldKind,
    default_era: str | None,
    table: EraTable,
    calendar: Calendar | None,
    field: str,
) -> ParsedDate:
    if not field_kind.allows_uncertain:
        raise DomainError(
            field=field,
            reason="この項目では不詳日は使えません。",
            remedy="年月日をすべて入力してください。",
            code="wareki.uncertain_not_allowed",
        )
    if pattern is UncertainPattern.U09:
        value = UncertainDate.create(pattern, calendar=calendar or Calendar.WAREKI, table=table, field=field)
        return ParsedDate(value, value.approx_date)
    entered, era, year = _resolve_year(match, default_era=default_era, table=table, field=field)
    if calendar is not None and calendar is not entered:
        raise _calendar_mismatch(field, calendar)
    value = UncertainDate.create(
        pattern,
        calendar=entered,
        era=era.code if era else None,
        year=year,
        month=_group_int(match, "m"),
        day=_group_int(match, "d"),
        end_month=_group_int(match, "em"),
        end_day=_group_int(match, "ed"),
        table=table,
        field=field,
    )
    return ParsedDate(value, value.approx_date)


# ---------------------------------------------------------------------------
# CLI helpers
# ---------------------------------------------------------------------------


def to_seireki_text(
    text: str,
    *,
    default_era: str | None = None,
    field_kind: DateFieldKind = DateFieldKind.BIRTH,
    table: EraTable | None = None,
) -> str:
    """ISO ``YYYY-MM-DD`` for an exact day, else the structured 不詳 value as JSON (algorithms.md B.2, B.5).

    The default field kind is a lenient one so that every pattern the registry stores can be converted.
    """
    value = parse_date_input(text, field_kind=field_kind, default_era=default_era, table=table).value
    if isinstance(value, UncertainDate):
        return json.dumps(value.to_json_dict(table), ensure_ascii=False)
    if isinstance(value, WarekiDate):
        return value.to_gregorian(table).isoformat()
    return value.isoformat()


def from_seireki_lines(iso: str, *, table: EraTable | None = None) -> list[str]:
    """Every valid 和暦 spelling of an ISO ``YYYY-MM-DD`` day, canonical first (algorithms.md B.1, B.2)."""
    text = iso.strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise DomainError(
            field="date",
            reason="日付の形式が正しくありません。",
            remedy="西暦の日付を 2023-04-01 のように YYYY-MM-DD で入力してください。",
            code="wareki.invalid_iso_date",
        )
    year, month, day = (int(part) for part in text.split("-"))
    check_date_parts(year=year, month=month, day=day, field="date")
    gregorian = real_day(year, month, day, field="date")
    return [form.display(table) for form in all_wareki_forms(gregorian, table)]

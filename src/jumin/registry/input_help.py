"""Input aids of the entry screens (standard 1.3.3-d, 1.3.6-a): no personal data is read or shown.

- a postal code fills in the address (masters dictionary);
- the first kana of each address level (「ナガサキ サセボ」, 「ト ヒ シ」) offers the addresses;
- 和暦 shortcuts: 「3350401」 (era number: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和, then the order of the
  era master) and 「S350401」 (era letter + YYMMDD) besides every form ``parse_date_input`` reads
  (「S35.4.1」, 「昭和35年4月1日」, 「1960-04-01」 …). The preview shows the day in 和暦 and 西暦 for the
  clerk to check; the record keeps what the field's own rules keep;
- 方書 (standard 4.0.7-a): the address typed up to the lot offers the 方書 the master holds for it;
- 外字 (standard 2.1.3-e): a code point 「U+9AD9」 (with an IVS selector 「U+8FBB U+E0100」) gives the
  glyph, a typed kanji its variants through the MJ shrink map (高 → 髙), for the clerk to pick.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from jumin.domain.eras import Calendar, resolve_table
from jumin.domain.errors import refusal
from jumin.domain.glyph_entry import is_code_point_entry, parse_code_point_entry, variants_of
from jumin.domain.uncertain_dates import UncertainDate
from jumin.domain.wareki import DateFieldKind, ParsedDate, format_date_ja, parse_date_input
from jumin.masters.lots import katagaki_for_address
from jumin.masters.selectors import (
    AddressCandidate,
    addresses_by_kana_prefixes,
    addresses_by_postal_code,
    normalize_postal_code,
)
from jumin.registry.inquiry import Glyph, glyphs_of

__all__ = [
    "AddressSuggestion",
    "DatePreview",
    "GlyphChoices",
    "KatagakiSuggestion",
    "expand_wareki_shortcut",
    "glyph_choices",
    "kana_address_suggestions",
    "katagaki_suggestions",
    "postal_address_suggestions",
    "preview_date",
]

_NUMBERED = re.compile(r"(?P<era>[1-9])(?P<y>[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
_LETTERED = re.compile(r"(?P<era>[A-Za-z])(?P<y>[0-9]{2})(?P<m>[0-9]{2})(?P<d>[0-9]{2})")
_KANA_LEVELS = re.compile(r"[\s\u3000・/／]+")


@dataclass(frozen=True)
class AddressSuggestion:
    """One address the clerk can pick: the text, its postal code and its 住所コード ("" above 大字)."""

    address: str
    postal_code: str
    address_code: str


def _suggestions(candidates: list[AddressCandidate]) -> list[AddressSuggestion]:
    return [AddressSuggestion(c.name, c.postal_code, c.address_code) for c in candidates]


def postal_address_suggestions(text: str) -> list[AddressSuggestion]:
    """The addresses of a postal code typed as 8570044, 857-0044, 〒８５７－００４４ (1.3.3-d)."""
    if not normalize_postal_code(text):
        raise refusal(
            "postal_code",
            "郵便番号の形式が正しくありません。",
            "郵便番号は7桁の数字で入力してください（例: 857-0044）。",
            "input_help.postal_code",
        )
    return _suggestions(addresses_by_postal_code(text))


def kana_address_suggestions(text: str) -> list[AddressSuggestion]:
    """Addresses by the first kana of each level, separated by spaces: 「ナガサキ サセボ」 (1.3.3-d)."""
    levels = [level for level in _KANA_LEVELS.split(text.strip()) if level]
    if not levels:
        raise refusal(
            "address_kana",
            "住所の読みが入力されていません。",
            "都道府県・市区町村・町字の読みの先頭を空白で区切って入力してください（例: ナガサキ サセボ）。",
            "input_help.kana_empty",
        )
    if len(levels) > 3:
        raise refusal(
            "address_kana",
            "住所の読みは都道府県・市区町村・町字の3段階までです。",
            "読みを3つまでにしてください（例: ナガサキ サセボ アイオイ）。",
            "input_help.kana_levels",
        )
    return _suggestions(addresses_by_kana_prefixes(levels))


def expand_wareki_shortcut(text: str) -> str:
    """「3350401」 and 「S350401」 as 「S35.4.1」; any other text unchanged (for ``parse_date_input``)."""
    compact = unicodedata.normalize("NFKC", text).strip()
    numbered, lettered = _NUMBERED.fullmatch(compact), _LETTERED.fullmatch(compact)
    if numbered is not None:
        eras = resolve_table(None).eras
        index = int(numbered.group("era")) - 1
        if index >= len(eras):
            raise refusal(
                "date",
                "元号の番号が正しくありません。",
                f"元号の番号は1（{eras[0].name}）から{len(eras)}（{eras[-1].name}）で入力してください。",
                "input_help.era_number",
            )
        letter, match = eras[index].letter, numbered
    elif lettered is not None:
        letter, match = lettered.group("era").upper(), lettered
    else:
        return text
    return f"{letter}{int(match.group('y'))}.{int(match.group('m'))}.{int(match.group('d'))}"


@dataclass(frozen=True)
class DatePreview:
    """How a date input was read: the 和暦 and 西暦 spellings of its day, and any alerts."""

    wareki: str
    gregorian: str
    alerts: tuple[str, ...]


def preview_date(text: str, *, field_kind: DateFieldKind = DateFieldKind.OTHER) -> DatePreview:
    """Read a date input, shortcuts included; a DomainError names the field and the accepted forms."""
    parsed: ParsedDate = parse_date_input(expand_wareki_shortcut(text), field_kind=field_kind, field="date")
    alerts = tuple(alert.message for alert in parsed.alerts)
    if isinstance(parsed.value, UncertainDate):  # 不詳日 and non-calendar days: shown as entered
        return DatePreview(wareki=parsed.value.display(), gregorian="", alerts=alerts)
    day = parsed.sort_date
    return DatePreview(
        wareki=format_date_ja(day, calendar=Calendar.WAREKI),
        gregorian=format_date_ja(day, calendar=Calendar.GREGORIAN),
        alerts=alerts,
    )


MAX_TYPED_GLYPHS = 10
"""How many typed characters one request of the 外字 aid looks up (a name, not a text)."""


@dataclass(frozen=True)
class GlyphChoices:
    """An entered glyph with its code points, and the variants the clerk may pick instead."""

    glyph: Glyph
    variants: tuple[Glyph, ...]


def glyph_choices(entry: str) -> list[GlyphChoices]:
    """The glyph of a code-point entry, or each typed character, with its variants (2.1.3-e).

    An entry all in ASCII is a code-point entry (「U+9AD9」, 「9ad9」, 「U+8FBB U+E0100」); anything
    else is characters typed as far as the keyboard goes (「高橋」). DomainError (field ``glyph_entry``)
    for an empty or malformed entry, or more than ``MAX_TYPED_GLYPHS`` characters.
    """
    if is_code_point_entry(entry) or not entry.strip():  # an empty entry gets the code-point message
        glyphs = glyphs_of(parse_code_point_entry(entry))
    else:
        glyphs = tuple({glyph.text: glyph for glyph in glyphs_of(entry.strip())}.values())
        if len(glyphs) > MAX_TYPED_GLYPHS:
            raise refusal(
                "glyph_entry",
                f"異体字を調べられるのは一度に{MAX_TYPED_GLYPHS}文字までです。",
                "探したい文字だけを入力してください。",
                "glyph_entry.too_long",
            )
    return [GlyphChoices(glyph, glyphs_of("".join(variants_of(glyph.text)))) for glyph in glyphs]


@dataclass(frozen=True)
class KatagakiSuggestion:
    """One 方書 of the master the clerk can pick, with the lot it belongs to."""

    name: str
    kana: str
    lot: str


def katagaki_suggestions(address: str) -> list[KatagakiSuggestion]:
    """The 方書 in force on the lot of the typed address (standard 1.3.4-a, 4.0.7-a)."""
    if not address.strip():
        raise refusal(
            "address",
            "住所が入力されていません。",
            "方書の候補を表示するには、住所を番地まで入力してください（例: 長崎県佐世保市相生町1番2号）。",
            "input_help.katagaki_address",
        )
    return [KatagakiSuggestion(row.name, row.kana, row.lot.text) for row in katagaki_for_address(address)]

"""The municipality's certificate settings without a database (standard 5.1-a, 5.1-b, 5.6-b).

* 記載事項の既定値: for each of 住民票の写し, 除票の写し, 記載事項証明書 and
  除票記載事項証明書, what is printed when the request asks for nothing special (scope,
  layout, history, 世帯主・続柄, 本籍・筆頭者, 住民票コード, 個人番号, each foreign
  item). A request still overrides them per issue.
* 電子公印の種類: the certifier's own seal (市区町村長・職務代理者), a certificate-only seal, a
  card-face seal; each at most 25 mm square, black, the card-face seal black or red.
* 定型文言: the fixed phrases printed beside the seal, per certificate kind
  (「この印は黒色です。」, 「公印省略」 …).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from jumin.domain.certificates import (
    DEFAULT_FOREIGN_ITEMS,
    ITEM_FLAGS,
    CertificateKind,
    CertificateOptions,
    ForeignItem,
    Layout,
    foreign_items_of,
)
from jumin.domain.errors import refusal

#: The kinds whose printed items have configurable defaults (standard 5.1-a lists these four).
DEFAULTS_KINDS: tuple[CertificateKind, ...] = (
    CertificateKind.COPY,
    CertificateKind.REMOVED_COPY,
    CertificateKind.STATED_ITEMS,
    CertificateKind.REMOVED_STATED_ITEMS,
)

#: Printed beside the seal when a kind has no phrase setting (the seal is black, 5.6-b).
DEFAULT_PHRASES: tuple[str, ...] = ("この印は黒色です。",)
PHRASES_MAX = 4
PHRASE_MAX_LENGTH = 40


@dataclass(frozen=True)
class OptionDefaults:
    """What one kind prints when the request asks for nothing special (standard 5.1-a/b).

    The built-in values are ``CertificateOptions``'s; the 個人番号 is omitted unless a setting says
    otherwise explicitly (it is printed only on request, 住基法12条5項).
    """

    layout: Layout = Layout.HOUSEHOLD
    whole_household: bool = True
    with_history: bool = False
    show_head_and_relationship: bool = True
    show_honseki: bool = False
    show_juminhyo_code: bool = False
    show_individual_number: bool = False
    foreign_items: frozenset[ForeignItem] = field(default=DEFAULT_FOREIGN_ITEMS)

    def as_record(self) -> dict[str, Any]:
        """The values as a settings row stores them."""
        return {
            "layout": self.layout.value,
            **{flag: getattr(self, flag) for flag in ITEM_FLAGS},
            "foreign_items": sorted(item.value for item in self.foreign_items),
        }

    def options(self, kind: CertificateKind, **requested: Any) -> CertificateOptions:
        """The options of one issue: these defaults, overridden by what the request says (``requested``)."""
        defaults = {
            "kind": kind,
            "layout": self.layout,
            **{flag: getattr(self, flag) for flag in ITEM_FLAGS},
            "show_foreign_items": bool(self.foreign_items),
            "foreign_items": self.foreign_items,
        }
        given = {name: value for name, value in requested.items() if value is not None}
        return replace(CertificateOptions(), **{**defaults, **given})


BUILTIN_DEFAULTS = OptionDefaults()


def defaults_from_record(record: Mapping[str, Any]) -> OptionDefaults:
    """The defaults a settings row stored (``OptionDefaults.as_record``)."""
    return OptionDefaults(
        layout=Layout(str(record["layout"])),
        foreign_items=foreign_items_of(record.get("foreign_items", ())),
        **{flag: bool(record[flag]) for flag in ITEM_FLAGS},
    )


def check_defaults_kind(kind: str) -> CertificateKind:
    """The kind of a defaults setting; only the four kinds of 5.1-a have them."""
    if kind not in {k.value for k in DEFAULTS_KINDS}:
        raise refusal(
            "kind",
            "この証明書の種類には記載事項の既定値を設定できません。",
            "住民票の写し・除票の写し・記載事項証明書・除票記載事項証明書から選んでください。",
            "certificates.defaults_kind",
        )
    return CertificateKind(kind)


def check_individual_number_default(defaults: OptionDefaults, *, confirmed: bool) -> None:
    """A default that prints the 個人番号 needs its own explicit confirmation (printed only on request)."""
    if defaults.show_individual_number and not confirmed:
        raise refusal(
            "show_individual_number",
            "個人番号を「記載する」を既定値にするには、確認が必要です。",
            "個人番号は請求があった場合に限り記載します。既定値を「記載する」にする場合は確認欄を選んでください。",
            "certificates.defaults_individual_number_unconfirmed",
        )


class SealKind(StrEnum):
    """電子公印の種類 (standard 5.6-b)."""

    CERTIFIER = "certifier"  # 市区町村長・職務代理者の公印 (registered with the certifier)
    CERTIFICATE_ONLY = "certificate_only"  # 証明書専用の公印: printed on certificates when registered
    CARD_FACE = "card_face"  # 券面記載用の公印: printed on the card's 追記欄

    @property
    def label(self) -> str:
        """The kind's name on screens."""
        return _SEAL_KIND_LABELS[self]


_SEAL_KIND_LABELS = {
    SealKind.CERTIFIER: "市区町村長・職務代理者の公印",
    SealKind.CERTIFICATE_ONLY: "証明書専用の公印",
    SealKind.CARD_FACE: "券面記載用の公印",
}


class SealColor(StrEnum):
    """The colour a seal is printed in: black, or red for the card-face seal only (5.6-b)."""

    BLACK = "black"
    RED = "red"

    @property
    def label(self) -> str:
        """The colour's name on screens."""
        return "黒" if self is SealColor.BLACK else "赤"


def check_seal_color(kind: SealKind, color: str) -> SealColor:
    """Black for every seal; the card-face seal may also be red (standard 5.6-b)."""
    allowed = (SealColor.BLACK, SealColor.RED) if kind is SealKind.CARD_FACE else (SealColor.BLACK,)
    if color not in {c.value for c in allowed}:
        remedy = "黒または赤を選んでください。" if kind is SealKind.CARD_FACE else "黒を選んでください。"
        raise refusal(
            "color",
            f"{kind.label}は{'黒または赤' if kind is SealKind.CARD_FACE else '黒'}でなければなりません。",
            remedy,
            "certificates.seal_color",
        )
    return SealColor(color)


def check_phrases(lines: Iterable[str]) -> tuple[str, ...]:
    """The fixed phrases of one kind: 1–4 non-blank lines of at most 40 characters, no control characters."""
    phrases = tuple(line.strip() for line in lines if line.strip())
    if not phrases or len(phrases) > PHRASES_MAX:
        raise refusal(
            "phrases",
            f"定型文言は1行以上{PHRASES_MAX}行以下で入力してください。",
            "例: 「この印は黒色です。」 「公印省略」。",
            "certificates.phrases_count",
        )
    for phrase in phrases:
        if len(phrase) > PHRASE_MAX_LENGTH or any(ord(char) < 0x20 for char in phrase):
            raise refusal(
                "phrases",
                f"定型文言の1行は{PHRASE_MAX_LENGTH}文字以内で、制御文字を含めることはできません。",
                "文言を短くしてください。",
                "certificates.phrase_too_long",
            )
    return phrases

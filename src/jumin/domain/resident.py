"""The person facts of a 住民票 and the rules every registration event checks (records.md §6; standard 1.1).

Pure values: the registry app stores them as snapshot rows; workflows build them from clerk input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from jumin.domain.checkdigits import validate_juminhyo_code
from jumin.domain.eras import Calendar
from jumin.domain.errors import Alert, DomainError
from jumin.domain.kana import normalize_furigana
from jumin.domain.recorded_dates import RecordedDate
from jumin.domain.relationship_proof import RelationshipProof, check_relationship_proof
from jumin.domain.relationships import Relationship
from jumin.domain.uncertain_dates import UncertainDate
from jumin.domain.wareki import DateFieldKind, WarekiDate, parse_date_input


class ResidentKind(StrEnum):
    """住民種別: Japanese (J) or foreign (F); selects the required item set (records.md §6.0 rule 4)."""

    JAPANESE = "J"
    FOREIGN = "F"


class Sex(StrEnum):
    """性別 as the registry records it."""

    MALE = "male"
    FEMALE = "female"


class ResidentStatus(StrEnum):
    """住民状態 of a snapshot (records.md §6.1)."""

    RESIDENT = "resident"
    PLANNED_MOVE_OUT = "planned_move_out"
    REMOVED = "removed"


class ChangeCategory(StrEnum):
    """The three families of 異動事由 (records.md §7)."""

    RECORDING = "記載"
    REMOVAL = "消除"
    AMENDMENT = "修正"


class ChangeReason(StrEnum):
    """異動事由 (records.md §7, standard 1.2.2). A dedicated 「転居取消」 reason is forbidden (X row)."""

    DOMESTIC_MOVE_IN = "国内転入"
    MOVE_IN_FROM_ABROAD = "国外転入等"
    BIRTH = "出生"
    EX_OFFICIO_RECORDING = "職権記載"
    DOMESTIC_MOVE_OUT = "国内転出"
    MOVE_OUT_ABROAD = "国外転出"
    DEATH = "死亡"
    EX_OFFICIO_REMOVAL = "職権消除"
    MOVE_WITHIN = "転居"
    EX_OFFICIO_AMENDMENT = "職権修正"
    ERROR_CORRECTION = "誤記修正"
    MINOR_CORRECTION = "軽微な修正"
    HOUSEHOLD_CHANGE = "世帯変更"
    # 異動の取消し (standard 4.6.0.1-c): the group follows the cancelled change's (see cancellation_of).
    CANCELLATION_ENTRY = "異動の取消し(増)"
    CANCELLATION_REMOVAL = "異動の取消し(減)"
    CANCELLATION_AMENDMENT = "異動の取消し(修正)"
    # Foreign residents and names (standard 1.2.2-a, 4.5; docs/workflows/naturalisation.md, names.md).
    # One change per person: the new record's entry reason; the record it replaces stays in history.
    NATURALISATION = "職権記載(帰化等)"
    LOSS_OF_NATIONALITY = "職権記載(国籍喪失)"
    FORMER_SURNAME_RECORDING = "旧氏の記載"
    FORMER_SURNAME_CHANGE = "旧氏の変更"
    FORMER_SURNAME_DELETION = "旧氏の削除"
    ALIAS_RECORDING = "通称の記載"
    ALIAS_DELETION = "通称の削除"
    # 出入国在留管理庁長官通知 (住基法30条の50): a 職権修正 of the 30条の45 items (records.md §7).
    IMMIGRATION_NOTICE = "法30条の50通知"
    # 改製 (standard 1.1.4-b, 1.2.2-a): the record is remade with its current data only; the rows
    # before it stay as the 改製原住民票 (docs/workflows/reorganisation.md).
    REORGANISATION = "改製"
    # 再製 (standard 1.2.2-a; 住民基本台帳法施行令): a lost or damaged record is re-created 職権 from the
    # best sources; the rows before it stay as the 再製原住民票 (docs/workflows/restoration.md).
    RESTORATION = "再製"
    # 住民票コード・個人番号の変更 (standard 1.2.2-a, 4.3.2-a, 4.4-a; docs/workflows/number-changes.md):
    # the values are the network's own reasons, so the CS sends them unchanged; 請求 or 職権 is the
    # change's 届出区分.
    RESIDENT_CODE_CHANGE = "住民票コードの変更"
    INDIVIDUAL_NUMBER_CHANGE = "個人番号の変更"
    # 手動連携 (standard 7.1.1.1-c; docs/workflows/number-changes.md): a change committed while the
    # national node was not linked left the person without a 個人番号; when it arrives (entered from
    # the CS terminal, or fetched when the mode ends) a new 職権 row records it, the rows before keep
    # their blank (history is appended, never overwritten).
    INDIVIDUAL_NUMBER_RECORDING = "個人番号の記載"
    # 特別養子縁組 (and its 解消) and a legal change of sex (standard 1.1.4-c; docs/workflows/
    # ex-officio.md): recorded like a 職権修正 of the person's items, without 改製, and left off
    # printed history (``HIDDEN_ON_PRINTED_HISTORY``).
    SPECIAL_ADOPTION = "特別養子縁組"
    SPECIAL_ADOPTION_DISSOLUTION = "特別養子縁組の解消"
    SEX_CHANGE = "性別の取扱いの変更"

    @property
    def category(self) -> ChangeCategory:
        """Recording, removal or amendment."""
        return _CATEGORIES[self]


_CATEGORIES = {
    ChangeReason.DOMESTIC_MOVE_IN: ChangeCategory.RECORDING,
    ChangeReason.MOVE_IN_FROM_ABROAD: ChangeCategory.RECORDING,
    ChangeReason.BIRTH: ChangeCategory.RECORDING,
    ChangeReason.EX_OFFICIO_RECORDING: ChangeCategory.RECORDING,
    ChangeReason.DOMESTIC_MOVE_OUT: ChangeCategory.REMOVAL,
    ChangeReason.MOVE_OUT_ABROAD: ChangeCategory.REMOVAL,
    ChangeReason.DEATH: ChangeCategory.REMOVAL,
    ChangeReason.EX_OFFICIO_REMOVAL: ChangeCategory.REMOVAL,
    ChangeReason.MOVE_WITHIN: ChangeCategory.AMENDMENT,
    ChangeReason.EX_OFFICIO_AMENDMENT: ChangeCategory.AMENDMENT,
    ChangeReason.ERROR_CORRECTION: ChangeCategory.AMENDMENT,
    ChangeReason.MINOR_CORRECTION: ChangeCategory.AMENDMENT,
    ChangeReason.HOUSEHOLD_CHANGE: ChangeCategory.AMENDMENT,
    ChangeReason.CANCELLATION_ENTRY: ChangeCategory.RECORDING,
    ChangeReason.CANCELLATION_REMOVAL: ChangeCategory.REMOVAL,
    ChangeReason.CANCELLATION_AMENDMENT: ChangeCategory.AMENDMENT,
    ChangeReason.NATURALISATION: ChangeCategory.RECORDING,
    ChangeReason.LOSS_OF_NATIONALITY: ChangeCategory.RECORDING,
    ChangeReason.FORMER_SURNAME_RECORDING: ChangeCategory.AMENDMENT,
    ChangeReason.FORMER_SURNAME_CHANGE: ChangeCategory.AMENDMENT,
    ChangeReason.FORMER_SURNAME_DELETION: ChangeCategory.AMENDMENT,
    ChangeReason.ALIAS_RECORDING: ChangeCategory.AMENDMENT,
    ChangeReason.ALIAS_DELETION: ChangeCategory.AMENDMENT,
    ChangeReason.IMMIGRATION_NOTICE: ChangeCategory.AMENDMENT,
    # Listed under both 記載 and 消除 (1.2.2-a); the population does not change, so it amends.
    ChangeReason.REORGANISATION: ChangeCategory.AMENDMENT,
    ChangeReason.RESTORATION: ChangeCategory.AMENDMENT,
    ChangeReason.RESIDENT_CODE_CHANGE: ChangeCategory.AMENDMENT,
    ChangeReason.INDIVIDUAL_NUMBER_CHANGE: ChangeCategory.AMENDMENT,
    ChangeReason.INDIVIDUAL_NUMBER_RECORDING: ChangeCategory.AMENDMENT,
    ChangeReason.SPECIAL_ADOPTION: ChangeCategory.AMENDMENT,
    ChangeReason.SPECIAL_ADOPTION_DISSOLUTION: ChangeCategory.AMENDMENT,
    ChangeReason.SEX_CHANGE: ChangeCategory.AMENDMENT,
}

HIDDEN_ON_PRINTED_HISTORY = frozenset(
    {ChangeReason.SPECIAL_ADOPTION, ChangeReason.SPECIAL_ADOPTION_DISSOLUTION, ChangeReason.SEX_CHANGE}
)
"""異動事由 whose rows a printed history leaves out (standard 1.1.4-c): the copy shows their result as
the current items only, so it does not disclose the adoption or the change of sex. Clerks see them."""

SPECIAL_ADOPTION_NOTE = "特別養子縁組"
"""The fixed 留意事項 wording of an adoptee's 転出/転入 (standard 1.1.14-c); on a 転出 it lets the
destination be blank (1.1.5-b)."""
SPECIAL_ADOPTION_DISSOLUTION_NOTE = "特別養子縁組解消"
"""The fixed 留意事項 wording when the adoption is dissolved (standard 1.1.14-c)."""

GENERATION_REASONS = frozenset({ChangeReason.REORGANISATION, ChangeReason.RESTORATION})
"""異動事由 that open a new generation of a record (改製, 再製): the rows before it are the 原住民票."""

DISAPPEARANCE_REMOVAL_REASON = "失踪宣告"
"""消除事由 of a 除票 removed on a 失踪宣告 notice; the 異動事由 is 職権消除 (standard 4.2.2.2-a)."""

CANCELLATION_REASONS = frozenset(
    {ChangeReason.CANCELLATION_ENTRY, ChangeReason.CANCELLATION_REMOVAL, ChangeReason.CANCELLATION_AMENDMENT}
)


def cancellation_of(reason: ChangeReason) -> ChangeReason:
    """The reason of a cancellation of a change with ``reason`` (standard 4.6.0.1-c): undoing a removal
    adds a person back (増), undoing a recording removes one (減), undoing an amendment amends (修正)."""
    return {
        ChangeCategory.REMOVAL: ChangeReason.CANCELLATION_ENTRY,
        ChangeCategory.RECORDING: ChangeReason.CANCELLATION_REMOVAL,
        ChangeCategory.AMENDMENT: ChangeReason.CANCELLATION_AMENDMENT,
    }[reason.category]


@dataclass(frozen=True)
class ForeignResidentItems:
    """住基法30条の45 items (records.md §6.8). Dates of stay are 西暦 ISO days."""

    nationality_code: str
    category: str
    alphabet_name: str = ""
    residence_status: str = ""
    period_of_stay: str = ""
    stay_expiry_date: str = ""
    residence_card_number: str = ""
    special_permanent_resident_number: str = ""
    # 上陸期間 of a 一時庇護許可者 and 仮滞在期間 of a 仮滞在許可者, as the permit states them (1.1.2-b).
    landing_period: str = ""
    provisional_stay_period: str = ""
    # 経過滞在者の別: 「出生」 or 「国籍喪失」 (TRANSITIONAL_REASONS); "" for every other category.
    transitional_reason: str = ""


@dataclass(frozen=True)
class PersonFacts:
    """One person's statutory items as entered (records.md §6.2–6.9); names kept exactly, IVS included."""

    kind: ResidentKind
    surname: str
    given_name: str
    surname_kana: str
    given_name_kana: str
    birth_date: RecordedDate
    sex: Sex
    relationship: Relationship
    # フリガナ確認 per kana item (standard 1.1.18-a): 氏名 (``kana_confirmed``), 旧氏 and 通称.
    kana_confirmed: bool = False
    former_surname_kana_confirmed: bool = False
    alias_kana_confirmed: bool = False
    former_surname: str = ""
    former_surname_kana: str = ""
    alias: str = ""
    alias_kana: str = ""
    honseki: str = ""
    hittousha: str = ""
    foreign: ForeignResidentItems | None = None
    juminhyo_code: str = ""
    # 旧外登法登録年月日 (standard 1.1.2-a, 1.1.8-c): foreign residents registered under the former Alien
    # Registration Act (before July 2012); may be 不詳. None when not held.
    former_alien_registration_date: RecordedDate | None = None
    # 続柄を証する書類 (standard 1.1.11-c): a foreign resident's kinship 続柄 needs one; None if none.
    relationship_proof: RelationshipProof | None = None


def with_checked_relationship_proof(facts: PersonFacts, *, field: str) -> PersonFacts:
    """The facts with their 続柄 proof checked (standard 1.1.11-c) where a 続柄 is entered, or DomainError.

    Not part of ``check_person``: that also re-checks records held before proofs were recorded.
    """
    proof = check_relationship_proof(
        foreign=facts.kind is ResidentKind.FOREIGN,
        relationship=facts.relationship,
        proof=facts.relationship_proof,
        field=field,
    )
    return replace(facts, relationship_proof=proof)


FOREIGN_CATEGORIES = ("中長期在留者", "特別永住者", "一時庇護許可者", "仮滞在許可者", "経過滞在者")

TRANSITIONAL_CATEGORY = "経過滞在者"
TRANSITIONAL_BY_BIRTH = "出生"
TRANSITIONAL_BY_LOSS = "国籍喪失"
TRANSITIONAL_REASONS = (TRANSITIONAL_BY_BIRTH, TRANSITIONAL_BY_LOSS)
"""How a 経過滞在者 came to be one (住基法30条の45 表; 入管法22条の2): born in Japan, or lost Japanese
nationality; either may stay up to TRANSITIONAL_STAY_DAYS without a status of residence."""
TRANSITIONAL_STAY_DAYS = 60

# The period item each category needs beside the nationality (1.1.2-b, 1.1.6-a).
_CATEGORY_PERIODS = {
    "一時庇護許可者": ("landing_period", "上陸期間"),
    "仮滞在許可者": ("provisional_stay_period", "仮滞在期間"),
}


def _missing(field_name: str, label: str) -> DomainError:
    return DomainError(
        field=field_name,
        reason=f"{label}が入力されていません。",
        remedy=f"{label}を入力してください。",
        code="resident.required",
    )


def check_person(facts: PersonFacts) -> tuple[PersonFacts, list[Alert]]:
    """Normalise フリガナ and check the required item set (standard 1.1.1–1.1.2, 1.1.6).

    Returns the facts with normalised kana and the alerts to show; raises DomainError for the
    first missing or malformed item.
    """
    alerts: list[Alert] = []
    if not facts.surname.strip():
        raise _missing("surname", "氏")
    if not facts.surname_kana.strip():
        raise _missing("surname_kana", "氏のフリガナ")
    surname_kana = normalize_furigana(facts.surname_kana, field="surname_kana")
    given_kana = (
        normalize_furigana(facts.given_name_kana, field="given_name_kana") if facts.given_name_kana else ""
    )
    former_kana = (
        normalize_furigana(facts.former_surname_kana, field="former_surname_kana")
        if facts.former_surname_kana
        else ""
    )
    alias_kana = normalize_furigana(facts.alias_kana, field="alias_kana") if facts.alias_kana else ""
    if facts.former_surname and not former_kana:
        raise _missing("former_surname_kana", "旧氏のフリガナ")
    if facts.kind is ResidentKind.JAPANESE:
        if facts.foreign is not None or facts.alias:
            raise DomainError(
                field="kind",
                reason="日本人住民に外国人住民の項目（通称・在留資格等）は記載できません。",
                remedy="住民種別を確認してください。",
                code="resident.foreign_items_on_japanese",
            )
        if not facts.honseki.strip():
            raise _missing("honseki", "本籍（不明の場合は「不明」、ない場合は「なし」）")
        if not facts.hittousha.strip() and facts.honseki not in ("なし", "不明"):
            raise _missing("hittousha", "筆頭者")
        if not isinstance(facts.birth_date, WarekiDate | UncertainDate):
            alerts.append(
                Alert(
                    field="birth_date",
                    message="日本人住民の生年月日は和暦で記録します。",
                    code="resident.birth_gregorian",
                )
            )
    else:
        if facts.foreign is None:
            raise _missing("foreign", "外国人住民の記載事項（国籍・地域、30条の45区分）")
        if facts.honseki or facts.former_surname:
            raise DomainError(
                field="kind",
                reason="外国人住民に本籍・旧氏は記載できません。",
                remedy="住民種別を確認してください。",
                code="resident.japanese_items_on_foreign",
            )
        check_foreign_items(facts.foreign)
    if facts.juminhyo_code:
        validate_juminhyo_code(facts.juminhyo_code)
    if facts.former_alien_registration_date is not None and facts.kind is ResidentKind.JAPANESE:
        raise DomainError(
            field="former_alien_registration_date",
            reason="日本人住民に旧外登法登録年月日は記載できません。",
            remedy="住民種別を確認してください。",
            code="resident.foreign_items_on_japanese",
        )
    normalised = replace(
        facts,
        surname_kana=surname_kana,
        given_name_kana=given_kana,
        former_surname_kana=former_kana,
        alias_kana=alias_kana,
    )
    return normalised, alerts


def check_foreign_items(items: ForeignResidentItems) -> None:
    """The 住基法30条の45 items a foreign resident's record needs (records.md §6.8), or DomainError."""
    if not items.nationality_code:
        raise _missing("nationality_code", "国籍・地域")
    if items.category not in FOREIGN_CATEGORIES:
        raise DomainError(
            field="foreign_category",
            reason="30条の45区分が正しくありません。",
            remedy="中長期在留者・特別永住者・一時庇護許可者・仮滞在許可者・経過滞在者から選んでください。",
            code="resident.foreign_category",
        )
    if items.category == "中長期在留者":
        for name, label in (
            ("residence_status", "在留資格"),
            ("period_of_stay", "在留期間"),
            ("stay_expiry_date", "在留期間の満了の日"),
            ("residence_card_number", "在留カード番号"),
        ):
            if not getattr(items, name):
                raise _missing(name, label)
        if not _is_residence_card_number(items.residence_card_number):
            raise DomainError(
                field="residence_card_number",
                reason="在留カード番号の形式が正しくありません。",
                remedy="英字2桁・数字8桁・英字2桁の12文字で入力してください。",
                code="resident.residence_card_format",
            )
    if items.category == "特別永住者" and not items.special_permanent_resident_number:
        raise _missing("special_permanent_resident_number", "特別永住者証明書番号")
    if items.category in _CATEGORY_PERIODS:
        name, label = _CATEGORY_PERIODS[items.category]
        if not getattr(items, name).strip():
            raise DomainError(
                field=name,
                reason=f"{items.category}の{label}が入力されていません。",
                remedy=f"許可書に記載された{label}を入力してください。",
                code="resident.required",
            )
    if items.category == TRANSITIONAL_CATEGORY and items.transitional_reason not in TRANSITIONAL_REASONS:
        raise DomainError(
            field="transitional_reason",
            reason="経過滞在者の別（出生・国籍喪失）が入力されていません。",
            remedy="経過滞在者は出生または国籍喪失の入力で記載してください。",
            code="resident.transitional_reason",
        )
    if items.transitional_reason and items.category != TRANSITIONAL_CATEGORY:
        raise DomainError(
            field="transitional_reason",
            reason="経過滞在者の別は経過滞在者にだけ記載できます。",
            remedy="30条の45区分を確認してください。",
            code="resident.transitional_reason",
        )


def transitional_stay_ends_on(birth_date: date) -> date:
    """The last day a child born in Japan may stay without a status of residence: 60 days from the
    birth (入管法22条の2), the birth day itself not counted (民法140条)."""
    return birth_date + timedelta(days=TRANSITIONAL_STAY_DAYS)


def _is_residence_card_number(value: str) -> bool:
    """在留カード番号: 2 Latin capitals, 8 digits, 2 Latin capitals (e.g. AB12345678CD)."""
    return (
        len(value) == 12
        and value.isascii()
        and value[:2].isalpha()
        and value[:2].isupper()
        and value[2:10].isdigit()
        and value[10:].isalpha()
        and value[10:].isupper()
    )


ALIEN_REGISTRATION_ACT_LAST_DAY = date(2012, 7, 8)
"""The last day of the former 外国人登録法 (abolished on 2012-07-09): no registration under it is later."""


def parse_former_alien_registration_date(text: str, *, field: str) -> RecordedDate | None:
    """旧外登法登録年月日 as entered (standard 1.1.2-a): blank is None (not held); a 不詳 form is kept
    (1.1.8-c); a day after the Act ended is a DomainError."""
    if not text.strip():
        return None
    parsed = parse_date_input(
        text, field_kind=DateFieldKind.FORMER_ALIEN_REGISTRATION, calendar=Calendar.WAREKI, field=field
    )
    value = parsed.value
    earliest = value.range_start if isinstance(value, UncertainDate) else parsed.sort_date
    if earliest is not None and earliest > ALIEN_REGISTRATION_ACT_LAST_DAY:
        raise DomainError(
            field=field,
            reason="旧外登法登録年月日が外国人登録法の廃止（平成24年7月9日）より後です。",
            remedy="外国人登録原票に記載された登録年月日（平成24年7月8日以前）を入力してください。",
            code="resident.former_alien_registration_after_act",
        )
    return value

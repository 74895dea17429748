"""Certificate rules that need no database: kinds, options, request rules, fees, 発行番号, certifiers.

Standard 5.1–5.7 and 1.3.9 (spec standard.md §12, §3), algorithms.md §E, 住基法12条・12条の2・12条の3,
controls.md C-35. The certificates app builds documents and records issuance around these rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from jumin.domain.errors import DomainError, refusal

_T = TypeVar("_T")

# 世帯連記式: four people on a sheet (standard known gap 1: "commonly four"); two when history is printed,
# so that each person's history lines fit in their block.
PEOPLE_PER_SHEET = 4
PEOPLE_PER_SHEET_WITH_HISTORY = 2
SEAL_MAX_MM = 25.0  # standard 5.6-b: at most 25 mm square, black
SERIAL_MIN_DIGITS = 3  # algorithms.md §E field 5


class CertificateKind(StrEnum):
    """証明書の種類 built so far (issue 6 item 1)."""

    COPY = "copy"  # 住民票の写し
    REMOVED_COPY = "removed_copy"  # 住民票の除票の写し
    STATED_ITEMS = "stated_items"  # 住民票記載事項証明書
    REMOVED_STATED_ITEMS = "removed_stated_items"  # 除票記載事項証明書
    MOVE_OUT = "move_out"  # 転出証明書 (住基法22条, 令23条・24条), with its QR code
    MOVE_OUT_SUBSTITUTE = (
        "move_out_substitute"  # 転出証明書に準ずる証明書 (lost, late 職権 転出; 4.1.3.0.3-a)
    )
    ORIGINAL_COPY = "original_copy"  # 改製原住民票の写し: one earlier generation (1.1.4-b, 1.1.5-a)
    # 再製原住民票の写し: one earlier generation that a 再製 closed (docs/workflows/restoration.md).
    RESTORED_ORIGINAL_COPY = "restored_original"
    # 特例転出 (4.1.3.0.4-a): the 転出証明書 layout stamped 「特例による転出処理済」, the resident's record
    # of a 転出 whose 転出証明書情報 went over 住基ネット; no QR code, not usable as a 転出証明書.
    SPECIAL_MOVE_OUT = "special_move_out"

    @property
    def label(self) -> str:
        """The printed title."""
        return _KIND_LABELS[self]

    @property
    def of_removed_record(self) -> bool:
        """Whether it certifies a 除票 rather than a current 住民票."""
        return self in (
            CertificateKind.REMOVED_COPY,
            CertificateKind.REMOVED_STATED_ITEMS,
            CertificateKind.ORIGINAL_COPY,
            CertificateKind.RESTORED_ORIGINAL_COPY,
        )

    @property
    def copies_generation(self) -> bool:
        """A 改製原住民票の写し or 再製原住民票の写し: it copies one earlier generation of a record."""
        return self in _ORIGINAL_RECORDS

    @property
    def original_record(self) -> str:
        """The record a generation copy certifies (「改製原住民票」, 「再製原住民票」), or ""."""
        return _ORIGINAL_RECORDS.get(self, ("", ""))[0]

    @property
    def generation_reason(self) -> str:
        """The 異動事由 that closed the generation a generation copy copies (「改製」, 「再製」), or ""."""
        return _ORIGINAL_RECORDS.get(self, ("", ""))[1]

    @property
    def is_move_out(self) -> bool:
        """A 転出証明書 or its substitute: the fixed items of 令24条 plus 転出先 and 転出予定年月日."""
        return self in (
            CertificateKind.MOVE_OUT,
            CertificateKind.MOVE_OUT_SUBSTITUTE,
            CertificateKind.SPECIAL_MOVE_OUT,
        )

    @property
    def carries_qr(self) -> bool:
        """Whether each copy carries the 転出証明書's QR code: never the 特例転出's stamped print, which
        the next municipality must not be able to read as a 転出証明書."""
        return self in (CertificateKind.MOVE_OUT, CertificateKind.MOVE_OUT_SUBSTITUTE)

    @property
    def reissuable(self) -> bool:
        """A 転出証明書 or its substitute may be issued again (再交付, standard 4.1.3.0.3-b), marked
        「再交付」 and with the state at the original issue."""
        return self in (CertificateKind.MOVE_OUT, CertificateKind.MOVE_OUT_SUBSTITUTE)

    @property
    def stamp(self) -> str:
        """The mark printed across the top of every page (「特例による転出処理済」), or ""."""
        return SPECIAL_MOVE_OUT_STAMP if self is CertificateKind.SPECIAL_MOVE_OUT else ""

    @property
    def states_items(self) -> bool:
        """A 記載事項証明書: it states chosen items instead of copying the record."""
        return self in (CertificateKind.STATED_ITEMS, CertificateKind.REMOVED_STATED_ITEMS)


_KIND_LABELS = {
    CertificateKind.COPY: "住民票の写し",
    CertificateKind.REMOVED_COPY: "住民票の除票の写し",
    CertificateKind.STATED_ITEMS: "住民票記載事項証明書",
    CertificateKind.REMOVED_STATED_ITEMS: "除票記載事項証明書",
    CertificateKind.MOVE_OUT: "転出証明書",
    CertificateKind.MOVE_OUT_SUBSTITUTE: "転出証明書に準ずる証明書",
    CertificateKind.ORIGINAL_COPY: "改製原住民票の写し",
    CertificateKind.RESTORED_ORIGINAL_COPY: "再製原住民票の写し",
    CertificateKind.SPECIAL_MOVE_OUT: "転出証明書（特例による転出処理済）",
}

SPECIAL_MOVE_OUT_STAMP = "特例による転出処理済"

# Generation copies: the record they certify and the 異動事由 (改製 or 再製) that closed the generation.
_ORIGINAL_RECORDS = {
    CertificateKind.ORIGINAL_COPY: ("改製原住民票", "改製"),
    CertificateKind.RESTORED_ORIGINAL_COPY: ("再製原住民票", "再製"),
}


class IssuedNoticeKind(StrEnum):
    """Notices entered in the 交付履歴 beside the certificates: standard 1.3.8-a names the 住民票コード
    notices (20.4.1–20.4.3). Each gets a 発行番号 and is kept, voided and verified like a certificate copy."""

    JUMINHYO_CODE = "code_notice"  # 住民票コード通知票
    JUMINHYO_CODE_CHANGED = "code_change_notice"  # 住民票コード変更通知票
    JUMINHYO_CODE_CORRECTED = "code_correct_notice"  # 住民票コード修正通知票

    @property
    def label(self) -> str:
        """The printed title."""
        return _NOTICE_LABELS[self]


_NOTICE_LABELS = {
    IssuedNoticeKind.JUMINHYO_CODE: "住民票コード通知票",
    IssuedNoticeKind.JUMINHYO_CODE_CHANGED: "住民票コード変更通知票",
    IssuedNoticeKind.JUMINHYO_CODE_CORRECTED: "住民票コード修正通知票",
}


class Layout(StrEnum):
    """世帯連記式 (several members on one certificate) or 個人票 (one person per certificate), 5.1-a."""

    HOUSEHOLD = "household"
    PERSONAL = "personal"

    @property
    def label(self) -> str:
        return "世帯連記式" if self is Layout.HOUSEHOLD else "個人票"


class RequesterClass(StrEnum):
    """請求者区分 (住基法12条, 12条の2, 12条の3; standard 8.1.1-a)."""

    SELF = "self"  # 本人
    SAME_HOUSEHOLD = "same_household"  # 同一世帯の者
    AGENT = "agent"  # 代理人（委任状）
    THIRD_PARTY = "third_party"  # 第三者（12条の3）
    OFFICIAL = "official"  # 公用（国・地方公共団体の機関, 12条の2）

    @property
    def label(self) -> str:
        return _REQUESTER_LABELS[self]


_REQUESTER_LABELS = {
    RequesterClass.SELF: "本人",
    RequesterClass.SAME_HOUSEHOLD: "同一世帯",
    RequesterClass.AGENT: "代理人",
    RequesterClass.THIRD_PARTY: "第三者",
    RequesterClass.OFFICIAL: "公用",
}


class IdentityCheck(StrEnum):
    """本人確認の方法 recorded with every request (controls.md C-22 by analogy)."""

    MYNUMBER_CARD = "mynumber_card"
    DRIVERS_LICENSE = "drivers_license"
    PASSPORT = "passport"
    RESIDENCE_CARD = "residence_card"
    OTHER_PHOTO_ID = "other_photo_id"
    TWO_DOCUMENTS = "two_documents"
    OFFICIAL_REQUEST_FORM = "official_request_form"

    @property
    def label(self) -> str:
        return _IDENTITY_LABELS[self]


_IDENTITY_LABELS = {
    IdentityCheck.MYNUMBER_CARD: "個人番号カード",
    IdentityCheck.DRIVERS_LICENSE: "運転免許証",
    IdentityCheck.PASSPORT: "旅券",
    IdentityCheck.RESIDENCE_CARD: "在留カード・特別永住者証明書",
    IdentityCheck.OTHER_PHOTO_ID: "その他の写真付き公的証明書",
    IdentityCheck.TWO_DOCUMENTS: "健康保険証等の書類2点",
    IdentityCheck.OFFICIAL_REQUEST_FORM: "公用請求書（職員証等）",
}


class ThirdPartyPurpose(StrEnum):
    """The grounds a third party may name (住基法12条の3第1項各号・第2項)."""

    RIGHTS_OR_DUTIES = "rights_or_duties"  # 自己の権利を行使し、又は自己の義務を履行するため
    SUBMISSION_TO_AUTHORITY = "submission_to_authority"  # 国又は地方公共団体の機関に提出するため
    OTHER_LEGITIMATE = "other_legitimate"  # その他正当な理由
    DESIGNATED_PROFESSIONAL = "designated_professional"  # 特定事務受任者（弁護士等）の受任事件

    @property
    def label(self) -> str:
        return _PURPOSE_LABELS[self]


_PURPOSE_LABELS = {
    ThirdPartyPurpose.RIGHTS_OR_DUTIES: "自己の権利行使・義務履行（12条の3第1項1号）",
    ThirdPartyPurpose.SUBMISSION_TO_AUTHORITY: "国・地方公共団体の機関への提出（同項2号）",
    ThirdPartyPurpose.OTHER_LEGITIMATE: "その他正当な理由（同項3号）",
    ThirdPartyPurpose.DESIGNATED_PROFESSIONAL: "特定事務受任者の受任事件（同条第2項）",
}


class ForeignItem(StrEnum):
    """A foreign resident's item that a copy prints or omits, each on its own (standard 5.1-b)."""

    NATIONALITY = "nationality"  # 国籍・地域
    CATEGORY = "category"  # 法第30条の45に規定する区分
    RESIDENCE_STATUS = "residence_status"  # 在留資格
    PERIOD = "period"  # 在留期間等
    EXPIRY = "expiry"  # 在留期間の満了の日
    CARD_NUMBER = "card_number"  # 在留カード等の番号, 特別永住者証明書の番号
    ALIAS_HISTORY = "alias_history"  # 通称の履歴 (記載・削除の年月日と市区町村)

    @property
    def label(self) -> str:
        """The item's name on screens."""
        return _FOREIGN_ITEM_LABELS[self]


_FOREIGN_ITEM_LABELS = {
    ForeignItem.NATIONALITY: "国籍・地域",
    ForeignItem.CATEGORY: "法第30条の45に規定する区分",
    ForeignItem.RESIDENCE_STATUS: "在留資格",
    ForeignItem.PERIOD: "在留期間等",
    ForeignItem.EXPIRY: "在留期間の満了の日",
    ForeignItem.CARD_NUMBER: "在留カード等の番号",
    ForeignItem.ALIAS_HISTORY: "通称の履歴",
}

#: The foreign items printed when nothing else is asked: the statutory items, without the 通称 history.
DEFAULT_FOREIGN_ITEMS: frozenset[ForeignItem] = frozenset(ForeignItem) - {ForeignItem.ALIAS_HISTORY}


def foreign_items_of(values: Iterable[str]) -> frozenset[ForeignItem]:
    """Parse stored or posted foreign-item codes; an unknown code is refused, naming the field."""
    try:
        return frozenset(ForeignItem(str(value)) for value in values)
    except ValueError:
        raise refusal(
            "foreign_items",
            "外国人住民の記載事項の指定が正しくありません。",
            "一覧にある記載事項から選んでください。",
            "certificates.foreign_item_unknown",
        ) from None


#: The on/off choices of 5.1-a that a municipality sets defaults for (``certificate_settings``).
ITEM_FLAGS = (
    "whole_household",
    "with_history",
    "show_head_and_relationship",
    "show_honseki",
    "show_juminhyo_code",
    "show_individual_number",
)


@dataclass(frozen=True)
class CertificateOptions:
    """What to print (standard 5.1-a/b). For a whole household, one of ``atena_numbers`` names it."""

    kind: CertificateKind = CertificateKind.COPY
    layout: Layout = Layout.HOUSEHOLD
    atena_numbers: tuple[str, ...] = ()
    whole_household: bool = True
    with_history: bool = False
    show_head_and_relationship: bool = True
    show_honseki: bool = False
    show_juminhyo_code: bool = False
    show_individual_number: bool = False
    show_foreign_items: bool = True
    # Which foreign items, each on its own (5.1-b); printed only while ``show_foreign_items`` is on.
    foreign_items: frozenset[ForeignItem] = DEFAULT_FOREIGN_ITEMS
    omit_katagaki: bool = False
    copies: int = 1
    # 改製原住民票・再製原住民票の写し only: which earlier generation (1 = the oldest).
    generation: int | None = None

    def prints_foreign(self, item: ForeignItem) -> bool:
        """Whether a foreign resident's ``item`` is printed under these options."""
        return self.show_foreign_items and item in self.foreign_items

    def as_record(self) -> dict[str, object]:
        """The options as the 交付履歴 stores them (no personal data besides the subjects' 宛名番号)."""
        return {
            "kind": self.kind.value,
            "layout": self.layout.value,
            "whole_household": self.whole_household,
            "with_history": self.with_history,
            "show_head_and_relationship": self.show_head_and_relationship,
            "show_honseki": self.show_honseki,
            "show_juminhyo_code": self.show_juminhyo_code,
            "show_individual_number": self.show_individual_number,
            "show_foreign_items": self.show_foreign_items,
            "foreign_items": sorted(item.value for item in self.foreign_items),
            "omit_katagaki": self.omit_katagaki,
            "copies": self.copies,
            **({"generation": self.generation} if self.generation is not None else {}),
        }


def options_from_record(record: Mapping[str, Any], atena_numbers: tuple[str, ...]) -> CertificateOptions:
    """The options a 交付履歴 row recorded (``CertificateOptions.as_record``) for the people named, one copy
    (a 再交付 prints what the original printed)."""
    flags = (*ITEM_FLAGS, "show_foreign_items", "omit_katagaki")
    # A row written before 5.1-b's per-item choice printed every statutory item.
    foreign = DEFAULT_FOREIGN_ITEMS
    if "foreign_items" in record:
        foreign = foreign_items_of(record["foreign_items"])
    return CertificateOptions(
        kind=CertificateKind(str(record["kind"])),
        layout=Layout(str(record["layout"])),
        atena_numbers=atena_numbers,
        copies=1,
        foreign_items=foreign,
        **{flag: bool(record[flag]) for flag in flags if flag in record},
    )


@dataclass(frozen=True)
class CertificateRequest:
    """Who asks, how they were identified, and why (住基法12条–12条の3; controls.md C-35)."""

    requester_class: RequesterClass
    identity_check: IdentityCheck
    requester_name: str = ""
    power_of_attorney_checked: bool = False
    third_party_purpose: ThirdPartyPurpose | None = None
    purpose_detail: str = ""  # 利用目的の内容 (third parties) / 請求事由 (公用)
    request_reason: str = ""  # 請求理由 (required with a 個人番号)
    submit_to: str = ""  # 提出先 (required with a 個人番号)
    # The codes of the alerts the clerk acknowledged, one by one (registry acknowledgement style).
    acknowledged_alerts: tuple[str, ...] = ()
    # 加害者照合 (standard 1.1.16-a): the requester's 宛名番号 when they are on this registry, or their
    # 生年月日 (with ``requester_name``); a recorded 加害者 of a protected subject is refused.
    requester_atena_number: str = ""
    requester_birth_date: date | None = None

    @property
    def official_use(self) -> bool:
        """Whether the copy carries 「公用」 (standard 5.7-a)."""
        return self.requester_class is RequesterClass.OFFICIAL


def check_request(request: CertificateRequest, options: CertificateOptions) -> None:
    """Refuse a request the rules do not allow; each refusal names the rule (C-22, C-35, 住基法12条の3)."""
    if not 1 <= options.copies <= 10:
        raise refusal(
            "copies", "通数は1から10までです。", "通数を直してください。", "certificates.copies_range"
        )
    if not options.atena_numbers:
        # The whole household is found from any one member; a part needs every member named.
        raise refusal(
            "atena_numbers",
            "証明する方が選ばれていません。",
            "記載する方の宛名番号を入力してください（世帯全員の場合はどなたか一人）。",
            "certificates.no_subject",
        )
    if options.omit_katagaki and not options.kind.states_items:
        # 5.4-a: 方書 is always printed; only a 記載事項証明書 may leave it off, on request.
        raise refusal(
            "omit_katagaki",
            "方書を省略できるのは記載事項証明書だけです。",
            "方書を記載するか、記載事項証明書を選んでください。",
            "certificates.katagaki_required",
        )
    if options.kind.copies_generation:
        _check_original_copy(options)
    who = request.requester_class
    if who in (RequesterClass.AGENT, RequesterClass.THIRD_PARTY, RequesterClass.OFFICIAL) and not (
        request.requester_name.strip()
    ):
        raise refusal(
            "requester_name",
            "代理人・第三者・公用の請求では請求者の氏名（機関名）の記録が必要です。",
            "請求者の氏名または機関名を入力してください。",
            "certificates.requester_name_required",
        )
    if who is RequesterClass.AGENT and not request.power_of_attorney_checked:
        raise refusal(
            "power_of_attorney_checked",
            "代理人による請求には委任状の確認が必要です。",
            "委任状を確認し、確認済みにしてください。",
            "certificates.power_of_attorney_required",
        )
    if who is RequesterClass.THIRD_PARTY and (
        request.third_party_purpose is None or not request.purpose_detail.strip()
    ):
        raise refusal(
            "third_party_purpose",
            "第三者による請求は、住民基本台帳法第12条の3に定める利用目的とその内容が必要です。",
            "利用目的の区分と具体的な内容を入力してください。",
            "certificates.third_party_purpose_required",
        )
    if who is RequesterClass.OFFICIAL and not request.purpose_detail.strip():
        raise refusal(
            "purpose_detail",
            "公用請求には請求事由の記録が必要です（住民基本台帳法第12条の2）。",
            "公用請求書に記載された請求事由を入力してください。",
            "certificates.official_reason_required",
        )
    if options.kind.is_move_out and who not in MOVE_OUT_REQUESTERS:
        raise refusal(
            "requester_class",
            "転出証明書（準ずる証明書を含む）は、転出の届出をした本人・同一世帯の方・代理人にだけ交付できます。",
            "請求者区分を確認してください。第三者・公用には除票の写しを交付してください。",
            "certificates.move_out_requester",
        )
    if options.show_individual_number:
        _check_individual_number(request)
    if options.show_juminhyo_code and who is RequesterClass.THIRD_PARTY:
        raise refusal(
            "show_juminhyo_code",
            "第三者の請求では住民票コードを記載できません（住民基本台帳法第12条の3）。",
            "住民票コードを「省略」にしてください。",
            "certificates.juminhyo_code_not_for_third_party",
        )


def _check_original_copy(options: CertificateOptions) -> None:
    """A 改製原住民票の写し (or 再製原住民票の写し) copies one earlier generation (standard 1.1.5-a): one
    person's as a 個人票, or as 世帯連記式 that person's with the household's of the same 改製 or 再製
    (the generation counts from the first person named)."""
    record = options.kind.original_record
    if options.layout is Layout.PERSONAL and len(options.atena_numbers) != 1:
        raise refusal(
            "atena_numbers",
            f"{record}の写し（個人票）は一人ずつ交付します。",
            "記載する方の宛名番号を一つだけ入力するか、世帯連記式を選んでください。",
            "certificates.original_copy_one_person",
        )
    if options.generation is None or options.generation < 1:
        raise refusal(
            "generation",
            f"{record}の世代が選ばれていません。",
            f"世代の一覧から交付する{record}の世代（1が最も古い）を選んでください。",
            "certificates.generation_required",
        )


MOVE_OUT_REQUESTERS = frozenset({RequesterClass.SELF, RequesterClass.SAME_HOUSEHOLD, RequesterClass.AGENT})


def normalized_options(options: CertificateOptions) -> CertificateOptions:
    """The options as printed: a 転出証明書 always carries the items of 令24条 and no history.

    世帯主・続柄, 本籍・筆頭者 and 住民票コード are fixed items of a 転出証明書 (the new municipality
    records them from it), the 方書 stays with the address, and history is never printed on one.
    A 改製原住民票の写し (or 再製原住民票の写し) always prints the rows of its generation (the history is
    what it copies); as a 個人票 it is one person's. Other kinds are returned unchanged, without a generation.
    """
    if options.kind.copies_generation:
        if options.layout is Layout.PERSONAL:
            return replace(options, whole_household=False, with_history=True)
        return replace(options, with_history=True)
    if options.generation is not None:
        options = replace(options, generation=None)
    if not options.kind.is_move_out:
        return options
    return replace(
        options,
        with_history=False,
        show_head_and_relationship=True,
        show_honseki=True,
        show_juminhyo_code=True,
        show_foreign_items=True,
        foreign_items=options.foreign_items | DEFAULT_FOREIGN_ITEMS,
        omit_katagaki=False,
    )


def _check_individual_number(request: CertificateRequest) -> None:
    """個人番号 only for the person or a member of the same household, with reason and recipient (C-35)."""
    if request.requester_class not in (RequesterClass.SELF, RequesterClass.SAME_HOUSEHOLD):
        raise refusal(
            "show_individual_number",
            "個人番号入りの写しは、本人または同一世帯の方の請求に限り交付できます。",
            "個人番号を「省略」にするか、本人・同一世帯の方から請求を受けてください。",
            "certificates.individual_number_requester",
        )
    if not request.request_reason.strip() or not request.submit_to.strip():
        raise refusal(
            "request_reason",
            "個人番号入りの写しには請求理由と提出先の記録が必要です。",
            "請求理由と提出先を入力してください。",
            "certificates.individual_number_reason_required",
        )


# A fee table maps a kind's value to yen per copy (通); 公用 is free (手数料条例 practice).
FeeTable = Mapping[str, int]
# A 転出証明書 is part of the 転出届 and free, and so is the 特例転出's stamped print; the substitute is
# charged like a 除票の写し.
FREE_KINDS = frozenset({CertificateKind.MOVE_OUT, CertificateKind.SPECIAL_MOVE_OUT})
DEFAULT_FEES: dict[str, int] = {kind.value: 0 if kind in FREE_KINDS else 300 for kind in CertificateKind}


def fee_for(kind: CertificateKind, *, units: int, requester_class: RequesterClass, table: FeeTable) -> int:
    """The fee in yen: per certificate unit (one 世帯連記式 copy or one 個人票) times the table's price."""
    if requester_class is RequesterClass.OFFICIAL:
        return 0
    if kind.value not in table:
        raise refusal(
            "kind",
            "この証明書の手数料が設定されていません。",
            "手数料表（JUMIN_CERTIFICATE_FEES）を設定してください。",
            "certificates.fee_missing",
        )
    return int(table[kind.value]) * units


def certification_text(kind: CertificateKind, layout: Layout, *, whole_household: bool) -> str:
    """認証文, printed on the last page only (standard 5.1-c)."""
    if kind is CertificateKind.STATED_ITEMS:
        return "上記のとおり住民票に記載されていることを証明する。"
    if kind is CertificateKind.REMOVED_STATED_ITEMS:
        return "上記のとおり除かれた住民票に記載されていることを証明する。"
    if kind is CertificateKind.MOVE_OUT:
        return "上記の者は、転出の届出をしたことを証明する。"
    if kind is CertificateKind.SPECIAL_MOVE_OUT:
        return (
            "上記の者は、特例による転出の届出をし、転出証明書情報は転入予定地の市区町村に"
            "送信済みであることを証明する。"
        )
    if kind is CertificateKind.MOVE_OUT_SUBSTITUTE:
        return "上記の者は、転出したことを証明する。（転出証明書に準ずる証明書）"
    if kind is CertificateKind.REMOVED_COPY:
        return "この写しは、除かれた住民票の原本と相違ないことを証明する。"
    if kind.copies_generation and layout is Layout.HOUSEHOLD:
        part = "世帯全員" if whole_household else "世帯の一部"
        return f"この写しは、{part}の{kind.original_record}の原本と相違ないことを証明する。"
    if kind.copies_generation:
        return f"この写しは、{kind.original_record}の原本と相違ないことを証明する。"
    if layout is Layout.PERSONAL:
        return "この写しは、住民票の原本と相違ないことを証明する。"
    if whole_household:
        return "この写しは、世帯全員の住民票の原本と相違ないことを証明する。"
    return "この写しは、世帯の一部の住民票の原本と相違ないことを証明する。"


def split_sheets(items: Sequence[_T], per_sheet: int) -> list[list[_T]]:
    """Items in sheets of ``per_sheet`` (the last may be shorter); never zero sheets."""
    if per_sheet < 1:
        raise ValueError("per_sheet must be positive")
    if not items:
        return [[]]
    return [list(items[i : i + per_sheet]) for i in range(0, len(items), per_sheet)]


@dataclass(frozen=True)
class IssueNumber:
    """発行番号 (standard 5.5-a, algorithms.md §E): six stored fields, printed as one line."""

    issue_date: date
    municipality: str
    terminal: str
    printer: str
    serial: int
    page: int
    pages: int

    def __post_init__(self) -> None:
        if self.serial < 1 or not 1 <= self.page <= self.pages:
            raise ValueError("serial must be positive and page within 1..pages")

    @property
    def copy_number(self) -> str:
        """Everything but page/total: the same on every page of one copy, unique per copy."""
        parts = [self.issue_date.strftime("%Y%m%d"), self.municipality, self.terminal, self.printer]
        parts.append(f"{self.serial:0{SERIAL_MIN_DIGITS}d}")
        # A blank terminal or printer is left out together with its separator (§E rules).
        return " ".join(part for part in parts if part)

    def text(self) -> str:
        """The printed line, e.g. ``20250404 日野市 本庁1 プリンタ001 011 1/4``."""
        return f"{self.copy_number} {self.page}/{self.pages}"


class CertifierRole(StrEnum):
    """認証者: the mayor (市区町村長) or the acting officer (職務代理者), standard 1.3.9-a."""

    MAYOR = "mayor"
    ACTING = "acting"


@dataclass(frozen=True)
class CertifierPeriod:
    """One registered certifier and the period they certify in (``valid_to`` None: open-ended)."""

    key: int
    role: CertifierRole
    valid_from: date
    valid_to: date | None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def certifier_on(periods: Iterable[CertifierPeriod], day: date) -> int:
    """The key of the certifier for ``day``: an acting officer whose period covers it, else the mayor.

    The switch is automatic over the registered acting period (standard 1.3.9-a, 5.6-a). Several
    matches of one role: the latest start wins, so a newly registered row supersedes an open-ended one.
    """
    covering = [p for p in periods if p.covers(day)]
    for role in (CertifierRole.ACTING, CertifierRole.MAYOR):
        candidates = [p for p in covering if p.role is role]
        if candidates:
            return max(candidates, key=lambda p: (p.valid_from, p.key)).key
    raise DomainError(
        field="certifier",
        reason="この日付に有効な認証者（市区町村長または職務代理者）が登録されていません。",
        remedy="認証者マスタに市区町村長と在任期間を登録してください。",
        code="certificates.no_certifier",
    )


# 文字超過 (standard 5.8-a). Each printed box holds a number of full-width characters at the normal size
# (lines × characters per line of the A4 layout); a longer value is printed smaller, down to 70 %, and a
# value that does not fit even then is an overflow: alerted, printed up to the limit or left blank
# (``JUMIN_CERTIFICATE_OVERFLOW_PRINT``), and printed in full on the 文字超過リスト sheet.
SHRINK_STEPS = (100, 90, 80, 70)  # percent of the normal type size, tried in order
NAME_LIMIT = 24  # 氏名 (one line at 12 pt beside the フリガナ)
ADDRESS_LIMIT = 88  # 住所, 世帯主, 転出先 and other full-width boxes (two lines)
ITEM_LIMIT = 32  # one item of the two-column block (two lines)
OVERFLOW_ALERT = "certificates.text_overflow_list"


class OverflowPrint(StrEnum):
    """What the box of an overflowing item shows (the full value is on the 文字超過リスト)."""

    TRUNCATE = "truncate"  # up to the limit, at the smallest size
    BLANK = "blank"  # nothing; 「文字超過リスト参照」 only


def print_width(text: str) -> float:
    """Width in full-width characters: ASCII and half-width kana count ½, variation selectors 0."""
    width = 0.0
    for char in text:
        code = ord(char)
        if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
            continue
        width += 0.5 if code < 0x80 or 0xFF61 <= code <= 0xFF9F else 1.0
    return width


@dataclass(frozen=True)
class Fitted:
    """A value as printed in its box: the text, the type size in percent, and whether it overflowed."""

    text: str
    scale: int
    overflow: bool


def _cut(text: str, width: float) -> str:
    kept: list[str] = []
    for char in text:
        if print_width("".join(kept) + char) > width:
            break
        kept.append(char)
    return "".join(kept)


def fit(text: str, limit: int, mode: OverflowPrint) -> Fitted:
    """Shrink ``text`` to fit ``limit`` full-width characters where possible (5.8-a), else mark overflow."""
    width = print_width(text)
    for scale in SHRINK_STEPS:
        if width * scale / 100 <= limit:
            return Fitted(text=text, scale=scale, overflow=False)
    smallest = SHRINK_STEPS[-1]
    if mode is OverflowPrint.BLANK:
        return Fitted(text="", scale=100, overflow=True)
    return Fitted(text=_cut(text, limit * 100 / smallest), scale=smallest, overflow=True)

"""The EUC catalogue (standard 10.1-a): each extractable item with its name, type, length, 外字 flag, codes.

An item reads one committed snapshot column (``column``), a key of the foreign-resident items, a
program flag (the person's latest ``ProgramRecord``), a card's status or expiry (the person's
``CardEvent`` rows, ``cards.card_states``), one card event of the card-history scope (``event:``), the
person's 世帯 as it is now (``household:``: 世帯主の氏名, 世帯人数), the latest 戸籍附票記載事項通知 the
registry made for the person (``fuhyo:``, ``FuhyoNoticeOutbox``) or a value computed from the row at
the definition's reference date (年齢, 年齢階級, 在留期間の残り日数, 住民となった日からの年数;
``domain.recorded_dates.age_on``). The 個人番号 is not in the catalogue at all: it can never be
extracted (C-9, C-60). 本籍・筆頭者 (and the 附票通知 items, which name the 本籍地), 住民票コード and
在留資格 (and the days left of the stay) need their field-view permission (10.4-a, C-10); a definition
naming them is refused without it. The layout here is Jumin's own: the 中間標準レイアウト is not
available (standard-coverage known gap 5, row 10.6-a).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from jumin.accounts.permissions import Permission
from jumin.domain.resident import ResidentKind, ResidentStatus, Sex
from jumin.registry.cards import CardEventKind, CardKind, CardStatus
from jumin.registry.programs import PROGRAM_LABELS, RESTRICTED_VIEW, Program


class ItemType(StrEnum):
    """型: how an item is compared and which operators it takes."""

    TEXT = "text"
    CODE = "code"
    DATE = "date"
    DIGITS = "digits"
    FLAG = "flag"


TYPE_LABELS = {
    ItemType.TEXT: "文字",
    ItemType.CODE: "コード",
    ItemType.DATE: "日付",
    ItemType.DIGITS: "数字",
    ItemType.FLAG: "有無",
}


@dataclass(frozen=True)
class EucItem:
    """One catalogue entry. ``source`` is a snapshot column, ``foreign:<key>``, ``program:<program>``,
    ``card:<card kind>:<status|expiry>``, ``event:<CardEvent field>``, ``household:<head_name|members>``,
    ``fuhyo:<FuhyoNoticeOutbox field>`` or ``computed:<name>``; ``numeric`` items can be summed."""

    key: str
    label: str
    item_type: ItemType
    length: int
    gaiji: bool
    source: str
    codes: dict[str, str] = field(default_factory=dict)
    permission: Permission | None = None
    numeric: bool = False

    @property
    def type_label(self) -> str:
        """型 in Japanese, for the catalogue screen."""
        return TYPE_LABELS[self.item_type]


_STATUS_CODES = {
    ResidentStatus.RESIDENT: "住民",
    ResidentStatus.PLANNED_MOVE_OUT: "転出予定",
    ResidentStatus.REMOVED: "除票",
}
_KIND_CODES = {ResidentKind.JAPANESE: "日本人住民", ResidentKind.FOREIGN: "外国人住民"}
_SEX_CODES = {Sex.MALE: "男", Sex.FEMALE: "女"}

# Computed items: 生年月日 (the stored 和暦・西暦・不詳 value) at the definition's reference date.
AGE = "computed:age"
AGE_BAND = "computed:age_band"
BIRTH_DATE_COLUMN = "birth_date"
# Computed from the row at the reference date too: days to 在留期間等の満了の日, years since 住民となった日.
STAY_DAYS_LEFT = "computed:stay_days_left"
RESIDENT_YEARS = "computed:resident_years"
BECAME_RESIDENT_COLUMN = "became_resident_date"
REFERENCE_DATE_SOURCES = frozenset({AGE, AGE_BAND, STAY_DAYS_LEFT, RESIDENT_YEARS})


def full_name(surname: str, given_name: str) -> str:
    """氏 and 名 with an ideographic space, as the certificates print them."""
    return f"{surname}\u3000{given_name}".strip("\u3000")


def age_band(age: int) -> str:
    """年齢階級 of five years: 「0～4歳」 … 「95～99歳」, 「100歳以上」."""
    if age >= 100:
        return "100歳以上"
    low = age - age % 5
    return f"{low}～{low + 4}歳"


# The person's 世帯 as it is now (its current members not removed), one query per chunk.
HOUSEHOLD_HEAD_NAME = "household:head_name"
HOUSEHOLD_MEMBERS = "household:members"
# The row's 世帯 as it was right after the row's own change (registry/euc/households_then.py).
HOUSEHOLD_HEAD_NAME_THEN = "household:head_name_then"
HOUSEHOLD_MEMBERS_THEN = "household:members_then"
HOUSEHOLD_THEN_SOURCES = frozenset({HOUSEHOLD_HEAD_NAME_THEN, HOUSEHOLD_MEMBERS_THEN})
# Items of one card event: only in the card-history scope (one row per ``CardEvent``).
CARD_EVENT_PREFIX = "event:"
# カード運用状況 as codes: 未交付 when the person has no event for that card.
CARD_STATUS_CODES = {status.name.lower(): status.value for status in CardStatus}

_ITEMS: tuple[EucItem, ...] = (
    EucItem("atena_number", "宛名番号", ItemType.DIGITS, 16, False, "resident__atena_number"),
    EucItem("household_number", "世帯番号", ItemType.DIGITS, 16, False, "household__number"),
    EucItem("history_no", "履歴番号", ItemType.DIGITS, 6, False, "history_no", numeric=True),
    EucItem(
        "status",
        "住民状態",
        ItemType.CODE,
        20,
        False,
        "status",
        {str(k): v for k, v in _STATUS_CODES.items()},
    ),
    EucItem("kind", "住民種別", ItemType.CODE, 1, False, "kind", {str(k): v for k, v in _KIND_CODES.items()}),
    EucItem("surname", "氏", ItemType.TEXT, 100, True, "surname"),
    EucItem("given_name", "名", ItemType.TEXT, 100, True, "given_name"),
    EucItem("surname_kana", "氏フリガナ", ItemType.TEXT, 100, False, "surname_kana"),
    EucItem("given_name_kana", "名フリガナ", ItemType.TEXT, 100, False, "given_name_kana"),
    EucItem("former_surname", "旧氏", ItemType.TEXT, 100, True, "former_surname"),
    EucItem("alias", "通称", ItemType.TEXT, 100, True, "alias"),
    EucItem("birth_date", "生年月日", ItemType.DATE, 10, False, "birth_sort_date"),
    EucItem("age", "年齢（基準日現在）", ItemType.DIGITS, 3, False, AGE, numeric=True),
    EucItem("age_band", "年齢階級（5歳）", ItemType.TEXT, 10, False, AGE_BAND),
    EucItem(
        "resident_years",
        "住民となった日からの年数（基準日現在）",
        ItemType.DIGITS,
        3,
        False,
        RESIDENT_YEARS,
        numeric=True,
    ),
    EucItem("sex", "性別", ItemType.CODE, 10, False, "sex", {str(k): v for k, v in _SEX_CODES.items()}),
    EucItem("is_head", "世帯主", ItemType.FLAG, 1, False, "is_head"),
    EucItem("relationship", "続柄", ItemType.TEXT, 40, False, "relationship"),
    EucItem("postal_code", "郵便番号", ItemType.DIGITS, 7, False, "postal_code"),
    EucItem("address_code", "住所コード", ItemType.DIGITS, 11, False, "address_code"),
    EucItem("address", "住所", ItemType.TEXT, 200, True, "address"),
    EucItem("katagaki", "方書", ItemType.TEXT, 200, True, "katagaki"),
    EucItem("became_resident_reason", "住民となった事由", ItemType.TEXT, 20, False, "became_resident_reason"),
    EucItem("change_reason", "異動事由", ItemType.TEXT, 20, False, "change__reason"),
    EucItem("change_date", "異動日", ItemType.DATE, 10, False, "change__change_date"),
    EucItem("removal_reason", "消除事由", ItemType.TEXT, 20, False, "removal_reason"),
    EucItem("removal_date", "消除日", ItemType.DATE, 10, False, "removal_date"),
    EucItem("honseki", "本籍", ItemType.TEXT, 200, True, "honseki", permission=Permission.FIELD_HONSEKI_VIEW),
    EucItem(
        "hittousha", "筆頭者", ItemType.TEXT, 100, True, "hittousha", permission=Permission.FIELD_HONSEKI_VIEW
    ),
    EucItem(
        "juminhyo_code",
        "住民票コード",
        ItemType.DIGITS,
        11,
        False,
        "juminhyo_code",
        permission=Permission.FIELD_JUMINHYO_CODE_VIEW,
    ),
    EucItem("nationality_code", "国籍・地域コード", ItemType.CODE, 3, False, "foreign:nationality_code"),
    EucItem(
        "residence_status",
        "在留資格",
        ItemType.TEXT,
        40,
        False,
        "foreign:residence_status",
        permission=Permission.FIELD_RESIDENCE_STATUS_VIEW,
    ),
    EucItem(
        "stay_expiry_date",
        "在留期間等の満了の日",
        ItemType.DATE,
        10,
        False,
        "foreign:stay_expiry_date",
        permission=Permission.FIELD_RESIDENCE_STATUS_VIEW,
    ),
    EucItem(
        "stay_days_left",
        "在留期間の残り日数（基準日現在）",
        ItemType.DIGITS,
        5,
        False,
        STAY_DAYS_LEFT,
        permission=Permission.FIELD_RESIDENCE_STATUS_VIEW,
        numeric=True,
    ),
    EucItem("household_head_name", "世帯主の氏名", ItemType.TEXT, 201, True, HOUSEHOLD_HEAD_NAME),
    EucItem("household_members", "世帯人数", ItemType.DIGITS, 3, False, HOUSEHOLD_MEMBERS, numeric=True),
    EucItem(
        "household_head_name_then", "世帯主の氏名（当時）", ItemType.TEXT, 201, True, HOUSEHOLD_HEAD_NAME_THEN
    ),
    EucItem(
        "household_members_then",
        "世帯人数（当時）",
        ItemType.DIGITS,
        3,
        False,
        HOUSEHOLD_MEMBERS_THEN,
        numeric=True,
    ),
    EucItem(
        "fuhyo_notice_date",
        "戸籍附票記載事項通知（最新の作成日）",
        ItemType.DATE,
        10,
        False,
        "fuhyo:created_at",
        permission=Permission.FIELD_HONSEKI_VIEW,
    ),
    EucItem(
        "fuhyo_destination_code",
        "戸籍附票記載事項通知（本籍地市町村コード）",
        ItemType.DIGITS,
        6,
        False,
        "fuhyo:destination_code",
        permission=Permission.FIELD_HONSEKI_VIEW,
    ),
    EucItem(
        "fuhyo_notice_sent",
        "戸籍附票記載事項通知（送付済み）",
        ItemType.FLAG,
        1,
        False,
        "fuhyo:sent_at",
        permission=Permission.FIELD_HONSEKI_VIEW,
    ),
    *(
        EucItem(
            f"program_{program.value}",
            f"{label}（資格・登録）",
            ItemType.FLAG,
            1,
            False,
            f"program:{program.value}",
            permission=RESTRICTED_VIEW.get(program),
        )
        for program, label in PROGRAM_LABELS.items()
    ),
    *(
        item
        for kind in CardKind
        for item in (
            EucItem(
                f"card_{kind.value}",
                f"{kind.label}（状態）",
                ItemType.CODE,
                10,
                False,
                f"card:{kind.value}:status",
                CARD_STATUS_CODES,
            ),
            EucItem(
                f"card_{kind.value}_expiry",
                f"{kind.label}（有効期限）",
                ItemType.DATE,
                10,
                False,
                f"card:{kind.value}:expiry",
            ),
        )
    ),
    EucItem(
        "card_event_card_kind",
        "カード履歴（カード種別）",
        ItemType.CODE,
        20,
        False,
        f"{CARD_EVENT_PREFIX}card_kind",
        {kind.value: kind.label for kind in CardKind},
    ),
    EucItem(
        "card_event",
        "カード履歴（カード運用状況）",
        ItemType.CODE,
        20,
        False,
        f"{CARD_EVENT_PREFIX}event",
        {kind.value: kind.label for kind in CardEventKind},
    ),
    EucItem(
        "card_event_date", "カード履歴（発生日）", ItemType.DATE, 10, False, f"{CARD_EVENT_PREFIX}event_date"
    ),
    EucItem(
        "card_event_expiry",
        "カード履歴（カード有効期限）",
        ItemType.DATE,
        10,
        False,
        f"{CARD_EVENT_PREFIX}expiry_date",
    ),
)

CATALOGUE: dict[str, EucItem] = {item.key: item for item in _ITEMS}

# Never in the catalogue, named so a definition asking for them gets a clear refusal (C-9, C-60).
NEVER_EXTRACTABLE = {"individual_number": "個人番号", "basic_pension_number": "基礎年金番号"}

PROGRAMS = tuple(Program)


def catalogue_items() -> list[EucItem]:
    """Every extractable item, in catalogue order (the wizard's and docs/euc.md's list)."""
    return list(_ITEMS)

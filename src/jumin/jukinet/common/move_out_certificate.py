"""特例転入 payloads between two 市町村CS (system.md F02, F03 step 3b; records.md rows 転出証明書情報,
送信依頼, 転入通知): the validators both ends run, pure Python like the rest of ``jukinet.common``.

* 転出証明書情報 (``jukinet.move_out_certificate``), 転出地 CS → 転入予定地 CS: the items of 住基法24条の2
  第4項 (令24条の2): 氏名, 出生の年月日, 男女の別, 住所, 転出先 and 転出予定年月日, with the 住民票コード and
  the 個人番号, the items of the 転出証明書 the 転入 needs (世帯主の氏名, 続柄, 戸籍の表示) and 届出の年月日;
  for a foreign resident, instead of the 戸籍の表示, the 住基法30条の45 items and the 通称 (``foreign``).
* 送信依頼 (``jukinet.move_out_certificate_request``), 転入地 → 転出地: the 住民票コード only; no
  特定個人情報 (000 別添1 (2) 3 ※).
* 送信依頼 refused (``jukinet.move_out_certificate_refused``), 転出地 → 転入地: the code, reason, remedy.
* 転入通知 (``jukinet.move_in_notice``, 住基法9条1項), 転入地 → 転出地: the person key, the new address and
  the move-in date; never the 個人番号 (3-⑤). ``require_keys`` refuses any extra item, so a payload with
  an ``individual_number`` key is refused by both ends.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from jumin.domain.checkdigits import validate_lgcode, validate_mynumber
from jumin.domain.errors import DomainError, refusal
from jumin.domain.resident import ForeignResidentItems, check_foreign_items
from jumin.jukinet.common.fields import (
    check_birth_date,
    check_operator,
    check_resident_code,
    check_types,
    require_keys,
)
from jumin.jukinet.common.notice import RESIDENT_CODE_RULE

_CODE = "jukinet.move_out_certificate"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CONTROL_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,40}$")
_REFUSAL_CODE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
#: Days after the 転出予定年月日 a received, unused 転出証明書情報 is kept (system.md F02 timer, D4).
HOLD_DAYS = 30
#: 転出確定届出区分 the 転入通知 carries (how the person was recorded at the destination).
NOTICE_KINDS = ("届出", "職権")


def _bad(field: str, reason: str, remedy: str) -> DomainError:
    return refusal(field, reason, remedy, _CODE)


def _iso_date(value: Any, field: str) -> date:
    try:
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _bad(field, "日付の形式が不正です。", "YYYY-MM-DD で送ってください。") from None


def _resident_code(value: Any) -> str:
    return check_resident_code(value, RESIDENT_CODE_RULE, _CODE)


def _municipality(payload: dict[str, Any], name: str) -> None:
    if not isinstance(payload[name], str):
        raise _bad(name, "市町村コードの形式が不正です。", "6桁の数字を送ってください。")
    validate_lgcode(payload[name], field=name)


def _control_number(value: Any) -> None:
    if not isinstance(value, str) or not _CONTROL_NUMBER.match(value):
        raise _bad(
            "control_number", "管理番号の形式が不正です。", "英数字とハイフン40文字以内で送ってください。"
        )


@dataclass(frozen=True)
class MoveOutCertificate:
    """One 転出証明書情報 (one person) as it travels 転出地 CS → 転入予定地 CS."""

    control_number: str  # 転出証明書情報の管理番号 (opaque, unique at the 転出地)
    resident_code: str  # 住民票コード (RESIDENT_CODE_RULE)
    individual_number: str  # 個人番号, 12 digits with check digit
    name: str  # 氏名
    name_kana: str  # ふりがな, "" when not confirmed
    birth_date: str  # 出生の年月日, YYYYMMDD (00 for unknown parts, std 1.1.8)
    sex: str  # 男女の別: "male" | "female"
    address: str  # 住所 (at the 転出地)
    municipality_code: str  # 転出地 市町村コード
    household_head: str  # 世帯主の氏名
    relationship: str  # 世帯主との続柄
    honseki: str  # 本籍 (戸籍の表示), "" for a foreign resident
    hittousha: str  # 筆頭者 (戸籍の表示), "" when none
    destination: str  # 転出先 (予定)
    destination_municipality_code: str  # 転入予定地 市町村コード
    planned_date: str  # 転出予定年月日, YYYY-MM-DD
    notification_date: str  # 転出届の届出年月日, YYYY-MM-DD
    operator_id: str  # 操作者ID
    terminal_id: str  # 操作端末ID
    # A foreign resident's 住基法30条の45 items and 通称 (FOREIGN_KEYS); None for a Japanese resident.
    foreign: dict[str, str] | None = None

    def as_payload(self) -> dict[str, Any]:
        """The JSON payload of a ``jukinet.move_out_certificate`` message."""
        return asdict(self)

    def items_without_number(self) -> dict[str, Any]:
        """The payload without the 個人番号 (kept apart, encrypted, by both CS)."""
        items = self.as_payload()
        del items["individual_number"]
        return items

    @property
    def erase_on(self) -> date:
        """The day the 転入地 erases it when unused: 転出予定年月日 + 30 days (F02 timer)."""
        return date.fromisoformat(self.planned_date) + timedelta(days=HOLD_DAYS)


CERTIFICATE_KEYS = tuple(MoveOutCertificate.__dataclass_fields__)
#: What ``foreign`` holds: the 外国人住民 items of the 転出証明書 (records.md §6.8), the 通称 and its reading.
FOREIGN_KEYS = (*ForeignResidentItems.__dataclass_fields__, "alias", "alias_kana")


def _foreign(value: Any, honseki: str) -> None:
    """A foreign resident's items: exactly FOREIGN_KEYS, text, complete for the 30条の45 区分, no 本籍.

    A wrong item is named inside ``foreign`` (e.g. ``foreign.residence_card_number``).
    """
    if value is None:
        return
    items = require_keys(value, FOREIGN_KEYS, _CODE, what="外国人住民の記載事項", field="foreign")
    if honseki:
        raise _bad(
            "honseki", "外国人住民の転出証明書情報に本籍があります。", "本籍は空にして送ってください。"
        )
    try:
        check_types(items, FOREIGN_KEYS, _CODE, what="外国人住民の記載事項", required={"nationality_code"})
        check_foreign_items(
            ForeignResidentItems(**{k: items[k] for k in ForeignResidentItems.__dataclass_fields__})
        )
    except DomainError as error:
        raise refusal(f"foreign.{error.field}", error.reason, error.remedy, error.code) from None


def certificate_from_payload(payload: dict[str, Any]) -> MoveOutCertificate:
    """Validate a 転出証明書情報 payload (every item, nothing else, check digits) → MoveOutCertificate.

    A payload without ``foreign`` (a 転出地 that does not send it yet) is a Japanese resident's.
    """
    if isinstance(payload, dict) and "foreign" not in payload:
        payload = {**payload, "foreign": None}
    payload = require_keys(payload, CERTIFICATE_KEYS, _CODE, what="転出証明書情報")
    check_types(
        payload,
        tuple(key for key in CERTIFICATE_KEYS if key != "foreign"),
        _CODE,
        what="転出証明書情報",
        required={"name", "address", "destination", "resident_code", "individual_number"},
    )
    _control_number(payload["control_number"])
    _resident_code(payload["resident_code"])
    validate_mynumber(payload["individual_number"], field="individual_number")
    check_birth_date(payload["birth_date"], allow_empty=False, field_code=_CODE)
    if payload["sex"] not in ("male", "female"):
        raise _bad("sex", "性別の値が不正です。", "male または female を送ってください。")
    _municipality(payload, "municipality_code")
    _municipality(payload, "destination_municipality_code")
    if payload["municipality_code"] == payload["destination_municipality_code"]:
        raise _bad(
            "destination_municipality_code",
            "転入予定地が転出地と同じ市町村です。",
            "転入予定地の市町村コードを送ってください（市町村内の移動は転居です）。",
        )
    planned = _iso_date(payload["planned_date"], "planned_date")
    notified = _iso_date(payload["notification_date"], "notification_date")
    if notified > planned + timedelta(days=14):
        raise _bad(
            "notification_date",
            "転出予定年月日から14日を超えた届出は特例転出の対象ではありません。",
            "転出証明書（紙）で処理してください。",
        )
    _foreign(payload["foreign"], payload["honseki"])
    check_operator(payload, _CODE)
    return MoveOutCertificate(**payload)


def validate_certificate_payload(payload: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.move_out_certificate``."""
    certificate_from_payload(payload)


REQUEST_KEYS = ("resident_code", "requester_code", "operator_id", "terminal_id")


def validate_request_payload(payload: dict[str, Any]) -> None:
    """送信依頼: the 住民票コード from the card and the requesting municipality; no 特定個人情報."""
    payload = require_keys(payload, REQUEST_KEYS, _CODE, what="転出証明書情報の送信依頼")
    _resident_code(payload["resident_code"])
    _municipality(payload, "requester_code")
    check_operator(payload, _CODE)


REFUSED_KEYS = ("resident_code", "code", "reason", "remedy")


def validate_refused_payload(payload: dict[str, Any]) -> None:
    """A 送信依頼 the 転出地 could not answer with data: why, and what to do (no personal data)."""
    payload = require_keys(payload, REFUSED_KEYS, _CODE, what="送信依頼への回答")
    _resident_code(payload["resident_code"])
    check_types(
        payload, ("reason", "remedy"), _CODE, what="送信依頼への回答", required={"reason"}, max_text=400
    )
    if not isinstance(payload["code"], str) or not _REFUSAL_CODE.match(payload["code"]):
        raise _bad("code", "拒否コードの形式が不正です。", "英小文字で始まるコードを送ってください。")


@dataclass(frozen=True)
class MoveInNoticeItems:
    """One 転入通知 (住基法9条1項) as it travels 転入地 CS → 転出地 CS: no 個人番号."""

    resident_code: str  # the person key
    control_number: str  # the 転出証明書情報 it answers ("" after a paper 転出証明書)
    move_in_date: str  # 転入日 (転出確定日 at the 転出地), YYYY-MM-DD
    notice_date: str  # 転入通知の日 (転出確定通知日), YYYY-MM-DD
    new_address: str  # 転入先の住所 (転出先（確定）)
    new_municipality_code: str  # 転入地 市町村コード
    notification_kind: str  # 届出 | 職権 (転出確定届出区分)
    special: bool  # 特例転入
    operator_id: str
    terminal_id: str

    def as_payload(self) -> dict[str, Any]:
        """The JSON payload of a ``jukinet.move_in_notice`` message."""
        return asdict(self)


NOTICE_KEYS = tuple(MoveInNoticeItems.__dataclass_fields__)


def move_in_notice_from_payload(payload: dict[str, Any]) -> MoveInNoticeItems:
    """Validate a 転入通知 payload → MoveInNoticeItems (an ``individual_number`` key is refused)."""
    payload = require_keys(payload, NOTICE_KEYS, _CODE, what="転入通知")
    check_types(payload, NOTICE_KEYS, _CODE, what="転入通知", bools={"special"}, required={"new_address"})
    _resident_code(payload["resident_code"])
    if payload["control_number"]:
        _control_number(payload["control_number"])
    moved = _iso_date(payload["move_in_date"], "move_in_date")
    noticed = _iso_date(payload["notice_date"], "notice_date")
    if moved > noticed:
        raise _bad("move_in_date", "転入日が転入通知の日より後です。", "転入日を確認して送ってください。")
    _municipality(payload, "new_municipality_code")
    if payload["notification_kind"] not in NOTICE_KINDS:
        raise _bad(
            "notification_kind", "転出確定届出区分が不正です。", "「届出」または「職権」を送ってください。"
        )
    check_operator(payload, _CODE)
    return MoveInNoticeItems(**payload)


def validate_move_in_notice_payload(payload: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.move_in_notice``."""
    move_in_notice_from_payload(payload)

"""未届転入 (unreported move-in, standard 4.1.1.4-a; records.md §6.5 転入前住所・転入未届地).

A person who moved A → B without reporting B and then moves in here: the 転入前住所 recorded is B
followed by 「（未届）」, the change carries a type-B note (留意事項, records.md §6.14), and A — the
last registered address, the one on the 転出証明書 — is kept on the snapshot as data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jumin.domain.errors import refusal

UNREPORTED_MARK = "（未届）"
# 転入前住所 and 転入未届地 are 200 characters long (models.ResidentSnapshot); the mark must fit.
_ADDRESS_MAX = 200 - len(UNREPORTED_MARK)


@dataclass(frozen=True)
class UnreportedMoveIn:
    """The last address the person lived at without reporting it, and since when (if known)."""

    address: str
    moved_on: date | None = None


def check_unreported(unreported: UnreportedMoveIn, *, registered_address: str, move_in_date: date) -> None:
    """Refuse a 未届転入 that lacks either address, or whose dates cannot be right. Changes nothing."""
    if not unreported.address.strip():
        raise refusal(
            "unreported_address",
            "未届転入の最後の未届住所が入力されていません。",
            "届出をせずに最後に住んでいた住所を入力してください（未届転入でなければ指定を外してください）。",
            "registry.unreported_address_required",
        )
    if len(unreported.address) > _ADDRESS_MAX:
        raise refusal(
            "unreported_address",
            f"未届住所が長すぎます（「{UNREPORTED_MARK}」を付けて200文字以内）。",
            f"{_ADDRESS_MAX}文字以内で入力してください。",
            "registry.unreported_address_too_long",
        )
    if not registered_address.strip():
        raise refusal(
            "previous_address",
            "未届転入の最後の住民登録地（転出証明書の住所）が入力されていません。",
            "転出証明書に記載された住所を転入前住所欄に入力してください。",
            "registry.registered_address_required",
        )
    if unreported.address.strip() == registered_address.strip():
        raise refusal(
            "unreported_address",
            "未届住所が最後の住民登録地と同じです。",
            "未届の住所が別にある場合だけ未届転入として入力してください。",
            "registry.unreported_same_as_registered",
        )
    if unreported.moved_on is not None and unreported.moved_on > move_in_date:
        raise refusal(
            "unreported_moved_on",
            "未届住所に移った日が転入日より後です。",
            "未届住所に移った日を転入日以前の日付で入力するか、不明なら空欄にしてください。",
            "registry.unreported_after_move_in",
        )


def recorded_previous_address(unreported: UnreportedMoveIn) -> str:
    """The 転入前住所 the 住民票 shows: the unreported address followed by 「（未届）」."""
    return unreported.address.strip() + UNREPORTED_MARK


def attention_note(unreported: UnreportedMoveIn, *, registered_address: str) -> str:
    """The type-B note (留意事項) of the change: the fact of the 未届転入 and the last registered address."""
    since = f"（{unreported.moved_on:%Y-%m-%d}から居住）" if unreported.moved_on else ""
    return f"未届転入。未届住所{since}から転入。最後の住民登録地は{registered_address.strip()}。"

"""Field checks shared by the 住基ネット payload validators (notice, fuhyo, queries, consistency,
sending_address), so that the same item is refused the same way whichever message carries it.

Each check raises DomainError (``refusal``) with the caller's ``jukinet.`` code and a Japanese reason
that never repeats the value. Pure Python, like the rest of ``jukinet.common``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from typing import Any

from jumin.domain.checkdigits import JuminhyoCodeRule, validate_juminhyo_code
from jumin.domain.errors import refusal

#: 操作者ID and 操作端末ID: a staff login name or terminal name, never a person's name.
OPERATOR_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
#: 生年月日 YYYYMMDD; 00 for an unknown month or day (std 1.1.8); see ``check_birth_date``.
BIRTH_DATE = re.compile(r"^\d{4}(0[0-9]|1[0-2])(0[0-9]|[12][0-9]|3[01])$")
#: Default upper bound of a text item.
MAX_TEXT = 200


def require_keys(
    payload: Any,
    keys: Iterable[str],
    field_code: str,
    *,
    what: str,
    field: str = "payload",
    remedy: str = "定義された項目だけを送ってください。",
) -> dict[str, Any]:
    """``payload`` as a dict when it holds exactly ``keys`` (a node accepts only the items it is
    defined to receive: nothing missing, nothing extra); otherwise DomainError."""
    if not isinstance(payload, dict) or set(payload) != set(keys):
        raise refusal(field, f"{what}の項目が定義と一致しません。", remedy, field_code)
    return payload


def check_types(
    payload: dict[str, Any],
    names: Iterable[str],
    field_code: str,
    *,
    what: str,
    ints: Collection[str] = (),
    bools: Collection[str] = (),
    required: Collection[str] = (),
    max_text: int = MAX_TEXT,
) -> None:
    """Each of ``names`` is a non-negative int (``ints``; a bool is not an int here), a bool
    (``bools``) or a string of at most ``max_text`` characters, not blank when in ``required``."""
    for name in names:
        value = payload[name]
        if name in ints:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise refusal(
                    name, f"{what}の数値項目が不正です。", "0以上の整数を送ってください。", field_code
                )
        elif name in bools:
            if not isinstance(value, bool):
                raise refusal(
                    name,
                    f"{what}のフラグ項目が不正です。",
                    "true または false を送ってください。",
                    field_code,
                )
        elif not isinstance(value, str) or len(value) > max_text or (name in required and not value.strip()):
            raise refusal(
                name, f"{what}の項目が不正です。", f"{max_text}文字以内の文字列を送ってください。", field_code
            )


def check_operator(
    payload: dict[str, Any], field_code: str, names: Iterable[str] = ("operator_id", "terminal_id")
) -> None:
    """操作者ID and 操作端末ID: 1–64 ASCII letters, digits or ``_ . @ -``."""
    for name in names:
        value = payload[name]
        if not isinstance(value, str) or not OPERATOR_ID.match(value):
            raise refusal(
                name, "操作者IDまたは操作端末IDが不正です。", "英数字64文字以内で送ってください。", field_code
            )


def check_birth_date(value: Any, *, allow_empty: bool, field_code: str, field: str = "birth_date") -> None:
    """生年月日 YYYYMMDD: 00 for an unknown month or day, and an unknown month means an unknown day
    (``19800012`` is refused; ``19800000`` and ``00000000`` are not). ``allow_empty``: "" is accepted."""
    if allow_empty and value == "":
        return
    if (
        not isinstance(value, str)
        or not BIRTH_DATE.match(value)
        or (value[4:6] == "00" and value[6:] != "00")
    ):
        raise refusal(
            field, "生年月日の形式が不正です。", "YYYYMMDD（不詳の月日は00）で送ってください。", field_code
        )


def check_resident_code(
    value: Any, rule: JuminhyoCodeRule, field_code: str, field: str = "resident_code"
) -> str:
    """A 住民票コード item: a string of 11 digits with the federation's check digit; else DomainError."""
    if not isinstance(value, str):
        raise refusal(field, "住民票コードの形式が不正です。", "11桁の数字を送ってください。", field_code)
    return validate_juminhyo_code(value, rule=rule, field=field)

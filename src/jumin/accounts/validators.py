"""Password rules beyond Django's own (controls.md C-6): no patterns, no reuse of the last 5."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

KEYBOARD_ROWS = (
    "1234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "abcdefghijklmnopqrstuvwxyz",
)
RUN_LENGTH = 4


def _has_run(password: str) -> bool:
    lowered = password.lower()
    for row in KEYBOARD_ROWS:
        for sequence in (row, row[::-1]):
            for start in range(len(sequence) - RUN_LENGTH + 1):
                if sequence[start : start + RUN_LENGTH] in lowered:
                    return True
    return False


def _has_repeat(password: str) -> bool:
    return any(password[i] == password[i + 1] == password[i + 2] for i in range(len(password) - 2))


@cache
def _common_words() -> frozenset[str]:
    return frozenset(CommonPasswordValidator().passwords)


def _is_dictionary_word(password: str) -> bool:
    """The letters alone (digits and symbols dropped), or their repeated half, are a common password."""
    core = re.sub(r"[^a-z]", "", password.lower())
    if len(core) < 4:
        return False
    half = core[: len(core) // 2]
    return core in _common_words() or (half * 2 == core and half in _common_words())


class PatternedPasswordValidator:
    """Refuse runs of 4 on the keyboard or alphabet (``qwer``, ``1234``), triples and the user id."""

    def validate(self, password: str, user: Any = None) -> None:
        username = getattr(user, "username", "") if user is not None else ""
        if username and username.lower() in password.lower():
            raise ValidationError(
                "パスワードに職員IDを含めることはできません。", code="password_has_username"
            )
        if _has_run(password):
            raise ValidationError(
                "キーボードの並びや連続した文字（例: 1234, qwer）を含むパスワードは使えません。",
                code="password_keyboard_run",
            )
        if _is_dictionary_word(password):
            raise ValidationError(
                "辞書にある単語や、よく使われるパスワードに数字や記号を足しただけのものは使えません。",
                code="password_dictionary_word",
            )
        if _has_repeat(password):
            raise ValidationError(
                "同じ文字を3回以上続けたパスワードは使えません。", code="password_repeated_characters"
            )

    def get_help_text(self) -> str:
        return "キーボードの並び、連続した文字、同じ文字の繰り返し、職員IDは使えません。"


class PasswordHistoryValidator:
    """Refuse any of the last ``history`` passwords, the current one included (C-6; proposed value 5)."""

    def __init__(self, history: int = 5) -> None:
        self.history = history

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or getattr(user, "pk", None) is None:
            return
        hashes = [user.password] if user.password else []
        hashes += list(
            user.password_history.order_by("-created_at", "-pk").values_list("password", flat=True)[
                : self.history
            ]
        )
        if any(check_password(password, encoded) for encoded in hashes[: self.history]):
            raise ValidationError(
                f"直近{self.history}回以内に使ったパスワードは使えません。", code="password_reused"
            )

    def get_help_text(self) -> str:
        return f"直近{self.history}回以内に使ったパスワードは使えません。"

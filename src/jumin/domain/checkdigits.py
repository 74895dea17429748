"""Check digits of the numbers a resident registry handles (algorithms.md §A).

Numbers are always strings of ASCII digits, never integers, so that leading zeros
survive (algorithms.md, conventions). Screens may pass raw input through
:func:`normalize_digits` first; every ``validate_*`` function does so itself and
returns the normalised digits.

Error messages never contain the number: a 個人番号 is specific personal
information and messages end up in logs.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import mul

from jumin.domain.errors import DomainError

__all__ = [
    "CODE_KINDS",
    "DEFAULT_ATENA_SERIAL_LENGTH",
    "JuminhyoCodeRule",
    "M11Remainder1Policy",
    "atena_check_digit",
    "check_digit_for",
    "corporate_check_digit",
    "lgcode_check_digit",
    "mynumber_check_digit",
    "next_issuable_serial",
    "normalize_digits",
    "validate_atena_number",
    "validate_code",
    "validate_corporate_number",
    "validate_juminhyo_code",
    "validate_lgcode",
    "validate_mynumber",
]

DEFAULT_ATENA_SERIAL_LENGTH = 6
"""Jumin's default serial length for 宛名番号/世帯番号, check digit excluded (algorithms.md A.4 rule 5)."""

CODE_KINDS = ("mynumber", "corporate", "lgcode", "atena", "juminhyo")
"""The ``kind`` values understood by :func:`validate_code` and :func:`check_digit_for`."""


class M11Remainder1Policy(enum.StrEnum):
    """Setting ``m11_remainder1``: meaning of remainder 1 for 宛名番号/世帯番号 (algorithms.md A.4 rule 4).

    To be confirmed against the official text. The numbering service and the
    validator must use the same value.
    """

    ZERO = "zero"
    """Check digit 0, as for the 個人番号 (default)."""
    SKIP = "skip"
    """Serials whose remainder is 1 are never issued."""


class JuminhyoCodeRule(enum.StrEnum):
    """Setting ``juminhyo_code_rule``: how a 住民票コード is validated (algorithms.md A.5).

    The official check-digit formula (平成14年総務省告示第436号, to be confirmed)
    is unknown to Jumin, so the default checks the format only.
    """

    FORMAT_ONLY = "format_only"
    """Exactly 11 ASCII digits (default)."""
    M11W27_CANDIDATE = "m11w27_candidate"
    """UNVERIFIED trial rule (the 個人番号 rule over 10 digits). Never enable in production
    until it has been checked against the notice."""


# Characters an input screen may drop: spaces and the hyphen look-alikes that
# Japanese IMEs and code pages produce when a clerk types a separator.
_SEPARATORS = " \u3000\t-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d\u30fc\uff70"
_NORMALIZE_TABLE = str.maketrans(
    {**{chr(0xFF10 + i): str(i) for i in range(10)}, **dict.fromkeys(_SEPARATORS)}
)

# Weights for modulus 11 with weights 2–7 cycling from the right (A.1, A.4).
_M11W27 = (2, 3, 4, 5, 6, 7)
_MYNUMBER_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)
_LGCODE_WEIGHTS = (6, 5, 4, 3, 2)
_CORPORATE_WEIGHTS = (1, 2) * 6  # from the right

_MISMATCH_REASON = "検査数字が一致しません。"
_MISMATCH_REMEDY = "番号を確認して入力し直してください。"

_ATENA_LABELS = {"atena_number": "宛名番号", "household_number": "世帯番号"}


def normalize_digits(value: str) -> str:
    """Turn full-width digits into ASCII and drop spaces and hyphens (algorithms.md, conventions).

    Other characters are kept, so that validation can still reject them.
    """
    return value.translate(_NORMALIZE_TABLE)


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit alone accepts superscripts and other scripts' digits.
    return value.isascii() and value.isdigit()


def _has_digits(value: str, length: int) -> bool:
    return len(value) == length and _is_ascii_digits(value)


@dataclass(frozen=True)
class _Scheme:
    """A fixed-length number with one check digit: its names and the messages of its errors.

    ``code`` prefixes the error codes (``mynumber.format`` …); ``check_first`` puts the check digit
    in front (法人番号) instead of last.
    """

    code: str
    label: str
    field: str
    length: int
    check_first: bool = False

    def require_base(self, base: str) -> None:
        """DomainError unless ``base`` is the digits the check digit is computed from."""
        digits = self.length - 1
        if not _has_digits(base, digits):
            # The messages are built only on failure: a bulk load validates a million numbers (P1).
            raise DomainError(
                field=self.field,
                code=f"{self.code}.base_format",
                reason=f"{self.label}の検査数字の計算には{digits}桁の数字が必要です。",
                remedy=f"検査数字を除いた{digits}桁の数字を入力してください。",
            )

    def require_number(self, digits: str, field: str) -> None:
        """DomainError unless ``digits`` has the length of the whole number, check digit included."""
        if not _has_digits(digits, self.length):
            raise DomainError(
                field=field,
                code=f"{self.code}.format",
                reason=f"{self.label}は{self.length}桁の数字です。",
                remedy=f"{self.length}桁の数字を入力してください。",
            )

    def split(self, digits: str) -> tuple[str, str]:
        """(base, check digit) of a whole number."""
        return (digits[1:], digits[0]) if self.check_first else (digits[:-1], digits[-1])

    def mismatch(self, field: str) -> DomainError:
        """The error of a number whose check digit is wrong."""
        return DomainError(
            field=field, reason=_MISMATCH_REASON, remedy=_MISMATCH_REMEDY, code=f"{self.code}.check_digit"
        )

    def validate(self, value: str, field: str, check_digit: Callable[[str], str] | None) -> str:
        """The normalised number, or DomainError; ``check_digit`` None checks the format only."""
        digits = normalize_digits(value)
        self.require_number(digits, field)
        base, check = self.split(digits)
        if check_digit is not None and check_digit(base) != check:
            raise self.mismatch(field)
        return digits


_MYNUMBER = _Scheme("mynumber", "個人番号", "individual_number", 12)
_CORPORATE = _Scheme("corporate", "法人番号", "corporate_number", 13, check_first=True)
_LGCODE = _Scheme("lgcode", "地方公共団体コード", "local_government_code", 6)
_JUMINHYO = _Scheme("juminhyo", "住民票コード", "juminhyo_code", 11)


def _weighted_sum(digits: str, weights_from_right: Sequence[int]) -> int:
    return sum(map(mul, map(int, reversed(digits)), weights_from_right))


def _m11w27_remainder(digits: str) -> int:
    # Weights cycle 2..7 from the right for a serial of any length (A.4 rule 1).
    weights = _M11W27 * (len(digits) // 6 + 1)
    return _weighted_sum(digits, weights) % 11


def _m11_check(remainder: int) -> str:
    # A.1 rule 4: remainders 0 and 1 both give 0.
    return "0" if remainder <= 1 else str(11 - remainder)


def _m11w27_check(digits: str) -> str:
    return _m11_check(_m11w27_remainder(digits))


# --- 個人番号 (A.1) -----------------------------------------------------------------


def mynumber_check_digit(base11: str) -> str:
    """The check digit of an 11-digit 個人番号 base (algorithms.md A.1)."""
    _MYNUMBER.require_base(base11)
    total = sum(map(mul, map(int, base11), _MYNUMBER_WEIGHTS))
    return _m11_check(total % 11)


def validate_mynumber(value: str, *, field: str = "individual_number") -> str:
    """The normalised 12-digit 個人番号, or DomainError if malformed or the check digit fails (A.1)."""
    return _MYNUMBER.validate(value, field, mynumber_check_digit)


# --- 法人番号 (A.2) -----------------------------------------------------------------


def corporate_check_digit(base12: str) -> str:
    """The check digit (1–9) of a 12-digit 法人番号 base; it goes in front (algorithms.md A.2)."""
    _CORPORATE.require_base(base12)
    return str(9 - _weighted_sum(base12, _CORPORATE_WEIGHTS) % 9)


def validate_corporate_number(value: str, *, field: str = "corporate_number") -> str:
    """The normalised 13-digit 法人番号 (check digit first), or DomainError (algorithms.md A.2)."""
    return _CORPORATE.validate(value, field, corporate_check_digit)


# --- 全国地方公共団体コード (A.3) -------------------------------------------------------


def lgcode_check_digit(body5: str) -> str:
    """The check digit of a 5-digit local-government code body: r=0 gives 1, r=1 gives 0 (A.3)."""
    _LGCODE.require_base(body5)
    remainder = sum(map(mul, map(int, body5), _LGCODE_WEIGHTS)) % 11
    return str((11 - remainder) % 10)


def validate_lgcode(value: str, *, field: str = "local_government_code") -> str:
    """The normalised 6-digit 全国地方公共団体コード, or DomainError (algorithms.md A.3)."""
    return _LGCODE.validate(value, field, lgcode_check_digit)


# --- 宛名番号 / 世帯番号 (A.4) ------------------------------------------------------------


def _atena_label(field: str) -> str:
    return _ATENA_LABELS.get(field, "宛名番号・世帯番号")


def _require_serial(serial: str, *, field: str) -> None:
    if not serial or not _is_ascii_digits(serial):
        raise DomainError(
            field=field,
            reason="連番は数字のみで指定してください。",
            remedy="検査数字を除いた連番を数字で入力してください。",
            code="atena.serial_format",
        )


def atena_check_digit(
    serial: str, *, policy: M11Remainder1Policy = M11Remainder1Policy.ZERO, field: str = "atena_number"
) -> str | None:
    """The check digit of a 宛名番号/世帯番号 serial of any length (algorithms.md A.4).

    None when ``policy`` is SKIP and the remainder is 1: such a serial is never issued.
    """
    _require_serial(serial, field=field)
    remainder = _m11w27_remainder(serial)
    if remainder == 1 and policy is M11Remainder1Policy.SKIP:
        return None
    return _m11_check(remainder)


def validate_atena_number(
    value: str,
    *,
    policy: M11Remainder1Policy = M11Remainder1Policy.ZERO,
    legacy: bool = False,
    serial_length: int = DEFAULT_ATENA_SERIAL_LENGTH,
    field: str = "atena_number",
) -> str:
    """The normalised 宛名番号/世帯番号, or DomainError (algorithms.md A.4).

    ``legacy`` numbers migrated from an older system are checked for digits only (A.4 rule 6).
    """
    label = _atena_label(field)
    digits = normalize_digits(value)
    if legacy:
        if not digits or not _is_ascii_digits(digits):
            raise DomainError(
                field=field,
                reason=f"{label}は数字のみです。",
                remedy="数字で入力してください。",
                code="atena.format",
            )
        return digits
    scheme = _Scheme("atena", label, field, serial_length + 1)
    scheme.require_number(digits, field)
    expected = atena_check_digit(digits[:-1], policy=policy, field=field)
    if expected is None:
        raise DomainError(
            field=field,
            reason=f"この{label}は発番されない番号です。",
            remedy=_MISMATCH_REMEDY,
            code="atena.not_issued",
        )
    if expected != digits[-1]:
        raise scheme.mismatch(field)
    return digits


def next_issuable_serial(serial: str, *, policy: M11Remainder1Policy = M11Remainder1Policy.ZERO) -> str:
    """The first serial at or after ``serial``, same width, that may be issued (algorithms.md A.4 rule 4).

    Under SKIP, serials whose remainder is 1 are passed over; DomainError when the width is exhausted.
    """
    _require_serial(serial, field="atena_number")
    width = len(serial)
    current = serial
    while atena_check_digit(current, policy=policy) is None:
        successor = int(current) + 1
        if successor >= 10**width:
            raise DomainError(
                field="atena_number",
                reason="発番できる連番がありません（連番の桁数の上限に達しました）。",
                remedy="連番の桁数の設定を見直してください。",
                code="atena.serial_exhausted",
            )
        current = str(successor).zfill(width)
    return current


# --- 住民票コード (A.5) ----------------------------------------------------------------


def validate_juminhyo_code(
    value: str, *, rule: JuminhyoCodeRule = JuminhyoCodeRule.FORMAT_ONLY, field: str = "juminhyo_code"
) -> str:
    """The normalised 11-digit 住民票コード, or DomainError (algorithms.md A.5).

    The default checks the format only; M11W27_CANDIDATE is unverified and not for production.
    """
    check_digit = _m11w27_check if rule is JuminhyoCodeRule.M11W27_CANDIDATE else None
    return _JUMINHYO.validate(value, field, check_digit)


def _juminhyo_check_digit(base: str, rule: JuminhyoCodeRule) -> str:
    if rule is not JuminhyoCodeRule.M11W27_CANDIDATE:
        raise DomainError(
            field="juminhyo_code",
            reason="住民票コードの検査数字の計算式はJuminでは不明です（総務省告示の本文が未確認のため）。",
            remedy="住民票コードは計算せず、CSから取得した未使用コードの中から割り当ててください。",
            code="juminhyo.formula_unknown",
        )
    _JUMINHYO.require_base(base)
    return _m11w27_check(base)


# --- Dispatcher for the CLI -----------------------------------------------------------


def _unknown_kind() -> DomainError:
    return DomainError(
        field="kind",
        reason="番号の種類が正しくありません。",
        remedy=f"{', '.join(CODE_KINDS)} のいずれかを指定してください。",
        code="checkdigit.unknown_kind",
    )


def validate_code(
    kind: str,
    value: str,
    *,
    atena_policy: M11Remainder1Policy = M11Remainder1Policy.ZERO,
    atena_serial_length: int = DEFAULT_ATENA_SERIAL_LENGTH,
    juminhyo_rule: JuminhyoCodeRule = JuminhyoCodeRule.FORMAT_ONLY,
) -> str:
    """Validate ``value`` as a ``kind`` number (see CODE_KINDS); normalised digits or DomainError (A.6)."""
    validators: dict[str, Callable[[str], str]] = {
        "mynumber": validate_mynumber,
        "corporate": validate_corporate_number,
        "lgcode": validate_lgcode,
        "atena": lambda v: validate_atena_number(v, policy=atena_policy, serial_length=atena_serial_length),
        "juminhyo": lambda v: validate_juminhyo_code(v, rule=juminhyo_rule),
    }
    validator = validators.get(kind)
    if validator is None:
        raise _unknown_kind()
    return validator(value)


def check_digit_for(
    kind: str,
    base: str,
    *,
    atena_policy: M11Remainder1Policy = M11Remainder1Policy.ZERO,
    juminhyo_rule: JuminhyoCodeRule = JuminhyoCodeRule.FORMAT_ONLY,
) -> str:
    """The check digit for ``base`` of ``kind`` (one of CODE_KINDS) after normalisation (A.6).

    DomainError for "juminhyo" unless the unverified candidate rule is passed (A.5), and for an
    atena serial that is not issued under SKIP.
    """
    digits = normalize_digits(base)
    if kind == "mynumber":
        return mynumber_check_digit(digits)
    if kind == "corporate":
        return corporate_check_digit(digits)
    if kind == "lgcode":
        return lgcode_check_digit(digits)
    if kind == "atena":
        check = atena_check_digit(digits, policy=atena_policy)
        if check is None:
            raise DomainError(
                field="atena_number",
                reason="この連番は剰余が1のため発番しない設定です。",
                remedy="次の連番を使用してください。",
                code="atena.serial_not_issuable",
            )
        return check
    if kind == "juminhyo":
        return _juminhyo_check_digit(digits, juminhyo_rule)
    raise _unknown_kind()

"""Postal and address codes of the 転入前住所 and the 転出先（予定） (standard 1.1.1-d, 1.1.17-a).

A typed postal code is checked (7 digits); otherwise the address dictionary gives it, and the
住所コード where the 町字 is in the dictionary. An address in a municipality of the dictionary whose
postal code it cannot give is kept with a blank code and an alert for the reviewer, like the 転入通知's
転入先 (4.1.3.1.2-a); a municipality alone (転出先 may be just that) is not flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from jumin.domain.errors import Alert, refusal
from jumin.masters.selectors import address_codes_of_address, normalize_postal_code

# Addresses that name no place in Japan: nothing to look up, nothing to flag.
_NO_PLACE = frozenset({"", "不明"})


@dataclass(frozen=True)
class AddressCodes:
    """The codes stored beside one address; ``unknown`` when the dictionary did not give the postal code."""

    postal_code: str = ""
    address_code: str = ""
    unknown: bool = False


def codes_of(address: str, typed_postal_code: str, *, domestic: bool, field: str, label: str) -> AddressCodes:
    """The codes of ``address``: the typed postal code (checked) or the dictionary's, and its 住所コード.

    ``domestic`` is False for a country (国外転入・国外転出): then only a typed code is kept.
    """
    typed = typed_postal_code.strip()
    postal = normalize_postal_code(typed)
    if typed and not postal:
        raise refusal(
            field,
            f"{label}の郵便番号は数字7桁です。",
            "7桁の数字（例: 857-0044）で入力するか、空欄にして住所辞書から引いてください。",
            "registry.postal_code_format",
        )
    text = address.strip()
    if not domestic or text in _NO_PLACE:
        return AddressCodes(postal_code=postal)
    found = address_codes_of_address(text)
    postal = postal or found.postal_code
    # A municipality alone has no postal code, and one missing from the dictionary cannot be checked.
    return AddressCodes(
        postal_code=postal, address_code=found.address_code, unknown=not postal and found.beyond_municipality
    )


def unknown_alert(field: str, label: str, code: str) -> Alert:
    """The reviewer's alert that the dictionary did not give the postal code of ``label``."""
    return Alert(
        field,
        f"{label}の郵便番号を住所辞書で特定できませんでした（空欄にしています）。住所を確認して入力してください。",
        code,
    )

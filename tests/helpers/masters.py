"""Synthetic master rows for tests that need a 町字 without loading the postal data."""

from __future__ import annotations

from jumin.masters.models import AddressArea, Municipality, Prefecture

AREA_CODE = "42202001000"
"""The stand-in 住所コード of 長崎県佐世保市相生町 in these tests (not the loader's)."""


def make_area(*, name: str = "相生町", address_code: str = AREA_CODE) -> AddressArea:
    """長崎県佐世保市 and one 町字 of it (reused when a loaded dictionary already holds them)."""
    prefecture, _ = Prefecture.objects.get_or_create(
        code="42", defaults={"name": "長崎県", "kana": "ナガサキケン"}
    )
    municipality, _ = Municipality.objects.get_or_create(
        code="422029",
        defaults={"body": "42202", "prefecture": prefecture, "name": "佐世保市", "kana": "サセボシ"},
    )
    area, _ = AddressArea.objects.get_or_create(
        municipality=municipality,
        postal_code="8570099",
        name=name,
        defaults={"kana": "アイオイチョウ", "address_code": address_code},
    )
    return area

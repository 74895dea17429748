"""Screens of the input places (1.3.1-a), the lot and 方書 masters (1.3.2-a, 1.3.4-a) and the 方書
suggestion on the entry screens (4.0.7-a)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import InputPlace, Terminal
from jumin.accounts.permissions import Permission as P  # noqa: N817
from jumin.masters.models import AddressLot, Katagaki
from tests.helpers.accounts import make_terminal
from tests.helpers.masters import AREA_CODE, make_area

pytestmark = pytest.mark.django_db


def test_input_places_are_registered_listed_and_given_to_a_terminal(make_staff: Callable[..., Any]) -> None:
    admin = make_staff([P.TERMINAL_MANAGE])
    data = {"code": "B01", "name": "北支所", "kind": "branch", "valid_from": "2020-04-01"}
    response = admin.post(reverse("web:input_place_register"), data, follow=True)
    assert "入力場所 B01 北支所" in response.content.decode()
    body = admin.get(reverse("web:input_places")).content.decode()
    assert "<td>B01</td><td>北支所</td><td>支所</td>" in body
    make_terminal("T-KITA")
    admin.post(reverse("web:terminal_place"), {"terminal_id": "T-KITA", "input_place_code": "B01"})
    assert Terminal.objects.get(terminal_id="T-KITA").input_place_code == "B01"
    assert 'value="B01"' in admin.get(reverse("web:terminals")).content.decode()


def test_a_bad_input_place_shows_the_remedy_and_writes_nothing(make_staff: Callable[..., Any]) -> None:
    admin = make_staff([P.TERMINAL_MANAGE])
    data = {"code": "B01", "name": "", "kind": "branch", "valid_from": "2020-04-01"}
    response = admin.post(reverse("web:input_place_register"), data, follow=True)
    assert "100文字以内で入力してください" in response.content.decode()
    response = admin.post(reverse("web:input_place_register"), {**data, "valid_from": ""}, follow=True)
    assert "適用開始日が正しくありません" in response.content.decode()
    assert not InputPlace.objects.filter(code="B01").exists()


def test_the_lot_screen_registers_lots_and_katagaki(make_staff: Callable[..., Any]) -> None:
    make_area()
    editor = make_staff([P.MASTERS_EDIT])
    url = reverse("web:address_lot_action")
    lot_data = {"op": "lot", "address_code": AREA_CODE, "system": "residence_indication", "lot_number": "1"}
    editor.post(url, {**lot_data, "sub_number": "1", "valid_from": "2020-04-01"})
    lot = AddressLot.objects.get()
    editor.post(
        url,
        {
            "op": "katagaki",
            "address_code": AREA_CODE,
            "lot_id": lot.pk,
            "name": "相生ハイツ",
            "valid_from": "2020-04-01",
        },
    )
    assert Katagaki.objects.get().lot == lot
    body = editor.get(reverse("web:address_lots"), {"address_code": AREA_CODE}).content.decode()
    assert "1番1号" in body
    assert "相生ハイツ" in body
    response = editor.post(url, {**lot_data, "lot_number": "一", "valid_from": "2020-04-01"}, follow=True)
    assert "番地が数字ではありません" in response.content.decode()
    assert AddressLot.objects.count() == 1


def test_the_lot_screen_needs_the_masters_permission(make_staff: Callable[..., Any]) -> None:
    make_area()
    outsider = make_staff([P.TERMINAL_MANAGE])
    assert outsider.get(reverse("web:address_lots"), {"address_code": AREA_CODE}).status_code == 403
    data = {
        "op": "lot",
        "address_code": AREA_CODE,
        "system": "land_lot",
        "lot_number": "3",
        "valid_from": "2020-04-01",
    }
    assert outsider.post(reverse("web:address_lot_action"), data).status_code == 403
    assert not AddressLot.objects.exists()


@pytest.fixture
def katagaki_on_lot() -> None:
    area = make_area()
    lot = AddressLot.objects.create(
        area=area, system="residence_indication", lot_number=1, sub_number=1, valid_from=date(2020, 4, 1)
    )
    Katagaki.objects.create(lot=lot, name="相生ハイツ", valid_from=date(2020, 4, 1))


def test_the_katagaki_aid_offers_the_lots_katagaki_to_pick(
    make_staff: Callable[..., Any], katagaki_on_lot: None
) -> None:
    clerk = make_staff([P.RESIDENT_RECORD])
    form = clerk.get(reverse("registry:move_in")).content.decode()
    assert reverse("registry:input_help_katagaki") in form
    assert 'hx-include="#id_address"' in form
    response = clerk.post(
        reverse("registry:input_help_katagaki"),
        {"address": "長崎県佐世保市相生町1番1号", "target": "id_katagaki"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert 'data-katagaki="相生ハイツ"' in body
    assert 'data-katagaki-target="id_katagaki"' in body
    empty = clerk.post(reverse("registry:input_help_katagaki"), {"address": ""}, HTTP_HX_REQUEST="true")
    assert "住所を番地まで入力してください" in empty.content.decode()


def test_the_katagaki_aid_needs_the_entry_permission(
    make_staff: Callable[..., Any], katagaki_on_lot: None
) -> None:
    searcher = make_staff([P.RESIDENT_SEARCH])
    response = searcher.post(
        reverse("registry:input_help_katagaki"),
        {"address": "長崎県佐世保市相生町1番1号"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 403
    assert "相生ハイツ" not in response.content.decode()

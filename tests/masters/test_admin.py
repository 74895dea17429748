"""Staff maintain the masters in Django admin (standard 1.3.3-b)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import Client

from jumin.masters.models import AddressArea, Country, Municipality, Prefecture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loaded_masters")]

MODELS = [Prefecture, Municipality, AddressArea, Country]


@pytest.mark.parametrize("model", MODELS)
def test_every_master_is_registered_with_a_japanese_name(model: type[Model]) -> None:
    assert model in admin.site._registry
    assert not str(model._meta.verbose_name).isascii()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/admin/masters/addressarea/?q=8570044", "相生町"),
        ("/admin/masters/addressarea/?q=アイオイ", "相生町"),
        ("/admin/masters/municipality/?q=サセボ", "佐世保市"),
        ("/admin/masters/municipality/?is_designated_city__exact=1", "相模原市"),
        ("/admin/masters/country/?q=ベトナム", "704"),
        ("/admin/masters/prefecture/?q=長崎", "ナガサキケン"),
    ],
)
def test_staff_can_search_and_filter_the_masters(admin_client: Client, url: str, expected: str) -> None:
    response = admin_client.get(url)
    assert response.status_code == 200
    assert expected in response.content.decode()


def test_staff_can_open_an_address_entry_for_editing(admin_client: Client) -> None:
    area = AddressArea.objects.get(postal_code="8570044")
    response = admin_client.get(f"/admin/masters/addressarea/{area.pk}/change/")
    assert response.status_code == 200
    assert "住所コード" in response.content.decode()

"""転出先（予定）を住所辞書から選ぶ on the 転出 screen (standard 4.1.3.0.2-a)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.masters.models import AddressArea, Country
from tests.registry.conftest import logged_in
from tests.registry.test_move_in_notice_postal_code import dictionary

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dictionary")]

__all__ = ["dictionary"]  # the fixture, imported for this module's tests


def picker(client: Client, **data: str) -> str:
    response = client.post(reverse("registry:move_out_destination_picker"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_move_out_screen_loads_the_picker_and_the_picker_lists_the_prefectures(clerk: User) -> None:
    client = logged_in(clerk)
    screen = client.get(reverse("registry:move_out")).content.decode()
    assert reverse("registry:move_out_destination_picker") in screen
    assert 'name="destination_postal_code"' in screen
    first = client.get(reverse("registry:move_out_destination_picker")).content.decode()
    assert '<option value="42">長崎県</option>' in first
    assert 'name="picker_municipality"' not in first


def test_picking_a_town_fills_the_destination_its_municipality_code_and_postal_code(clerk: User) -> None:
    client = logged_in(clerk)
    cities = picker(client, picker_prefecture="42")
    assert '<option value="422011">長崎市</option>' in cities
    edo = AddressArea.objects.get(name="江戸町")
    areas = picker(client, picker_prefecture="42", picker_municipality="422011")
    assert f'<option value="{edo.pk}">江戸町（〒8500861）</option>' in areas
    assert "hx-swap-oob" not in areas  # nothing filled in before 「選ぶ」
    picked = picker(
        client, picker_prefecture="42", picker_municipality="422011", picker_area=str(edo.pk), pick="address"
    )
    assert 'id="id_destination" value="長崎県長崎市江戸町" hx-swap-oob="true"' in picked
    assert 'id="id_destination_municipality_code" value="422011" hx-swap-oob="true"' in picked
    assert 'id="id_destination_postal_code" value="8500861" hx-swap-oob="true"' in picked


def test_the_municipality_alone_or_a_country_can_be_picked(clerk: User) -> None:
    client = logged_in(clerk)
    city = picker(client, picker_prefecture="42", picker_municipality="422011", pick="address")
    assert 'id="id_destination" value="長崎県長崎市" hx-swap-oob="true"' in city
    assert 'id="id_destination_postal_code" value="" hx-swap-oob="true"' in city
    Country.objects.get_or_create(
        code="840", defaults={"name_ja": "アメリカ合衆国", "name_en": "United States"}
    )
    abroad = picker(client, picker_country="840", pick="country")
    assert 'id="id_destination" value="アメリカ合衆国" hx-swap-oob="true"' in abroad
    assert 'id="id_destination_municipality_code" value="" hx-swap-oob="true"' in abroad
    # A municipality of another prefecture than the one chosen is not taken.
    assert "hx-swap-oob" not in picker(
        client, picker_prefecture="13", picker_municipality="422011", pick="address"
    )


def test_the_picker_needs_the_entry_permission_and_audits_nothing(
    clerk: User, make_clerk: Callable[..., User]
) -> None:
    url = reverse("registry:move_out_destination_picker")
    assert Client().post(url, {"picker_prefecture": "42"}).status_code in (302, 401, 403)
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    assert logged_in(viewer).post(url, {"picker_prefecture": "42"}).status_code == 403
    before = AuditEntry.objects.count()
    picker(logged_in(clerk), picker_prefecture="42")
    assert not AuditEntry.objects.filter(seq__gt=before, action__startswith="resident:").exists()

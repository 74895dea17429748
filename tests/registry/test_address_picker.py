"""住所・本籍を住所辞書から選ぶ (standard 1.3.3-d, 1.3.3-a) and the 本籍 candidates panel (4.0.6-a)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.masters.models import AddressArea
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_honseki_candidates import honseki_clerk
from tests.registry.test_honseki_input_aids import MERGED_HONSEKI, OLD_NAME, dictionary

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dictionary")]

__all__ = ["dictionary", "honseki_clerk"]  # the fixtures, imported for this module's tests

URL = reverse("registry:address_picker")


def panel(client: Client, target: str, prefix: str = "", **data: str) -> str:
    body = {"picker_target": target, "picker_prefix": prefix, **data}
    response = client.post(URL, body, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def test_the_entry_screens_load_the_pickers(clerk: User) -> None:
    client = logged_in(clerk)
    move_in = client.get(reverse("registry:move_in")).content.decode()
    assert f"{URL}?picker_target=address&amp;picker_prefix=&amp;" in move_in
    assert f"{URL}?picker_target=honseki&amp;picker_prefix=form-0-&amp;picker_candidates=1" in move_in
    assert "picker_target=address" in client.get(reverse("registry:move_within")).content.decode()
    for screen, target in [
        ("registry:honseki_notice", "honseki"),
        ("registry:naturalisation", "honseki"),
        ("registry:foreign_registration", "address"),
        ("registry:disappearance_revocation", "address"),
        ("registry:ex_officio_recording", "honseki"),
    ]:
        assert f"picker_target={target}" in client.get(reverse(screen)).content.decode(), screen
    first = client.get(URL, {"picker_target": "honseki", "picker_prefix": "form-0-"}).content.decode()
    assert '<option value="42">長崎県</option>' in first
    assert 'name="picker-honseki-form-0-prefecture"' in first


def test_the_address_drill_down_offers_current_entries_and_fills_address_and_postal_code(clerk: User) -> None:
    client = logged_in(clerk)
    key = "picker-address-"
    cities = panel(client, "address", **{f"{key}prefecture": "42"})
    assert '<option value="422029">佐世保市</option>' in cities
    assert "小佐々町" not in cities  # merged: not an address any more
    selection = {f"{key}prefecture": "42", f"{key}municipality": "422029"}
    areas = panel(client, "address", **selection)
    aioi = AddressArea.objects.get(name="相生町")
    assert f'<option value="{aioi.pk}">相生町（〒8570044）</option>' in areas
    assert "旧浜町" not in areas
    assert "hx-swap-oob" not in areas  # nothing filled in before 「この住所を使う」
    picked = panel(client, "address", **selection, **{f"{key}area": str(aioi.pk)}, picker_action="pick")
    assert 'id="id_address" value="長崎県佐世保市相生町" hx-swap-oob="true"' in picked
    assert 'id="id_postal_code" value="8570044" hx-swap-oob="true"' in picked


def test_the_honseki_drill_down_offers_old_names_and_fills_the_member_row(clerk: User) -> None:
    client = logged_in(clerk)
    key = "picker-honseki-form-1-"
    cities = panel(client, "honseki", "form-1-", **{f"{key}prefecture": "42"})
    assert "北松浦郡小佐々町（旧）" in cities
    selection = {f"{key}prefecture": "42", f"{key}municipality": "422029"}
    old = AddressArea.objects.get(name="旧浜町")
    assert "旧浜町（旧）" in panel(client, "honseki", "form-1-", **selection)
    picked = panel(
        client, "honseki", "form-1-", **selection, **{f"{key}area": str(old.pk)}, picker_action="pick"
    )
    assert f'id="id_form-1-honseki" value="{OLD_NAME}" hx-swap-oob="true"' in picked
    assert "postal_code" not in picked


def test_candidates_come_by_post_from_the_form_and_a_returner_gets_no_merged_municipality(
    honseki_clerk: User,
) -> None:
    client = logged_in(honseki_clerk)
    form = {
        "purpose": PURPOSE,
        "address": "長崎県佐世保市相生町1番1号",
        "previous_address": MERGED_HONSEKI,
        "picker_candidates": "1",
        "picker_action": "candidates",
    }
    listed = panel(client, "honseki", "form-0-", **form)
    assert f"{MERGED_HONSEKI}（前住所）" in listed
    assert f"{OLD_NAME}（旧町字名）" in listed
    returner = panel(client, "honseki", "form-0-", **form, **{"form-0-returning_atena_number": "0000019"})
    assert MERGED_HONSEKI not in returner
    by_get = client.get(URL, {"picker_target": "honseki", **form}).content.decode()
    assert "前住所" not in by_get  # never from a URL
    used = panel(
        client,
        "honseki",
        "form-0-",
        picker_candidates="1",
        picker_action="use_candidate",
        **{"picker-honseki-form-0-candidate": "長崎県佐世保市八幡町1番地\t青木 太郎"},
    )
    assert 'id="id_form-0-honseki" value="長崎県佐世保市八幡町1番地" hx-swap-oob="true"' in used
    assert 'id="id_form-0-hittousha" value="青木 太郎" hx-swap-oob="true"' in used


def test_a_clerk_without_the_honseki_grant_is_told_and_nothing_is_read(clerk: User) -> None:
    listed = panel(
        logged_in(clerk),
        "honseki",
        picker_candidates="1",
        picker_action="candidates",
        purpose=PURPOSE,
        address="長崎県佐世保市相生町1番1号",
    )
    assert "本籍を表示する権限がないため" in listed
    assert not AuditEntry.objects.filter(action="resident:record:list", result_count__gt=0).exists()


def test_without_a_purpose_the_panel_says_so_in_place(honseki_clerk: User) -> None:
    listed = panel(logged_in(honseki_clerk), "honseki", picker_candidates="1", picker_action="candidates")
    assert 'id="picker-honseki-"' in listed  # still the panel, not a whole page
    assert "利用目的（事務）を選択してから操作してください。" in listed

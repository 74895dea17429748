"""The national operator screen and API: counts without personal data, a card lookup, permissions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.common.catalogue import IDENTITY_UPDATE, QUERY_CARD_ISSUE
from jumin.jukinet.national.services.cards import issue_card
from jumin.jukinet.national.services.identity import apply_identity_update
from tests.helpers.permission_matrix import assert_permission_triple
from tests.jukinet.national.helpers import MUNICIPALITY, CardKey, envelope, notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def person() -> dict[str, Any]:
    payload = notice()
    with transaction.atomic():
        apply_identity_update(envelope(IDENTITY_UPDATE, payload))
    return payload


def new_card(resident_code: str) -> str:
    payload = {"resident_code": resident_code, "public_key": CardKey().public_b64, "birth_date": "19800102",
               "operator_id": "clerk01", "terminal_id": "T001"}  # fmt: skip
    with transaction.atomic():
        return str(issue_card(envelope(QUERY_CARD_ISSUE, payload, sender=MUNICIPALITY))["card_serial"])


def test_the_screen_needs_the_permission_and_is_audited(make_staff: Callable[..., Any]) -> None:
    assert_permission_triple(
        make_staff, "get", reverse("jukinet_national:overview"), Permission.NATIONAL_MONITOR
    )


def test_the_api_needs_the_permission_and_is_audited(make_staff: Callable[..., Any]) -> None:
    assert_permission_triple(make_staff, "get", "/api/jukinet/national/overview", Permission.NATIONAL_MONITOR)


def test_the_card_lookup_needs_the_card_permission(
    make_staff: Callable[..., Any], person: dict[str, Any]
) -> None:
    serial = new_card(person["resident_code"])
    assert_permission_triple(
        make_staff, "post", reverse("jukinet_national:card_lookup"), Permission.NATIONAL_CARD_MANAGE,
        data={"serial": serial},
    )  # fmt: skip
    assert_permission_triple(
        make_staff, "post", "/api/jukinet/national/cards/lookup", Permission.NATIONAL_CARD_MANAGE,
        data=json.dumps({"serial": serial}), content_type="application/json",
    )  # fmt: skip


def test_the_overview_counts_without_personal_data(
    make_staff: Callable[..., Any], person: dict[str, Any]
) -> None:
    new_card(person["resident_code"])
    client = make_staff([Permission.NATIONAL_MONITOR])
    page = client.get(reverse("jukinet_national:overview")).content.decode()
    data = client.get("/api/jukinet/national/overview").json()
    assert data["records_current"] == 1
    assert data["updates_today"] == [{"prefecture_code": "420000", "applied": 1, "refused": 0}]
    assert {"status": "active", "label": "運用中", "count": 1} in data["cards"]
    for value in (person["resident_code"], person["name"], person["address"], person["individual_number"]):
        assert value not in page
        assert value not in json.dumps(data, ensure_ascii=False)


def test_the_card_lookup_shows_status_and_history_not_the_holder(
    make_staff: Callable[..., Any], person: dict[str, Any]
) -> None:
    serial = new_card(person["resident_code"])
    client = make_staff([Permission.NATIONAL_CARD_MANAGE])
    response = client.post("/api/jukinet/national/cards/lookup", data=json.dumps({"serial": serial}),
                           content_type="application/json")  # fmt: skip
    body = response.json()
    assert body["status"] == "active"
    assert [e["event"] for e in body["events"]] == ["issue"]
    assert person["resident_code"] not in response.content.decode()
    page = client.post(reverse("jukinet_national:card_lookup"), {"serial": serial}).content.decode()
    assert "運用中" in page
    assert person["resident_code"] not in page


def test_a_bad_or_unknown_serial_is_explained_and_changes_nothing(make_staff: Callable[..., Any]) -> None:
    client = make_staff([Permission.NATIONAL_CARD_MANAGE])
    response = client.post("/api/jukinet/national/cards/lookup", data=json.dumps({"serial": "short"}),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["code"] == "jukinet.national.serial"
    response = client.post(reverse("jukinet_national:card_lookup"), {"serial": "ZZZZZZZZZZZZ"})
    assert response.status_code == 400
    assert "該当するカードがありません" in response.content.decode()
    assert AuditEntry.objects.filter(outcome="done", action="national:card:view").count() == 0

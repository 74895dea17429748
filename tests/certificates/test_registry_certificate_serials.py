"""The registry keeps the 電子証明書 serials it learns in its own table (std 1.1.1-c).

From the card status screen's 住基ネット fetch (both serials, their validity and status) and from an
e-application's 署名用電子証明書, each appended in the same transaction and audited; the card status
screen and API read them from the registry, not from the CS's fetch log. Fixtures are the 広域交付
tests' (hence this directory).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.jukinet.common.signing_certificate import certificate_serial, decode_certificate
from jumin.jukinet.cs.cards import parse_card
from jumin.jukinet.cs.models_cards import CertificateSerialFetch
from jumin.jukinet.national.models import Card
from jumin.jukinet.national.services import jpki
from jumin.messaging import queries
from jumin.messaging.testing import TestFederation
from jumin.messaging.tls import PeerUnreachable, RawResponse
from jumin.registry.cards import card_status
from jumin.registry.models import CardCertificateSerial, Resident
from jumin.registry.models_e_application import ElectronicApplication
from jumin.registry.services import DraftRecorded
from tests.certificates.test_e_applications import SERVICE, application, apply
from tests.certificates.test_wide_area import SASEBO, card_of, code_pool, family
from tests.registry.conftest import PURPOSE, logged_in

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here


def signing_serial_of(card_json: dict[str, Any]) -> str:
    certificate = decode_certificate(parse_card(card_json).signing_certificate, field="c", code="c")
    return certificate_serial(certificate)


def registry_rows(atena_number: str) -> list[tuple[str, str, str, str]]:
    rows = CardCertificateSerial.objects.filter(resident__atena_number=atena_number).order_by("pk")
    return list(rows.values_list("certificate_kind", "serial", "status", "source"))


@pytest.fixture
def card_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("serial-keeper", Permission.RESIDENT_VIEW, Permission.CS_CARD)


@pytest.fixture
def fetched_holder(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    card_clerk: User,
) -> str:
    """The 世帯主, holding a card, after one fetch from the card status screen; their 宛名番号."""
    head = family.atena_numbers[0]
    card_of(head)
    with federation.acting_as(SASEBO):
        card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    return head


def test_a_fetch_appends_both_serials_to_the_registry_once_and_a_change_appends_again(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    card_clerk: User,
) -> None:
    head = family.atena_numbers[0]
    card_json = card_of(head)
    stored = Card.objects.get(serial=parse_card(card_json).card_serial)
    signing = signing_serial_of(card_json)
    with federation.acting_as(SASEBO):
        card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
        card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    user_serial = CertificateSerialFetch.objects.latest("pk").serial
    assert user_serial
    # Two fetches at the CS, one learning in the registry: nothing new was learnt the second time.
    assert CertificateSerialFetch.objects.count() == 2
    assert registry_rows(head) == [
        ("user_authentication", user_serial, stored.get_status_display(), "cs_fetch"),
        ("signing", signing, "有効", "cs_fetch"),
    ]
    held = CardCertificateSerial.objects.get(certificate_kind="signing")
    assert held.valid_until == stored.signing_valid_until
    assert held.recorded_by == card_clerk
    assert held.source_ref == f"cs-fetch-{CertificateSerialFetch.objects.order_by('pk').first().pk}"  # type: ignore[union-attr]
    audit = AuditEntry.objects.get(action="resident:card_serial:record")
    assert (audit.subject_id, audit.result_count, audit.actor_id) == (head, 2, card_clerk.pk)
    # The 機構 revokes the 署名用 certificate: the next fetch appends one row; the old one stays.
    with federation.acting_as(SERVICE):
        jpki.revoke(stored, "失効申請")
    with federation.acting_as(SASEBO):
        card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    assert registry_rows(head)[1:] == [
        ("signing", signing, "有効", "cs_fetch"),
        ("signing", signing, "失効", "cs_fetch"),
    ]
    assert AuditEntry.objects.filter(action="resident:card_serial:record").count() == 2


def test_the_card_status_reads_the_registry_not_the_cs_fetch_log(
    federation: TestFederation, fetched_holder: str, card_clerk: User
) -> None:
    head = fetched_holder
    user_serial = CertificateSerialFetch.objects.get().serial
    # The CS's fetch log alone is not what the screen shows: only the registry's rows count.
    CertificateSerialFetch.objects.update(serial="FFFFFFFFFFFFFFFF")
    view = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head).certificate_serial
    assert view is not None
    assert (view.result, view.serial) == ("取得済", user_serial)
    answer = logged_in(card_clerk).post(
        "/api/registry/programs/cards/status",
        {"purpose": PURPOSE, "atena_number": head},
        content_type="application/json",
    )
    assert answer.status_code == 200
    assert answer.json()["certificate_serial"]["serial"] == user_serial
    page = logged_in(card_clerk).post(reverse("registry:cards"), {"purpose": PURPOSE, "atena_number": head})
    assert user_serial in page.content.decode()
    assert "FFFFFFFFFFFFFFFF" not in page.content.decode()


def test_an_e_application_teaches_the_registry_its_signing_serial_once(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    card_clerk: User,
) -> None:
    head = family.atena_numbers[0]
    card_json = card_of(head)
    signing = signing_serial_of(card_json)
    assert apply(federation, application(card_json)).accepted
    assert apply(federation, application(card_json, movers="self")).accepted
    assert registry_rows(head) == [("signing", signing, "", "e_application")]
    row = CardCertificateSerial.objects.get()
    assert row.recorded_by is None
    first = ElectronicApplication.objects.order_by("pk").first()
    assert first is not None
    assert row.source_ref == first.receipt_number
    entry = AuditEntry.objects.get(action="resident:card_serial:record")
    assert entry.purpose == "e_application"
    # Shown with the card status without any fetch through 住基ネット.
    view = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head).certificate_serial
    assert view is not None
    assert (view.result, view.serial, view.signing_serial) == ("署名用のみ記録", "", signing)
    assert not CertificateSerialFetch.objects.exists()
    assert Resident.objects.get(atena_number=head).certificate_serials.count() == 1


def test_a_telegram_error_is_shown_and_the_registry_keeps_what_it_knew(
    federation: TestFederation, fetched_holder: str, card_clerk: User
) -> None:
    head = fetched_holder
    held = registry_rows(head)

    def national_down(*_: object) -> RawResponse:
        raise PeerUnreachable("connection refused")

    previous = queries.set_transport(national_down)
    try:
        with federation.acting_as(SASEBO):
            view = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    finally:
        queries.set_transport(previous)
    shown = view.certificate_serial
    assert shown is not None
    assert shown.result == "電文エラー"
    assert shown.error  # the error in plain sight
    assert shown.serial == held[0][1]  # the registry's serial is still shown
    assert registry_rows(head) == held  # an error teaches the registry nothing

"""The card status screen shows the 電子証明書 serials the registry holds (1.1.1-c), learnt by fetching
through 住基ネット (std 7.1.2.4-a). The exchange itself is tested in tests/jukinet/cs/test_card_serials.py,
the registry's keeping and a telegram error on the screen in
tests/certificates/test_registry_certificate_serials.py."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.domain.errors import DomainError
from jumin.jukinet.cs.models_cards import CertificateSerialFetch
from jumin.registry.cards import card_status
from jumin.registry.models import CardCertificateSerial, Resident
from jumin.registry.models_card_serials import CertificateKind, SerialSource
from jumin.registry.services import DraftRecorded
from tests.registry.conftest import PURPOSE, logged_in
from tests.registry.test_move_out import family

pytestmark = pytest.mark.django_db
__all__ = ["family"]  # the fixture, imported for use here

Result = CertificateSerialFetch.Result


@pytest.fixture
def card_clerk(make_clerk: Callable[..., User]) -> User:
    return make_clerk("serial", Permission.RESIDENT_VIEW, Permission.CS_CARD)


def fetched(atena_number: str, **values: object) -> None:
    """A fetch as the CS records it (tests/jukinet/cs/test_card_serials.py makes real ones)."""
    code = Resident.objects.select_related("current").get(atena_number=atena_number).current.juminhyo_code
    CertificateSerialFetch.objects.create(resident_code=code, fetched_at=timezone.now(), **values)


def test_the_card_status_shows_the_registrys_serials_not_the_cs_fetch_log(
    family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    assert card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head).certificate_serial is None
    # A fetch the registry never learnt from (the CS's own log) is not the registry's record (1.1.1-c).
    fetched(head, result=Result.FOUND, serial="0123456789ABCDEF", registered_on=timezone.localdate())
    assert card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head).certificate_serial is None
    CardCertificateSerial.objects.create(
        resident=Resident.objects.get(atena_number=head),
        certificate_kind=CertificateKind.USER_AUTHENTICATION,
        serial="0123456789ABCDEF",
        valid_from=timezone.localdate(),
        status="運用中",
        source=SerialSource.CS_FETCH,
        recorded_at=timezone.now(),
    )
    serial = card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head).certificate_serial
    assert serial is not None
    assert (serial.result, serial.serial, serial.national_status, serial.error) == (
        "取得済",
        "0123456789ABCDEF",
        "運用中",
        "",
    )
    page = logged_in(card_clerk).post(reverse("registry:cards"), {"purpose": PURPOSE, "atena_number": head})
    assert "0123456789ABCDEF" in page.content.decode()


def test_a_fetch_for_a_person_not_in_the_cs_file_is_refused_with_a_reason(
    family: DraftRecorded, card_clerk: User
) -> None:
    head = family.atena_numbers[0]
    with pytest.raises(DomainError) as refused:
        card_status(actor=card_clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    assert refused.value.code == "jukinet.cs.serial.unknown_person"
    page = logged_in(card_clerk).post(
        reverse("registry:cards"), {"purpose": PURPOSE, "atena_number": head, "fetch_serial": "on"}
    )
    # From an ordinary terminal the CS function itself is refused, visibly (CS use needs the 統合端末).
    assert page.status_code == 403
    assert "統合端末からのみ利用できます" in page.content.decode()
    assert not CertificateSerialFetch.objects.exists()


def test_fetching_needs_the_cs_card_permission(
    family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    viewer = make_clerk("viewer", Permission.RESIDENT_VIEW)
    head = family.atena_numbers[0]
    with pytest.raises(AccessRefused):
        card_status(actor=viewer, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    assert not CertificateSerialFetch.objects.exists()

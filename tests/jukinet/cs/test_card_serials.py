"""利用者証明用電子証明書シリアル番号 through 住基ネット (std 7.1.2.4-a): fetched for a card holder of
this CS, none for a person without a live card, refused for another municipality's person, and every
telegram error recorded and listed until a later fetch succeeds."""

from __future__ import annotations

import pytest
from django.db import transaction

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.certificate_serial import serial_of
from jumin.jukinet.cs import card_serials, cards, services
from jumin.jukinet.cs.models_cards import CertificateSerialFetch
from jumin.jukinet.national.models import Card
from jumin.messaging import queries
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.messaging.tls import PeerUnreachable, RawResponse
from tests.helpers.accounts import grant_permissions, make_user
from tests.jukinet.cs.factories import resident_code, update

pytestmark = pytest.mark.django_db

SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
PURPOSE = "cs_operator"
Result = CertificateSerialFetch.Result


@pytest.fixture
def operator(db: None) -> User:
    user = make_user(username="csop01")
    grant_permissions(user, [Permission.CS_CARD])
    return user


def person(federation: TestFederation) -> str:
    request = update()
    with federation.acting_as(SASEBO), transaction.atomic():
        services.accept_update(request, actor=None)
    federation.pump()
    return request.resident_code


def fetch(
    federation: TestFederation, code: str, operator: User, node: NodeRef = SASEBO
) -> CertificateSerialFetch:
    with federation.acting_as(node):
        return card_serials.fetch_certificate_serial(code, actor=operator, purpose=PURPOSE)


def test_the_serial_of_the_live_card_is_fetched_and_shown_as_the_latest(
    federation: TestFederation, operator: User
) -> None:
    code = person(federation)
    assert fetch(federation, code, operator).result == Result.NONE  # no card yet
    with federation.acting_as(SASEBO):
        cards.issue_card(actor=operator, purpose=PURPOSE, resident_code=code, pin="1234")
    row = fetch(federation, code, operator)
    card = Card.objects.get(resident_code=code)
    assert (row.result, row.serial, row.registered_on) == (
        Result.FOUND,
        serial_of(card.public_key),
        card.issued_on,
    )
    assert row.card_status == "運用中"
    assert card_serials.latest(code) == row
    assert AuditEntry.objects.filter(action="cs:card:serial_fetch", outcome="done").count() == 2
    assert AuditEntry.objects.filter(action="national:card:serial_answer").count() == 2


def test_a_telegram_error_is_recorded_and_listed_until_a_later_fetch_succeeds(
    federation: TestFederation, operator: User
) -> None:
    code = person(federation)

    def national_down(*_: object) -> RawResponse:
        raise PeerUnreachable("connection refused")

    previous = queries.set_transport(national_down)
    try:
        failed = fetch(federation, code, operator)
    finally:
        queries.set_transport(previous)
    assert failed.result == Result.ERROR
    assert failed.error_code == "messaging.query_unreachable"
    assert failed.error_reason
    assert card_serials.failed_fetches() == [failed]
    assert AuditEntry.objects.get(action="cs:card:serial_fetch").outcome == "refused"
    assert fetch(federation, code, operator).result == Result.NONE
    assert card_serials.failed_fetches() == []


def test_another_municipalitys_person_is_refused_by_the_national_node(
    federation: TestFederation, operator: User
) -> None:
    code = person(federation)
    row = fetch(federation, code, operator, node=NAGASAKI)
    assert (row.result, row.error_code) == (Result.ERROR, "jukinet.national.card_serial.other_municipality")
    assert not AuditEntry.objects.filter(action="national:card:serial_answer").exists()
    assert AuditEntry.objects.filter(action="node:query:answer", outcome="refused").exists()


def test_unknown_persons_and_operators_without_the_card_permission_are_refused(
    federation: TestFederation, operator: User
) -> None:
    with pytest.raises(DomainError):
        fetch(federation, resident_code(999), operator)
    code = person(federation)
    with pytest.raises(AccessRefused):
        fetch(federation, code, make_user(username="viewer01"))
    assert not CertificateSerialFetch.objects.exists()

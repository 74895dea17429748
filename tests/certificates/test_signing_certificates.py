"""JPKI 署名用電子証明書 on the simulated 個人番号カード (std 7.2.5-a, 1.1.1-c).

The 機構 (national node) issues it at 交付 with the holder's 4情報; e-applications are signed with its key
and 佐世保市 verifies it (the 機構's CA, validity at signing, the 失効情報, the register's 4情報); a 転居
revokes it at the 機構 through the 本人確認情報 update; its serial, validity and status are fetched through
the CS and shown with the card status. Fixtures are the 広域交付 tests' (hence this directory).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Certifier
from jumin.jukinet.common.signing_certificate import (
    FourItems,
    certificate_serial,
    decode_certificate,
    encode_certificate,
    four_items_of,
    issue_certificate,
    last_valid_day,
)
from jumin.jukinet.cs.cards import parse_card, unlock, unlock_signing
from jumin.jukinet.cs.models_cards import CertificateSerialFetch
from jumin.jukinet.national.models import Card, IdentityRecord, SigningCertificateRevocation
from jumin.jukinet.national.services import jpki
from jumin.messaging.testing import TestFederation
from jumin.registry.cards import card_status
from jumin.registry.models_e_application import ElectronicApplication
from jumin.registry.services import Address, DraftRecorded, commit_change
from jumin.registry.workflows.move_within import MoveWithin, record_move_within
from tests.certificates.test_e_applications import SERVICE, application, apply
from tests.certificates.test_kiosk import at_kiosk, backdate_commit, kiosk_payload
from tests.certificates.test_wide_area import PIN, SASEBO, SIGNING_PASSWORD, card_of, code_pool, family
from tests.registry.conftest import PURPOSE, current, logged_in

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here


def the_certificate(card_json: dict[str, Any]) -> Any:
    return decode_certificate(parse_card(card_json).signing_certificate, field="c", code="c")


def test_the_card_carries_both_keys_and_a_signing_certificate_with_the_kikous_4_items(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[[str], dict[str, Any]]
) -> None:
    card_json = card_of(family.atena_numbers[0])
    assert card_json["format"] == "jumin-card/2"
    card = parse_card(card_json)
    certificate = the_certificate(card_json)
    stored = Card.objects.get(serial=card.card_serial)
    record = IdentityRecord.objects.get(resident_code=stored.resident_code)
    # Issued by the 機構's CA, with the 4情報 as the 機構 holds them; the serial is the card's.
    with federation.acting_as(SERVICE):
        certificate.verify_directly_issued_by(jpki.authority())
    assert four_items_of(certificate) == FourItems(
        record.notice["name"], record.birth_date, record.sex, record.address
    )
    assert certificate_serial(certificate) == stored.signing_serial
    assert stored.signing_valid_until == last_valid_day(
        record.birth_date, stored.issued_on, stored.valid_until
    )
    assert timezone.localtime(certificate.not_valid_after_utc).date() == stored.signing_valid_until
    # Two different key pairs; the 利用者証明用 key is unchanged in role (the kiosk and 本人確認 use it).
    user_key, signing_key = unlock(card, PIN), unlock_signing(card, SIGNING_PASSWORD)
    assert user_key is not None
    assert signing_key is not None
    assert user_key.public_key() != signing_key.public_key()
    assert certificate.public_key() == signing_key.public_key()
    # Two secrets: the 4-digit PIN does not open the 署名用 key, nor the password the 利用者証明用 one.
    assert unlock_signing(card, PIN) is None
    assert unlock(card, SIGNING_PASSWORD) is None


def test_the_5th_birthday_after_issue_ends_the_certificate_but_never_after_the_card() -> None:
    assert last_valid_day("19800315", date(2026, 11, 24), date(2036, 11, 23)) == date(2031, 3, 15)
    assert last_valid_day("19801201", date(2026, 11, 24), date(2036, 11, 23)) == date(2030, 12, 1)
    assert last_valid_day("19800229", date(2026, 11, 24), date(2036, 11, 23)) == date(2031, 2, 28)
    assert last_valid_day("20150601", date(2026, 11, 24), date(2031, 11, 23)) == date(2031, 6, 1)
    assert last_valid_day("20150601", date(2026, 11, 24), date(2030, 1, 1)) == date(2030, 1, 1)


def test_a_signature_by_the_user_key_or_another_key_is_refused(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[[str], dict[str, Any]]
) -> None:
    card_json = card_of(family.atena_numbers[0])
    user_key = unlock(parse_card(card_json), PIN)
    assert (
        apply(federation, application(card_json, key=user_key)).refusal_code
        == "registry.e_application_forged"
    )
    other = Ed25519PrivateKey.generate()
    assert (
        apply(federation, application(card_json, key=other)).refusal_code == "registry.e_application_forged"
    )
    assert not ElectronicApplication.objects.exists()
    assert AuditEntry.objects.filter(action="national:e_application:relay", outcome="refused").count() == 2


def test_an_expired_or_foreign_certificate_and_a_serial_mismatch_are_refused(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[[str], dict[str, Any]]
) -> None:
    card_json = card_of(family.atena_numbers[0])
    genuine = the_certificate(card_json)
    holder = four_items_of(genuine)
    assert holder is not None
    signing_key = unlock_signing(parse_card(card_json), SIGNING_PASSWORD)
    assert signing_key is not None

    def reissued(authority_key: Ed25519PrivateKey, valid_until: date) -> str:
        return encode_certificate(
            issue_certificate(
                authority_key=authority_key,
                public_key=signing_key.public_key(),
                serial=certificate_serial(genuine),
                holder=holder,
                valid_from=timezone.now() - timedelta(days=4000),
                valid_until=valid_until,
            )
        )

    with federation.acting_as(SERVICE):
        expired = reissued(jpki.authority_key(), timezone.localdate() - timedelta(days=1))
    refused = apply(federation, application(card_json, certificate=expired))
    assert refused.refusal_code == "registry.e_application_certificate_expired"
    foreign = reissued(Ed25519PrivateKey.generate(), timezone.localdate() + timedelta(days=30))
    assert apply(federation, application(card_json, certificate=foreign)).refusal_code == (
        "registry.e_application_untrusted"
    )
    mismatch = {**application(card_json), "certificate_serial": "7000000000000001"}
    # The 機構 knows no such certificate on this card: refused before it reaches 佐世保市.
    assert apply(federation, mismatch).refusal_code == "jukinet.national.e_application.unknown_card"
    assert not ElectronicApplication.objects.exists()


def test_a_revoked_certificate_is_refused_and_an_ended_card_revokes_it(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[[str], dict[str, Any]]
) -> None:
    first = card_of(family.atena_numbers[0])
    card = Card.objects.get(serial=parse_card(first).card_serial)
    with federation.acting_as(SERVICE):
        assert jpki.revoke(card, "失効申請")
        assert not jpki.revoke(card, "失効申請")  # once
    assert apply(federation, application(first)).refusal_code == "registry.e_application_revoked"
    revoke_entry = AuditEntry.objects.get(action="national:signing_certificate:revoke")
    assert revoke_entry.reason == "失効申請"
    # 再交付 abolishes the first card and revokes the certificate of the second one's predecessor.
    second = card_of(family.atena_numbers[0])
    third = card_of(family.atena_numbers[0])
    revoked = set(SigningCertificateRevocation.objects.values_list("serial", "reason"))
    assert (certificate_serial(the_certificate(second)), "再交付") in revoked
    assert apply(federation, application(third)).accepted
    assert ElectronicApplication.objects.count() == 1


def test_a_move_within_makes_the_4_items_differ_and_then_revokes_the_certificate_at_the_kikou(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    reviewer: User,
) -> None:
    head = family.atena_numbers[0]
    card_json = card_of(head)
    today = timezone.localdate()
    with federation.acting_as(SASEBO):
        draft = record_move_within(
            actor=clerk,
            purpose=PURPOSE,
            move=MoveWithin(
                movers=list(family.atena_numbers),
                address=Address(
                    address="長崎県佐世保市八幡町2番3号",
                    katagaki="",
                    postal_code="8570048",
                    address_code="42202123000",
                ),
                move_date=today,
                notification_date=today,
            ),
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    # The register changed; the 機構 has not heard yet: 佐世保市 refuses on the 4情報 itself.
    refused = apply(federation, application(card_json, movers="self"))
    assert refused.refusal_code == "registry.e_application_four_items_mismatch"
    federation.pump()
    # The 本人確認情報 update reached the 機構, which revoked the certificate (JPKI: a change of 住所).
    revocation = SigningCertificateRevocation.objects.get()
    assert revocation.reason == "基本4情報の変更"
    assert apply(federation, application(card_json, movers="self")).refusal_code == (
        "registry.e_application_revoked"
    )
    # A new card certifies the new address.
    renewed = card_of(head)
    assert four_items_of(the_certificate(renewed)).address == "長崎県佐世保市八幡町2番3号"  # type: ignore[union-attr]
    assert apply(federation, application(renewed, movers="self")).accepted


def test_the_signing_serial_is_fetched_recorded_and_shown_with_the_card_status(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    make_clerk: Callable[..., User],
) -> None:
    head = family.atena_numbers[0]
    card_json = card_of(head)
    serial = certificate_serial(the_certificate(card_json))
    clerk = make_clerk("serial-clerk", Permission.RESIDENT_VIEW, Permission.CS_CARD)
    with federation.acting_as(SASEBO):
        view = card_status(actor=clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    fetched = view.certificate_serial
    assert fetched is not None
    stored = Card.objects.get(serial=parse_card(card_json).card_serial)
    assert (fetched.signing_serial, fetched.signing_valid_until, fetched.signing_status) == (
        serial,
        stored.signing_valid_until.isoformat(),  # type: ignore[union-attr]
        "有効",
    )
    with federation.acting_as(SERVICE):
        jpki.revoke(stored, "失効申請")
    with federation.acting_as(SASEBO):
        card_status(actor=clerk, purpose=PURPOSE, atena_number=head, fetch_serial=True)
        page = logged_in(clerk).post(reverse("registry:cards"), {"purpose": PURPOSE, "atena_number": head})
    # History appended: both fetches kept, the latest shown.
    rows = list(CertificateSerialFetch.objects.order_by("pk").values_list("signing_serial", "signing_status"))
    assert rows == [(serial, "good"), (serial, "revoked")]
    text = page.content.decode()
    assert "署名用電子証明書シリアル番号" in text
    assert f"{serial}（有効期限 {stored.signing_valid_until.isoformat()}、失効）" in text  # type: ignore[union-attr]
    assert AuditEntry.objects.filter(action="cs:card:serial_fetch", outcome="done").count() == 2
    assert AuditEntry.objects.filter(action="resident:card:view", actor_id=clerk.pk).count() >= 3
    # Without the CS card permission nothing is fetched or recorded.
    viewer = make_clerk("viewer-only", Permission.RESIDENT_VIEW)
    with federation.acting_as(SASEBO), pytest.raises(AccessRefused):
        card_status(actor=viewer, purpose=PURPOSE, atena_number=head, fetch_serial=True)
    assert CertificateSerialFetch.objects.count() == 2
    assert current(head).juminhyo_code == stored.resident_code


def test_the_kiosk_keeps_the_user_certificate_and_refuses_the_signing_key(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
) -> None:
    backdate_commit(family.change_id)  # not on the 転入's day (test_kiosk_holds)
    card_json = card_of(family.atena_numbers[0])
    signing_key = unlock_signing(parse_card(card_json), SIGNING_PASSWORD)
    refused = at_kiosk(federation, kiosk_payload(card_json, key=signing_key))
    assert refused.refusal_code == "certificates.kiosk_forged"
    assert at_kiosk(federation, kiosk_payload(card_json)).issued

"""失効申請 of JPKI certificates, the 機構's 失効リスト (CRL) and the CA pinned at 佐世保市 (std 7.2.5-a).

A clerk records a 失効申請; the 機構 revokes the certificate and answers; 佐世保市 fetches the 機構's CRL,
verified against the CA certificate it pinned at setup, and checks e-applications against that CA and
that CRL, not against what the relay carries. Fixtures are the 広域交付 tests' (hence this directory).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.signing_certificate import (
    GOOD,
    authority_certificate,
    encode_certificate,
    four_items_of,
    issue_certificate,
)
from jumin.jukinet.cs import cards
from jumin.jukinet.cs.cards import parse_card
from jumin.jukinet.national.models import Card, SigningCertificateRevocation
from jumin.jukinet.national.services import e_application_service, jpki
from jumin.messaging.testing import TestFederation
from jumin.registry import jpki_trust
from jumin.registry.jpki_revocations import RevocationRequest, recent_requests, request_revocation
from jumin.registry.models_jpki import CertificateRevocationRequest, JpkiRevocationList
from jumin.registry.services import DraftRecorded
from tests.certificates.test_e_applications import application, apply, trust_the_kikou
from tests.certificates.test_kiosk import at_kiosk, backdate_commit, kiosk_payload
from tests.certificates.test_signing_certificates import the_certificate
from tests.certificates.test_wide_area import PIN, SASEBO, card_of, code_pool, family
from tests.registry.conftest import PURPOSE

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here


def revoke(clerk: User, atena: str, certificate: str = "signing", reason: str = "カードの紛失") -> Any:
    return request_revocation(
        actor=clerk,
        purpose=PURPOSE,
        request=RevocationRequest(
            atena_number=atena, certificate=certificate, applicant="self", reason=reason
        ),
    )


def test_a_signing_revocation_is_sent_revoked_kept_and_the_crl_refetched(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[[str], dict[str, Any]], clerk: User
) -> None:
    head = family.atena_numbers[0]
    card_json = card_of(head)
    assert apply(federation, application(card_json, movers="self")).accepted  # pins the CA, fetches the CRL
    with federation.acting_as(SASEBO):
        done = revoke(clerk, head)
    stored = Card.objects.get(serial=parse_card(card_json).card_serial)
    assert done.serial == stored.signing_serial
    assert (done.certificate_name, done.list_refreshed) == ("署名用電子証明書", True)
    revocation = SigningCertificateRevocation.objects.get(serial=done.serial)
    assert (revocation.certificate, revocation.reason) == ("signing", "失効申請（本人）: カードの紛失")
    kept = CertificateRevocationRequest.objects.get()
    assert (kept.resident.atena_number, kept.serial, kept.refusal_code) == (head, done.serial, "")
    entry = AuditEntry.objects.get(action="resident:certificate_revocation:request")
    assert entry.outcome == "done"
    # The newest CRL lists the serial; an e-application with the certificate is refused from then on.
    latest = JpkiRevocationList.objects.order_by("-pk").first()
    assert latest is not None
    assert latest.revoked_count == 1
    refused = apply(federation, application(card_json), trusted=False)
    assert refused.refusal_code == "registry.e_application_revoked"
    # A second 失効申請 of the same certificate: the 機構 refuses; kept, audited, raised.
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as again:
        revoke(clerk, head)
    assert again.value.code == "jukinet.national.revocation.already_revoked"
    assert CertificateRevocationRequest.objects.filter(refusal_code=again.value.code).count() == 1
    assert AuditEntry.objects.filter(
        action="resident:certificate_revocation:request", outcome="refused"
    ).exists()


def test_the_crl_not_the_relayed_status_decides(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    head = family.atena_numbers[0]
    card_json = card_of(head)
    trust_the_kikou(federation)
    with federation.acting_as(SASEBO):
        assert revoke(clerk, head).list_refreshed
    # A relay claiming the certificate is good does not override the CRL fetched here.
    monkeypatch.setattr(e_application_service.jpki, "status_of", lambda card, serial: GOOD)
    refused = apply(federation, application(card_json), trusted=False)
    assert refused.refusal_code == "registry.e_application_revoked"


def test_a_forged_ca_in_the_relay_is_refused_against_the_pinned_one(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    card_json = card_of(family.atena_numbers[0])
    trust_the_kikou(federation)
    # The card's key and 4情報 in a certificate of another CA, relayed with that CA as if the 機構's.
    forged_key = Ed25519PrivateKey.generate()
    original = the_certificate(card_json)
    holder = four_items_of(original)
    assert holder is not None
    forged = issue_certificate(
        authority_key=forged_key,
        public_key=original.public_key(),  # type: ignore[arg-type]
        serial=f"{original.serial_number:016X}",
        holder=holder,
        valid_from=timezone.now() - timedelta(days=1),
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    monkeypatch.setattr(e_application_service.jpki, "authority", lambda: authority_certificate(forged_key))
    refused = apply(federation, application(card_json, certificate=encode_certificate(forged)), trusted=False)
    assert refused.refusal_code == "registry.e_application_untrusted"
    # Audited at 佐世保市 as the refused answer to the 機構's query.
    assert AuditEntry.objects.filter(
        action="node:query:answer", outcome="refused", outcome_reason="registry.e_application_untrusted"
    ).exists()


def test_a_crl_not_signed_by_the_pinned_ca_is_refused_and_audited(
    federation: TestFederation, family: DraftRecorded, monkeypatch: pytest.MonkeyPatch
) -> None:
    trust_the_kikou(federation)
    kept = JpkiRevocationList.objects.count()
    other = Ed25519PrivateKey.generate()
    monkeypatch.setattr(jpki, "authority_key", lambda: other)
    monkeypatch.setattr(jpki, "authority", lambda: authority_certificate(other))
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
        jpki_trust.fetch_revocation_list()
    assert refused.value.code == "registry.jpki_crl_untrusted"
    assert JpkiRevocationList.objects.count() == kept  # the list in force stays
    entry = AuditEntry.objects.filter(action="registry:jpki_crl:fetch").order_by("-pk").first()
    assert entry is not None
    assert (entry.outcome, entry.outcome_reason) == ("refused", "registry.jpki_crl_untrusted")


def test_without_a_pinned_ca_or_a_current_crl_every_e_application_is_refused(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[[str], dict[str, Any]]
) -> None:
    card_json = card_of(family.atena_numbers[0])
    refused = apply(federation, application(card_json), trusted=False)
    assert refused.refusal_code == "registry.e_application_no_trust_anchor"
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as unpinned:
        jpki_trust.fetch_revocation_list()
    assert unpinned.value.code == "registry.jpki_no_authority"
    trust_the_kikou(federation)
    JpkiRevocationList.objects.all().update(next_update=timezone.now() - timedelta(minutes=1))
    stale = apply(federation, application(card_json), trusted=False)
    assert stale.refusal_code == "registry.e_application_no_revocation_list"
    # Another CA cannot replace the pinned one.
    other = authority_certificate(Ed25519PrivateKey.generate()).public_bytes(Encoding.PEM)
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as replaced:
        jpki_trust.pin_authority(other)
    assert replaced.value.code == "registry.jpki_authority_pinned"
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as unreadable:
        jpki_trust.pin_authority(b"not a certificate")
    assert unreadable.value.code == "registry.jpki_authority_unreadable"


def test_a_user_certificate_revocation_stops_the_card_at_the_counter_and_the_kiosk(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    make_clerk: Callable[..., User],
    certifier: Any,
) -> None:
    backdate_commit(family.change_id)  # not on the 転入's day (test_kiosk_holds)
    head = family.atena_numbers[0]
    card_json = card_of(head)
    with federation.acting_as(SASEBO):
        done = revoke(clerk, head, certificate="user", reason="利用者証明用のみ不要")
    assert (done.certificate_name, done.list_refreshed) == ("利用者証明用電子証明書", False)
    row = SigningCertificateRevocation.objects.get(serial=done.serial)
    assert row.certificate == "user"
    checker = make_clerk("revoked-check", Permission.CS_IDENTITY_CHECK)
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as at_counter:
        cards.verify_with_card(actor=checker, purpose=PURPOSE, card_json=card_json, pin=PIN)
    assert at_counter.value.code == "jukinet.card.user_certificate_revoked"
    assert at_kiosk(federation, kiosk_payload(card_json)).refusal_code == "jukinet.national.kiosk.revoked"
    # The 署名用電子証明書 is another certificate: still good.
    assert apply(federation, application(card_json, movers="self")).accepted


def test_only_a_records_clerk_sends_a_revocation_and_bad_input_changes_nothing(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    make_clerk: Callable[..., User],
) -> None:
    head = family.atena_numbers[0]
    card_of(head)
    viewer = make_clerk("view-only", Permission.RESIDENT_VIEW)
    with federation.acting_as(SASEBO):
        with pytest.raises(AccessRefused):
            revoke(viewer, head)
        for request, field in [
            (RevocationRequest(head, "both", "self", "理由"), "certificate"),
            (RevocationRequest(head, "signing", "neighbour", "理由"), "applicant"),
            (RevocationRequest(head, "signing", "self", " "), "reason"),
            (RevocationRequest("999999999", "signing", "self", "理由"), "atena_number"),
        ]:
            with pytest.raises(DomainError) as refused:
                request_revocation(actor=clerk, purpose=PURPOSE, request=request)
            assert refused.value.field == field
    assert not SigningCertificateRevocation.objects.exists()
    assert not CertificateRevocationRequest.objects.exists()


def test_the_screen_and_the_api_record_and_list_revocations(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    make_staff: Callable[..., Any],
) -> None:
    head, wife = family.atena_numbers[0], family.atena_numbers[1]
    card_of(head)
    card_of(wife)
    trust_the_kikou(federation)
    client = make_staff([Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW])
    url = reverse("registry:certificate_revocations")
    with federation.acting_as(SASEBO):
        page = client.get(url)
        assert page.status_code == 200
        assert "電子証明書の失効申請" in page.content.decode()
        assert url in client.get(reverse("registry:menu")).content.decode()
        form = {
            "purpose": PURPOSE,
            "atena_number": head,
            "certificate": "signing",
            "applicant": "legal_representative",
            "reason": "本人の申出",
            "request": "1",
        }
        blank = client.post(url, {**form, "reason": ""})
        assert "必須" in blank.content.decode()
        assert not CertificateRevocationRequest.objects.exists()
        sent = client.post(url, form)
        text = sent.content.decode()
        assert "に失効させました" in text
        assert "失効リストを取り直しました" in text
        listed = client.post(url, {"purpose": PURPOSE, "list": "1"}).content.decode()
        assert "法定代理人" in listed
        assert "本人の申出" in listed
        api = "/api/registry/certificate-revocations"
        answered = client.post(
            f"{api}/request",
            {
                "purpose": PURPOSE,
                "atena_number": wife,
                "certificate": "user",
                "applicant": "self",
                "reason": "不要",
            },
            content_type="application/json",
        )
        assert answered.status_code == 200, answered.content
        assert len(answered.json()["serial"]) == 16
        again = client.post(
            f"{api}/request",
            {
                "purpose": PURPOSE,
                "atena_number": wife,
                "certificate": "user",
                "applicant": "self",
                "reason": "不要",
            },
            content_type="application/json",
        )
        assert (again.status_code, again.json()["code"]) == (
            400,
            "jukinet.national.revocation.already_revoked",
        )
        rows = client.post(f"{api}/list", {"purpose": PURPOSE}, content_type="application/json").json()
        assert len(rows) == 3
    assert AuditEntry.objects.filter(action="resident:certificate_revocation:list").count() == 2


def test_recent_requests_needs_the_records_permission(
    federation: TestFederation, family: DraftRecorded, make_clerk: Callable[..., User]
) -> None:
    with federation.acting_as(SASEBO), pytest.raises(AccessRefused):
        recent_requests(actor=make_clerk("no-record", Permission.RESIDENT_VIEW), purpose=PURPOSE)

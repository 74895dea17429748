"""コンビニ交付 through the 証明書交付センター (standard 7.2.5-a, 3.1-g; system.md F11c).

A member of the family registered at 佐世保市 inserts the card at a kiosk: the centre (national node)
finds the card, asks 佐世保市 with the card's signature, and 佐世保市 verifies it, issues and records
the copy. An issuance 抑止 set at 佐世保市 reaches the centre in the set's transaction and refuses the
kiosk until it is lifted; a 一時解除 never reaches it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from jumin.accounts import clock
from jumin.accounts.models import User
from jumin.audit.models import AuditEntry
from jumin.certificates.models import Certifier, Issuance
from jumin.jukinet.common.certificate_serial import serial_of
from jumin.jukinet.common.kiosk import kiosk_challenge
from jumin.jukinet.common.queries import encode_b64url
from jumin.jukinet.cs.cards import parse_card, unlock
from jumin.jukinet.national.models import Card, KioskMark, KioskRequest
from jumin.jukinet.national.services.kiosk_centre import KioskOutcome, request_kiosk_copy
from jumin.messaging.envelope import NodeRef
from jumin.messaging.models import OutboxMessage
from jumin.messaging.testing import TestFederation
from jumin.registry.models import Change
from jumin.registry.restrictions import RestrictedProcess
from jumin.registry.services import DraftRecorded
from jumin.registry.services_restrictions import (
    ReleaseTarget,
    SupportApplication,
    SupportEndReason,
    create_support_measure,
    end_support,
    lift_suppression,
    release_temporarily,
)
from tests.certificates.helpers import flat, pdf_pages
from tests.certificates.test_wide_area import PIN, SASEBO, card_of, code_pool, family
from tests.certificates.test_wide_area_restrictions import officer, suppress_issuance
from tests.registry.conftest import PURPOSE

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family", "officer"]  # fixtures, imported for use here

CENTRE = NodeRef("national", "00")
KIOSK = "kiosk-0001"


@pytest.fixture(autouse=True)
def moved_in_yesterday(family: DraftRecorded) -> None:
    """The family's 転入 was committed yesterday: a kiosk refuses on the 転入's day (test_kiosk_holds)."""
    backdate_commit(family.change_id)


def backdate_commit(change_id: int, days: int = 1) -> None:
    """Move a committed change's 本登録 time back ``days`` days (the test's clock stays today)."""
    change = Change.objects.get(pk=change_id)
    assert change.reviewed_at is not None
    Change.objects.filter(pk=change_id).update(reviewed_at=change.reviewed_at - timedelta(days=days))


def kiosk_payload(
    card_json: dict[str, Any],
    *,
    kind: str = "copy",
    scope: str = "self",
    copies: int = 1,
    key: Ed25519PrivateKey | None = None,
) -> dict[str, Any]:
    """What the kiosk sends: the card unlocked by its PIN signs what is asked (or ``key`` forges it)."""
    card = parse_card(card_json)
    signer = key or unlock(card, PIN)
    assert signer is not None
    serial = serial_of(card.public_key)
    nonce = secrets.token_hex(16)
    signed_at = timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    challenge = kiosk_challenge(serial, kind, scope, copies, KIOSK, nonce, signed_at)
    return {
        "certificate_serial": serial,
        "card_serial": card.card_serial,
        "kind": kind,
        "scope": scope,
        "copies": copies,
        "nonce": nonce,
        "signed_at": signed_at,
        "signature": encode_b64url(signer.sign(challenge)),
        "kiosk_id": KIOSK,
    }


def at_kiosk(federation: TestFederation, payload: dict[str, Any]) -> KioskOutcome:
    with federation.acting_as(CENTRE):
        return request_kiosk_copy(payload)


def kiosk_marks_sent() -> list[str]:
    """The subject keys of the KIOSK_MARK messages the registry queued (signed tokens, not payloads)."""
    marks = OutboxMessage.objects.filter(type="jukinet.kiosk_mark", receiver_kind="national")
    return list(marks.values_list("subject_key", flat=True))


def test_a_card_holder_gets_a_household_copy_at_a_kiosk_rendered_and_recorded_by_the_municipality(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
) -> None:
    outcome = at_kiosk(federation, kiosk_payload(card_of(family.atena_numbers[0]), scope="household"))

    assert outcome.issued, outcome.refusal_code
    text = flat("".join(pdf_pages(outcome.pdf)))
    assert "住民票の写し" in text
    assert "青木太郎" in text
    assert "青木三奈" in text
    assert "佐世保市長" in text
    assert "本籍" not in text
    assert not re.search(r"\d{12}", text)  # C-36: never a 個人番号
    assert outcome.fee == 300
    assert "コンビニ交付" in outcome.copy_numbers[0]

    issuance = Issuance.objects.get()
    assert issuance.channel == Issuance.Channel.KIOSK
    assert (issuance.fee, issuance.identity_check, issuance.user) == (300, "mynumber_card", None)
    assert issuance.terminal_id == f"kiosk:{KIOSK}"
    assert not issuance.individual_number_printed
    assert list(issuance.issued_copies.values_list("copy_number", flat=True)) == list(outcome.copy_numbers)

    log = KioskRequest.objects.get()
    assert (log.municipality_code, log.refusal_code, log.fee) == (SASEBO.code, "", 300)
    assert log.copy_numbers == list(outcome.copy_numbers)
    centre = AuditEntry.objects.get(action="national:kiosk:request")
    assert (centre.outcome, centre.subject_id) == ("done", str(log.pk))
    assert centre.result_subjects.exists()  # the person's 提供状況 lists it
    issued = AuditEntry.objects.get(action="certificate:copy:issue", outcome="done")
    assert issued.reason.startswith("kiosk for kiosk:")
    for entry in (centre, issued):
        assert "青木" not in entry.reason


def test_a_kiosk_issues_a_stated_items_certificate_of_the_holder_only(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
) -> None:
    outcome = at_kiosk(federation, kiosk_payload(card_of(family.atena_numbers[1]), kind="stated_items"))
    assert outcome.issued, outcome.refusal_code
    text = flat("".join(pdf_pages(outcome.pdf)))
    assert "住民票記載事項証明書" in text
    assert "青木花子" in text
    assert "青木太郎" not in text
    assert Issuance.objects.get().kind == "stated_items"


def test_a_forged_signature_is_refused_by_the_municipality_and_nothing_is_issued(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
) -> None:
    forged = kiosk_payload(card_of(family.atena_numbers[0]), key=Ed25519PrivateKey.generate())
    outcome = at_kiosk(federation, forged)
    assert (outcome.issued, outcome.refusal_code) == (False, "certificates.kiosk_forged")
    assert not Issuance.objects.exists()
    assert KioskRequest.objects.get().refusal_code == "certificates.kiosk_forged"
    assert AuditEntry.objects.get(action="national:kiosk:request").outcome == "refused"


def test_a_replayed_request_and_a_suspended_card_are_refused(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
) -> None:
    payload = kiosk_payload(card_of(family.atena_numbers[0]))
    assert at_kiosk(federation, payload).issued
    assert at_kiosk(federation, payload).refusal_code == "jukinet.national.kiosk.replay"

    wife_card = card_of(family.atena_numbers[1])
    Card.objects.update(status=Card.Status.SUSPENDED)
    outcome = at_kiosk(federation, kiosk_payload(wife_card))
    assert outcome.refusal_code == "certificates.kiosk_card_not_live"
    assert Issuance.objects.count() == 1


def test_an_unknown_certificate_serial_is_refused_at_the_centre(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
) -> None:
    payload = {**kiosk_payload(card_of(family.atena_numbers[0])), "certificate_serial": "0123456789ABCDEF"}
    assert at_kiosk(federation, payload).refusal_code == "jukinet.national.kiosk.unknown_card"
    assert at_kiosk(federation, {"kind": "copy"}).refusal_code == "jukinet.kiosk"
    assert not Issuance.objects.exists()


def test_a_suppression_reaches_the_centre_in_its_transaction_refuses_the_kiosk_and_its_lift_reopens_it(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    officer: User,
) -> None:
    head = family.atena_numbers[0]
    card = card_of(head)
    suppression_id = suppress_issuance(federation, officer, head)
    sent = kiosk_marks_sent()
    assert len(sent) == 1
    federation.pump()
    mark = KioskMark.objects.get()
    assert (mark.municipality_code, mark.kind, mark.restriction_id) == (
        SASEBO.code,
        "suppression",
        suppression_id,
    )

    outcome = at_kiosk(federation, kiosk_payload(card))
    assert outcome.refusal_code == "jukinet.national.kiosk.suppressed"
    assert not Issuance.objects.exists()
    assert not AuditEntry.objects.filter(action="node:query:send", reason__contains="kiosk").exists()

    with federation.acting_as(SASEBO):
        lift_suppression(actor=officer, purpose=PURPOSE, suppression_id=suppression_id, reason="調査終了")
    assert len(kiosk_marks_sent()) == 2
    federation.pump()
    assert KioskMark.objects.get().lifted_at is not None
    assert at_kiosk(federation, kiosk_payload(card)).issued


def test_a_temporary_release_is_never_sent_to_the_centre_and_does_not_open_the_kiosk(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    officer: User,
) -> None:
    head = family.atena_numbers[0]
    card = card_of(head)
    suppress_issuance(federation, officer, head)
    federation.pump()
    with federation.acting_as(SASEBO):
        release_temporarily(
            actor=officer,
            purpose=PURPOSE,
            atena_number=head,
            process=RestrictedProcess.CERTIFICATE,
            target=ReleaseTarget.SUPPRESSION,
            reason="窓口で本人確認済み",
        )
    assert len(kiosk_marks_sent()) == 1
    federation.pump()
    assert at_kiosk(federation, kiosk_payload(card)).refusal_code == "jukinet.national.kiosk.suppressed"
    assert not Issuance.objects.exists()


def test_a_support_measure_reaches_the_centre_and_its_end_reopens_the_kiosk(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    officer: User,
) -> None:
    wife = family.atena_numbers[1]
    card = card_of(wife)
    with federation.acting_as(SASEBO):
        measure_id = create_support_measure(
            actor=officer,
            purpose=PURPOSE,
            application=SupportApplication(
                applicant=wife, covered_services=["copies"], received_on=clock.today(), provisional=True
            ),
        )
    federation.pump()
    assert KioskMark.objects.get().kind == "support_measure"
    assert at_kiosk(federation, kiosk_payload(card)).refusal_code == "jukinet.national.kiosk.suppressed"

    with federation.acting_as(SASEBO):
        end_support(actor=officer, purpose=PURPOSE, measure_id=measure_id, reason=SupportEndReason.DECISION)
    federation.pump()
    assert at_kiosk(federation, kiosk_payload(card)).issued


def test_a_household_copy_with_a_suppressed_member_is_refused_by_the_municipality(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    certifier: Certifier,
    officer: User,
) -> None:
    """The centre checks the card holder; the municipality checks everyone printed."""
    head, _wife, child = family.atena_numbers
    suppress_issuance(federation, officer, child)
    federation.pump()
    card = card_of(head)
    assert at_kiosk(federation, kiosk_payload(card, scope="household")).refusal_code == (
        "certificates.kiosk_restricted"
    )
    assert not Issuance.objects.exists()
    assert at_kiosk(federation, kiosk_payload(card)).issued

"""電子申請 (引越しワンストップ 転出届, std 7.2.5-a; system.md M8) through the national e-application service.

A member of the family registered at 佐世保市 files a 転出届 with the card: the service (national node)
finds the card and relays the application; 佐世保市 verifies the card's signature itself, matches the
applicant by the 住民票コード and keeps the application for a clerk, who enters it as a 転出 draft that
another clerk commits. The card fixtures are the 広域交付 tests' (hence this directory).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding
from django.urls import reverse
from django.utils import timezone

from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.e_application import application_challenge
from jumin.jukinet.common.queries import encode_b64url
from jumin.jukinet.common.signing_certificate import certificate_serial, decode_certificate
from jumin.jukinet.cs.cards import parse_card, unlock_signing
from jumin.jukinet.cs.signing_password import sign_with_card
from jumin.jukinet.national.models import Card
from jumin.jukinet.national.services import jpki
from jumin.jukinet.national.services.e_application_service import ApplicationOutcome, submit_application
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from jumin.registry import e_applications, jpki_trust
from jumin.registry.models import Change, ChangeState
from jumin.registry.models_e_application import ElectronicApplication, ElectronicApplicationDecision
from jumin.registry.services import DraftRecorded, commit_change, discard_change
from tests.certificates.test_wide_area import SASEBO, SIGNING_PASSWORD, card_of, code_pool, family
from tests.registry.conftest import PURPOSE, current

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here

SERVICE = NodeRef("national", "00")


def application(
    card_json: dict[str, Any],
    *,
    movers: str = "household",
    days_ahead: int = 7,
    destination: str = "東京都千代田区千代田１番１号",
    destination_municipality_code: str = "131016",
    key: Ed25519PrivateKey | None = None,
    certificate: str | None = None,
    password: str = SIGNING_PASSWORD,
) -> dict[str, Any]:
    """What マイナポータル sends: the card unlocked by its 署名用パスワード signs the 転出届 with its 署名用
    key and attaches its 署名用電子証明書 (``key`` forges the signature, ``certificate`` replaces the
    certificate, ``password`` is the 署名用パスワード typed)."""
    card = parse_card(card_json)
    attached = certificate or card.signing_certificate
    payload: dict[str, Any] = {
        "certificate_serial": certificate_serial(decode_certificate(attached, field="c", code="c")),
        "card_serial": card.card_serial,
        "kind": "move_out",
        "movers": movers,
        "planned_date": (timezone.localdate() + timedelta(days=days_ahead)).isoformat(),
        "destination": destination,
        "destination_municipality_code": destination_municipality_code,
        "nonce": secrets.token_hex(16),
        "signed_at": timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "signing_certificate": attached,
    }
    challenge = application_challenge(payload)
    signature = key.sign(challenge) if key else sign_with_card(card_json, password, challenge).signature
    payload["signature"] = encode_b64url(signature)
    return payload


def trust_the_kikou(federation: TestFederation) -> None:
    """佐世保市's setup: the 機構's JPKI CA pinned there, and the 機構's current 失効リスト fetched."""
    with federation.acting_as(SERVICE):
        pem = jpki.authority().public_bytes(Encoding.PEM)
    with federation.acting_as(SASEBO):
        jpki_trust.pin_authority(pem)
        jpki_trust.fetch_revocation_list()


def apply(federation: TestFederation, payload: dict[str, Any], *, trusted: bool = True) -> ApplicationOutcome:
    """Submit through the service; ``trusted`` first brings 佐世保市's pinned CA and 失効リスト up to date."""
    if trusted:
        trust_the_kikou(federation)
    with federation.acting_as(SERVICE):
        return submit_application(payload)


def test_a_signed_move_out_application_is_received_matched_and_drafted_for_review(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    reviewer: User,
) -> None:
    head = family.atena_numbers[0]
    outcome = apply(federation, application(card_of(head)))
    assert outcome.accepted, outcome.refusal_code
    stored = ElectronicApplication.objects.get()
    assert stored.receipt_number == outcome.receipt_number
    assert (stored.applicant.atena_number, sorted(stored.atena_numbers)) == (
        head,
        sorted(family.atena_numbers),
    )
    relayed = AuditEntry.objects.get(action="national:e_application:relay")
    assert (relayed.outcome, relayed.subject_id) == ("done", outcome.receipt_number)
    assert AuditEntry.objects.filter(action="resident:e_application:receive").count() == 1

    with federation.acting_as(SASEBO):
        [pending] = e_applications.pending_applications(actor=clerk, purpose=PURPOSE)
        assert (pending.receipt_number, pending.applicant_atena_number) == (outcome.receipt_number, head)
        draft = e_applications.draft_move_out(
            actor=clerk, purpose=PURPOSE, receipt_number=pending.receipt_number
        )
        assert sorted(draft.atena_numbers) == sorted(family.atena_numbers)
        # Decided: off the list, and a second decision is refused.
        assert e_applications.pending_applications(actor=clerk, purpose=PURPOSE) == []
        with pytest.raises(DomainError) as decided:
            e_applications.refuse_application(
                actor=clerk, purpose=PURPOSE, receipt_number=pending.receipt_number, reason="重複"
            )
        assert decided.value.code == "registry.e_application_decided"
        change = Change.objects.get(pk=draft.change_id)
        assert change.state == ChangeState.DRAFT  # nothing is committed by the application itself
        assert change.notification_date == timezone.localdate(stored.received_at)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
        moved = current(head)
        assert (moved.planned_destination, moved.planned_destination_code) == (
            "東京都千代田区千代田１番１号",
            "131016",
        )
    decision = ElectronicApplicationDecision.objects.get()
    assert (decision.outcome, decision.change_id, decision.decided_by) == ("drafted", draft.change_id, clerk)


def test_a_discarded_draft_puts_the_application_back_and_a_refusal_needs_a_reason(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
) -> None:
    outcome = apply(federation, application(card_of(family.atena_numbers[1]), movers="self"))
    with federation.acting_as(SASEBO):
        draft = e_applications.draft_move_out(
            actor=clerk, purpose=PURPOSE, receipt_number=outcome.receipt_number
        )
        assert draft.atena_numbers == (family.atena_numbers[1],)
        discard_change(actor=clerk, purpose=PURPOSE, change_id=draft.change_id, reason="申請内容の確認のため")
        [back] = e_applications.pending_applications(actor=clerk, purpose=PURPOSE)
        assert back.returned
        with pytest.raises(DomainError) as no_reason:
            e_applications.refuse_application(
                actor=clerk, purpose=PURPOSE, receipt_number=back.receipt_number, reason=" "
            )
        assert no_reason.value.field == "reason"
        e_applications.refuse_application(
            actor=clerk, purpose=PURPOSE, receipt_number=back.receipt_number, reason="窓口で届出済み"
        )
        assert e_applications.pending_applications(actor=clerk, purpose=PURPOSE) == []
    assert list(ElectronicApplicationDecision.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "drafted",
        "refused",
    ]
    stored = ElectronicApplication.objects.get()
    stored.destination = "別の住所"
    with pytest.raises(ValueError, match="変更できません"):
        stored.save()


def test_a_forged_replayed_stale_or_suspended_card_application_is_refused_and_nothing_is_kept(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
) -> None:
    card = card_of(family.atena_numbers[0])
    forged = application(card, key=Ed25519PrivateKey.generate())
    assert apply(federation, forged).refusal_code == "registry.e_application_forged"
    # The relay cannot change what the card signed.
    altered = {**application(card), "destination": "大阪府大阪市北区"}
    assert apply(federation, altered).refusal_code == "registry.e_application_forged"
    stale = application(card)
    stale["signed_at"] = (
        (timezone.now() - timedelta(minutes=30)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    stale["signature"] = encode_b64url(
        unlock_signing(parse_card(card), SIGNING_PASSWORD).sign(application_challenge(stale))
    )  # type: ignore[union-attr]
    assert apply(federation, stale).refusal_code == "registry.e_application_stale"
    good = application(card)
    assert apply(federation, good).accepted
    assert apply(federation, good).refusal_code == "jukinet.national.e_application.replay"
    Card.objects.update(status=Card.Status.SUSPENDED)
    assert apply(federation, application(card)).refusal_code == "registry.e_application_card_not_live"
    assert ElectronicApplication.objects.count() == 1
    refused = AuditEntry.objects.filter(action="national:e_application:relay", outcome="refused")
    assert refused.count() == 5


def test_an_applicant_already_moving_out_and_malformed_input_are_refused(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    clerk: User,
    reviewer: User,
) -> None:
    card = card_of(family.atena_numbers[0])
    assert apply(federation, {"kind": "move_out"}).refusal_code == "jukinet.e_application"
    too_long = application(card, destination="東" * 101)
    assert apply(federation, too_long).refusal_code == "jukinet.e_application"
    no_such_day = {**application(card), "planned_date": "2026-02-30"}
    assert apply(federation, no_such_day).refusal_code == "jukinet.e_application"
    first = apply(federation, application(card))
    with federation.acting_as(SASEBO):
        draft = e_applications.draft_move_out(
            actor=clerk, purpose=PURPOSE, receipt_number=first.receipt_number
        )
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    # Before the national store hears of the 転出, 佐世保市 itself refuses a second one.
    again = apply(federation, application(card))
    assert again.refusal_code == "registry.e_application_already_moving"
    federation.pump()
    assert (
        apply(federation, application(card)).refusal_code == "jukinet.national.e_application.not_registered"
    )
    assert ElectronicApplication.objects.count() == 1


def test_the_screen_lists_drafts_and_refuses_and_the_api_does_the_same(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    make_staff: Callable[..., Any],
) -> None:
    client = make_staff([Permission.RESIDENT_RECORD, Permission.RESIDENT_VIEW])
    first = apply(federation, application(card_of(family.atena_numbers[0]), movers="self"))
    second = apply(federation, application(card_of(family.atena_numbers[1]), movers="self"))
    url = reverse("registry:e_applications")
    with federation.acting_as(SASEBO):
        listed = client.post(url, {"purpose": PURPOSE, "list": "1"})
        assert listed.status_code == 200
        text = listed.content.decode()
        assert first.receipt_number in text
        assert second.receipt_number in text
        drafted = client.post(url, {"purpose": PURPOSE, "receipt_number": first.receipt_number, "draft": "1"})
        assert drafted.status_code == 200
        decision = ElectronicApplicationDecision.objects.get()
        assert decision.outcome == "drafted"
        assert Change.objects.get(pk=decision.change_id).state == ChangeState.DRAFT
        # A refusal without a reason is refused on the screen and changes nothing.
        blank = client.post(
            url, {"purpose": PURPOSE, "receipt_number": second.receipt_number, "refuse": "1", "reason": ""}
        )
        assert "理由を入力してください" in blank.content.decode()
        assert ElectronicApplicationDecision.objects.count() == 1

        api = "/api/registry/e-applications"
        pending = client.post(f"{api}/pending", {"purpose": PURPOSE}, content_type="application/json")
        assert [row["receipt_number"] for row in pending.json()] == [second.receipt_number]
        refused = client.post(
            f"{api}/refuse",
            {"purpose": PURPOSE, "receipt_number": second.receipt_number, "reason": "窓口で届出済み"},
            content_type="application/json",
        )
        assert refused.status_code == 204
        again = client.post(
            f"{api}/draft",
            {"purpose": PURPOSE, "receipt_number": second.receipt_number},
            content_type="application/json",
        )
        assert again.status_code == 400
        assert again.json()["code"] == "registry.e_application_decided"
    assert list(ElectronicApplicationDecision.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "drafted",
        "refused",
    ]

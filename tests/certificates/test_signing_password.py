"""The 署名用パスワード and the age limit of the JPKI 署名用電子証明書 (std 7.2.5-a).

The 署名用 key opens with its own password (6–16 英大文字・数字), not the 4-digit PIN; the chip counts wrong
passwords and locks after 5; only the counter resets it, after 本人確認 with the card and PIN, with a new
key the 機構 certifies (the old certificate revoked). No 署名用電子証明書 under 15 or for a 生年月日不詳.
Fixtures are the 広域交付 tests' (hence this directory).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from jumin.accounts.authorization import AccessRefused
from jumin.accounts.models import User
from jumin.accounts.permissions import Permission
from jumin.audit.models import AuditEntry
from jumin.domain.errors import DomainError
from jumin.jukinet.common.signing_certificate import certificate_serial, decode_certificate
from jumin.jukinet.common.signing_issue import (
    BIRTH_DATE_UNKNOWN,
    REFUSAL_MESSAGES,
    UNDER_MINIMUM_AGE,
    signing_refusal_for,
)
from jumin.jukinet.cs import cards
from jumin.jukinet.cs.cards import MAX_WRONG_SIGNING_PASSWORDS, parse_card
from jumin.jukinet.cs.signing_password import (
    WrongSigningPasswordError,
    reset_signing_password,
    sign_with_card,
)
from jumin.jukinet.national.models import Card, IdentityRecord, SigningCertificateRevocation
from jumin.messaging.testing import TestFederation
from jumin.registry.services import DraftRecorded, commit_change, record_move_in
from tests.certificates.test_e_applications import application, apply
from tests.certificates.test_wide_area import PIN, SASEBO, SIGNING_PASSWORD, card_of, code_pool, family
from tests.registry.conftest import PURPOSE, current, family_move_in, person

pytestmark = pytest.mark.django_db
__all__ = ["card_of", "code_pool", "family"]  # fixtures, imported for use here

NEW_PASSWORD = "NEWPASS2026"


@pytest.fixture
def counter_clerk(make_clerk: Callable[..., User]) -> User:
    """The CS clerk at the counter: issues cards and checks them (本人確認)."""
    return make_clerk("signing-counter", Permission.CS_CARD, Permission.CS_IDENTITY_CHECK)


def serial_of(card_json: dict[str, Any]) -> str:
    certificate = decode_certificate(parse_card(card_json).signing_certificate, field="c", code="c")
    return certificate_serial(certificate)


def wrong_times(card_json: dict[str, Any], times: int) -> tuple[dict[str, Any], WrongSigningPasswordError]:
    """Type a wrong 署名用パスワード ``times`` times, keeping the chip's count each time."""
    last: WrongSigningPasswordError | None = None
    for _ in range(times):
        with pytest.raises(WrongSigningPasswordError) as wrong:
            sign_with_card(card_json, "WRONG999", b"document")
        card_json, last = wrong.value.card, wrong.value
    assert last is not None
    return card_json, last


# --- 署名用パスワード ---------------------------------------------------------------------------------


def test_the_signing_key_opens_with_its_own_password_and_a_wrong_one_is_counted(
    federation: TestFederation, family: DraftRecorded, card_of: Callable[[str], dict[str, Any]]
) -> None:
    card_json = card_of(family.atena_numbers[0])
    # The 4-digit PIN is not the 署名用パスワード.
    with pytest.raises(WrongSigningPasswordError) as by_pin:
        sign_with_card(card_json, PIN, b"document")
    assert by_pin.value.code == "jukinet.cs.wrong_signing_password"
    assert "あと4回" in by_pin.value.reason
    assert by_pin.value.card["wrong_signing_passwords"] == 1
    counted, wrong = wrong_times(by_pin.value.card, 2)
    assert (counted["wrong_signing_passwords"], "あと2回" in wrong.reason) == (3, True)
    # The right password signs and clears the count.
    signed = sign_with_card(counted, SIGNING_PASSWORD, b"document")
    certificate = decode_certificate(parse_card(card_json).signing_certificate, field="c", code="c")
    certificate.public_key().verify(signed.signature, b"document")  # type: ignore[call-arg]
    assert signed.card["wrong_signing_passwords"] == 0


def test_five_wrong_passwords_lock_the_signing_key_but_not_the_pin(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    counter_clerk: User,
) -> None:
    card_json = card_of(family.atena_numbers[0])
    locked, last = wrong_times(card_json, MAX_WRONG_SIGNING_PASSWORDS)
    assert last.code == "jukinet.cs.signing_locked"
    assert "窓口" in last.remedy
    with pytest.raises(DomainError) as refused:
        sign_with_card(locked, SIGNING_PASSWORD, b"document")
    assert refused.value.code == "jukinet.cs.signing_locked"
    # The 利用者証明用 PIN has its own count: 本人確認 still works.
    with federation.acting_as(SASEBO):
        check = cards.verify_with_card(actor=counter_clerk, purpose=PURPOSE, card_json=locked, pin=PIN)
    assert check.card_status == "active"
    # A tampered count beyond the lock is no card file at all.
    with pytest.raises(DomainError) as bad:
        parse_card({**locked, "wrong_signing_passwords": MAX_WRONG_SIGNING_PASSWORDS + 1})
    assert bad.value.code == "jukinet.cs.card"


def test_the_counter_resets_the_password_with_a_new_certified_key_and_revokes_the_old_one(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    counter_clerk: User,
) -> None:
    card_json = card_of(family.atena_numbers[0])
    old_serial = serial_of(card_json)
    locked, _ = wrong_times(card_json, MAX_WRONG_SIGNING_PASSWORDS)
    with federation.acting_as(SASEBO):
        # 本人確認 first: a wrong PIN stops the reset and nothing is re-issued.
        with pytest.raises(DomainError) as wrong_pin:
            reset_signing_password(
                actor=counter_clerk, purpose=PURPOSE, card_json=locked, pin="0000", new_password=NEW_PASSWORD
            )
        assert wrong_pin.value.code == "jukinet.cs.wrong_pin"
        assert not SigningCertificateRevocation.objects.exists()
        reset = reset_signing_password(
            actor=counter_clerk, purpose=PURPOSE, card_json=locked, pin=PIN, new_password=NEW_PASSWORD
        )
    renewed = reset.card
    assert (renewed["wrong_signing_passwords"], reset.signing_note) == (0, "")
    new_serial = serial_of(renewed)
    assert new_serial != old_serial
    stored = Card.objects.get(serial=renewed["card_serial"])
    assert stored.signing_serial == new_serial
    revocation = SigningCertificateRevocation.objects.get()
    assert (revocation.serial, revocation.reason) == (old_serial, "署名用パスワードの初期化")
    # The old password no longer opens the key; the new one signs an e-application that is accepted.
    with pytest.raises(WrongSigningPasswordError):
        sign_with_card(renewed, SIGNING_PASSWORD, b"document")
    assert apply(federation, application(renewed, password=NEW_PASSWORD)).accepted
    # The old card file's certificate is no longer the card's: refused by the 機構.
    refused = apply(federation, application(card_json))
    assert refused.refusal_code == "jukinet.national.e_application.unknown_card"
    # Audited at the CS (with the 本人確認) and at the 機構.
    reset_entries = AuditEntry.objects.filter(action="cs:card:signing_password_reset")
    assert list(reset_entries.values_list("outcome", flat=True)) == ["done"]
    assert AuditEntry.objects.filter(action="cs:card:verify", outcome="done").exists()
    issued = AuditEntry.objects.get(action="national:signing_certificate:issue")
    assert (issued.outcome, issued.subject_id) == ("done", new_serial)


@pytest.mark.parametrize("password", ["abc123", "ABCDEF", "123456", "AB12", "A1" * 9, "ＡＢＣ１２３"])
def test_a_password_outside_the_jpki_rule_is_refused_and_nothing_is_issued(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    counter_clerk: User,
    password: str,
) -> None:
    card_json = card_of(family.atena_numbers[0])
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as refused:
        reset_signing_password(
            actor=counter_clerk, purpose=PURPOSE, card_json=card_json, pin=PIN, new_password=password
        )
    assert (refused.value.field, refused.value.code) == ("signing_password", "jukinet.cs.signing_password")
    assert password not in str(refused.value)
    assert not AuditEntry.objects.filter(action="national:signing_certificate:issue").exists()
    code = current(family.atena_numbers[0]).juminhyo_code
    with federation.acting_as(SASEBO), pytest.raises(DomainError) as at_issue:
        cards.issue_card(
            actor=counter_clerk, purpose=PURPOSE, resident_code=code, pin=PIN, signing_password=password
        )
    assert at_issue.value.code == "jukinet.cs.signing_password"


def test_only_a_card_clerk_resets_the_password(
    federation: TestFederation,
    family: DraftRecorded,
    card_of: Callable[[str], dict[str, Any]],
    make_clerk: Callable[..., User],
) -> None:
    card_json = card_of(family.atena_numbers[0])
    checker = make_clerk("identity-only", Permission.CS_IDENTITY_CHECK)
    with federation.acting_as(SASEBO), pytest.raises(AccessRefused):
        reset_signing_password(
            actor=checker, purpose=PURPOSE, card_json=card_json, pin=PIN, new_password=NEW_PASSWORD
        )
    assert not SigningCertificateRevocation.objects.exists()


def test_a_card_issued_without_a_password_has_no_signing_certificate(
    federation: TestFederation, family: DraftRecorded, counter_clerk: User
) -> None:
    code = current(family.atena_numbers[0]).juminhyo_code
    with federation.acting_as(SASEBO):
        issued = cards.issue_card_file(actor=counter_clerk, purpose=PURPOSE, resident_code=code, pin=PIN)
    assert (issued.card["format"], issued.signing_note) == ("jumin-card/1", "")
    assert Card.objects.get(serial=issued.card["card_serial"]).signing_serial == ""
    with pytest.raises(DomainError) as none:
        sign_with_card(issued.card, SIGNING_PASSWORD, b"document")
    assert none.value.code == "jukinet.cs.no_signing_certificate"


# --- 15歳未満・生年月日不詳 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "issued_on", "refusal"),
    [
        ("20111124", date(2026, 11, 24), ""),  # the 15th birthday itself
        ("20111124", date(2026, 11, 23), UNDER_MINIMUM_AGE),  # the day before
        ("20120229", date(2027, 2, 28), UNDER_MINIMUM_AGE),  # 29 February: 15 only on 1 March
        ("20120229", date(2027, 3, 1), ""),
        ("19600101", date(2026, 11, 24), ""),
        ("00000000", date(2026, 11, 24), BIRTH_DATE_UNKNOWN),  # year unknown
        ("20110000", date(2026, 11, 24), BIRTH_DATE_UNKNOWN),  # might be born in December 2011
        ("20110000", date(2027, 1, 1), ""),  # 15 whatever the month
        ("20111100", date(2026, 11, 29), BIRTH_DATE_UNKNOWN),  # might be born on 30 November
        ("20111100", date(2026, 11, 30), ""),
        ("19800000", date(2026, 11, 24), ""),
    ],
)
def test_the_age_limit_on_the_issue_day(birth_date: str, issued_on: date, refusal: str) -> None:
    assert signing_refusal_for(birth_date, issued_on) == refusal


def test_a_child_under_15_gets_the_card_with_the_user_certificate_only_and_is_told_why(
    federation: TestFederation,
    clerk: User,
    reviewer: User,
    code_pool: list[str],
    counter_clerk: User,
    certifier: Any,
) -> None:
    move_in = family_move_in(
        members=[
            person(),
            person(given_name="二郎", given_name_kana="ジロウ", relationship="子", born=date(2020, 4, 1)),
        ]
    )
    with federation.acting_as(SASEBO):
        draft = record_move_in(actor=clerk, purpose=PURPOSE, move_in=move_in)
        commit_change(actor=reviewer, purpose=PURPOSE, change_id=draft.change_id)
    federation.pump()
    child_code = current(draft.atena_numbers[1]).juminhyo_code
    with federation.acting_as(SASEBO):
        issued = cards.issue_card_file(
            actor=counter_clerk,
            purpose=PURPOSE,
            resident_code=child_code,
            pin=PIN,
            signing_password=SIGNING_PASSWORD,
        )
    assert issued.card["format"] == "jumin-card/1"  # the 利用者証明用 key only
    assert issued.signing_note == REFUSAL_MESSAGES[UNDER_MINIMUM_AGE]
    assert "15歳未満" in issued.signing_note
    stored = Card.objects.get(serial=issued.card["card_serial"])
    assert (stored.status, stored.signing_serial, stored.signing_certificate) == ("active", "", "")
    entry = AuditEntry.objects.get(action="cs:card:issue")
    assert entry.reason == f"署名用電子証明書なし: {UNDER_MINIMUM_AGE}"
    # The counter cannot get round it either: the 機構 answers the same reason.
    with federation.acting_as(SASEBO):
        reset = reset_signing_password(
            actor=counter_clerk, purpose=PURPOSE, card_json=issued.card, pin=PIN, new_password=NEW_PASSWORD
        )
    assert (reset.card["format"], reset.signing_note) == ("jumin-card/1", REFUSAL_MESSAGES[UNDER_MINIMUM_AGE])


def test_an_unknown_birth_date_gets_no_signing_certificate_and_says_why(
    federation: TestFederation, family: DraftRecorded, counter_clerk: User
) -> None:
    code = current(family.atena_numbers[0]).juminhyo_code
    IdentityRecord.objects.filter(resident_code=code).update(birth_date="00000000")  # 不詳 at the 機構
    with federation.acting_as(SASEBO):
        issued = cards.issue_card_file(
            actor=counter_clerk,
            purpose=PURPOSE,
            resident_code=code,
            pin=PIN,
            signing_password=SIGNING_PASSWORD,
        )
    assert issued.card["format"] == "jumin-card/1"
    assert issued.signing_note == REFUSAL_MESSAGES[BIRTH_DATE_UNKNOWN]
    assert "生年月日が不詳" in issued.signing_note

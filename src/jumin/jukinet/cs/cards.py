"""Simulated 個人番号カード: 交付, 本人確認 with the card, and card events (system.md F12, F16).

A card is a JSON file (format ``jumin-card/2``; ``/1`` without the 署名用 items is still read) standing
in for the chip: the 住民票コード, the card serial, the 利用者証明用 Ed25519 public key and the private key
sealed with a key derived from the 4-digit PIN (scrypt + AES-GCM), and the 署名用 private key, sealed the
same way under the separate 署名用パスワード (6–16 英大文字・数字, ``signing_password``), with the
署名用電子証明書 the 機構 issued for it (jukinet.common.signing_certificate). The CS makes both key pairs at
交付 and sends both public keys to the national node (QUERY_CARD_ISSUE), which registers the first and
certifies the second (none under 15 or with an unknown birth date: the answer says why, and
``IssuedCard.signing_note`` words it). For 本人確認 the person types the PIN, the CS unlocks the key,
signs ``card_challenge`` with a fresh nonce and asks the national node (QUERY_VERIFY_CARD). Three
consecutive wrong PINs lock the card at the CS and report 一時停止 (CARD_EVENT "suspend").
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from jumin.accounts.permissions import Permission
from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.catalogue import CARD_EVENT, QUERY_CARD_ISSUE, QUERY_VERIFY_CARD
from jumin.jukinet.common.notice import IdentityNotice, notice_from_payload
from jumin.jukinet.common.queries import (
    CARD_EVENTS,
    SIGNING_REFUSAL,
    card_challenge,
    decode_b64url,
    encode_b64url,
    validate_card_event,
)
from jumin.jukinet.common.signing_certificate import decode_certificate
from jumin.jukinet.common.signing_issue import REFUSAL_MESSAGES
from jumin.jukinet.cs import access, card_sync, restriction_marks
from jumin.jukinet.cs.models import CardPinState, CsIdentity
from jumin.jukinet.cs.operators import operator_ids
from jumin.jukinet.cs.persons import person_ids
from jumin.jukinet.cs.search import FoundRecord, found_record
from jumin.jukinet.cs.services import NATIONAL, local_municipality_code, peer_configured
from jumin.messaging.services import enqueue, query

CARD_FORMAT = "jumin-card/1"
SIGNING_CARD_FORMAT = "jumin-card/2"
MAX_WRONG_PINS = 3
#: JPKI locks the 署名用 key after 5 consecutive wrong 署名用パスワード (the 利用者証明用 PIN after 3).
MAX_WRONG_SIGNING_PASSWORDS = 5
SCRYPT_N = 2**14
_PIN = re.compile(r"^\d{4}$")
_SIGNING_PASSWORD = re.compile(r"^(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*[0-9])[A-Z0-9]{6,16}$")
_SUBJECT_TYPE = "cs_card"
#: Card events an operator may report from the screen (継続利用 follows 特例転入, not built yet).
OPERATOR_EVENTS = ("suspend", "release", "abolish", "return", "collect")


def _bad(field: str, reason: str, remedy: str, code: str = "jukinet.cs.card") -> DomainError:
    return refusal(field, reason, remedy, code)


def _check_pin(pin: str) -> None:
    if not isinstance(pin, str) or not _PIN.match(pin):
        raise _bad("pin", "暗証番号は4桁の数字です。", "4桁の数字を入力してください。")


@sensitive_variables()
def _pin_key(pin: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=8, p=1).derive(pin.encode("ascii"))


@sensitive_variables()
def seal_key(private_key: Ed25519PrivateKey, pin: str, bound_to: str) -> dict[str, Any]:
    """The private key sealed under the PIN (the associated data binds it to the card)."""
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    sealed = AESGCM(_pin_key(pin, salt)).encrypt(nonce, raw, bound_to.encode("ascii"))
    return {
        "kdf": "scrypt",
        "n": SCRYPT_N,
        "r": 8,
        "p": 1,
        "salt": encode_b64url(salt),
        "nonce": encode_b64url(nonce),
        "ciphertext": encode_b64url(sealed),
    }


@dataclass(frozen=True)
class CardFile:
    """A parsed card file (``jumin-card/2`` adds the 署名用 key and its certificate)."""

    resident_code: str
    card_serial: str
    valid_until: str
    public_key: str
    sealed_key: dict[str, Any]
    #: The 署名用電子証明書 (DER, base64url) and its key sealed under the PIN; empty on a
    #: ``jumin-card/1`` card or when the holder declined the certificate.
    signing_certificate: str = ""
    sealed_signing_key: dict[str, Any] | None = None
    #: The chip's count of consecutive wrong 署名用パスワード (locked at 5; reset only at the counter).
    wrong_signing_passwords: int = 0

    def as_json(self) -> dict[str, Any]:
        """The file's JSON object."""
        data = {
            "format": CARD_FORMAT,
            "resident_code": self.resident_code,
            "card_serial": self.card_serial,
            "valid_until": self.valid_until,
            "public_key": self.public_key,
            "sealed_key": self.sealed_key,
            "wrong_pins": 0,
        }
        if self.signing_certificate and self.sealed_signing_key is not None:
            data |= {
                "format": SIGNING_CARD_FORMAT,
                "signing_certificate": self.signing_certificate,
                "sealed_signing_key": self.sealed_signing_key,
                "wrong_signing_passwords": self.wrong_signing_passwords,
            }
        return data


_CARD_KEYS = {
    "format",
    "resident_code",
    "card_serial",
    "valid_until",
    "public_key",
    "sealed_key",
    "wrong_pins",
}
_SIGNING_KEYS = {"signing_certificate", "sealed_signing_key"}
#: Written since the 署名用パスワード; an earlier ``jumin-card/2`` file without it counts 0.
_SIGNING_COUNTER = "wrong_signing_passwords"


def _sealed(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("kdf") != "scrypt" or value.get("n") != SCRYPT_N:
        raise ValueError
    for name in ("salt", "nonce", "ciphertext"):
        if not isinstance(value.get(name), str):
            raise ValueError
    return value


def parse_card(data: Any) -> CardFile:
    """A card file's JSON object → CardFile, or DomainError (never echoing the content)."""
    try:
        if not isinstance(data, dict):
            raise ValueError
        signing = data.get("format") == SIGNING_CARD_FORMAT
        expected = _CARD_KEYS | _SIGNING_KEYS | ({_SIGNING_COUNTER} & set(data)) if signing else _CARD_KEYS
        if set(data) != expected:
            raise ValueError
        wrong = data.get(_SIGNING_COUNTER, 0)
        if (
            not isinstance(wrong, int)
            or isinstance(wrong, bool)
            or not 0 <= wrong <= MAX_WRONG_SIGNING_PASSWORDS
        ):
            raise ValueError
        if data["format"] not in (CARD_FORMAT, SIGNING_CARD_FORMAT):
            raise ValueError
        card = CardFile(
            resident_code=str(data["resident_code"]),
            card_serial=str(data["card_serial"]),
            valid_until=str(data["valid_until"]),
            public_key=str(data["public_key"]),
            sealed_key=_sealed(data["sealed_key"]),
            signing_certificate=str(data["signing_certificate"]) if signing else "",
            sealed_signing_key=_sealed(data["sealed_signing_key"]) if signing else None,
            wrong_signing_passwords=wrong,
        )
        decode_b64url(card.public_key, length=32, field="public_key")
        if signing:
            decode_certificate(card.signing_certificate, field="card", code="jukinet.cs.card")
    except (ValueError, KeyError, DomainError):
        raise _bad(
            "card", "カードのファイルを読み取れません。", "正しいカード（jumin-card/1・2）を選んでください。"
        ) from None
    return card


def signing_bound_to(resident_code: str) -> str:
    """The associated data of the sealed 署名用 key: the card's code, labelled apart from the other key."""
    return f"{resident_code}|signing"


@sensitive_variables()
def _unsealed(sealed: dict[str, Any], pin: str, bound_to: str) -> Ed25519PrivateKey | None:
    try:
        salt = decode_b64url(sealed["salt"], length=16, field="card")
        nonce = decode_b64url(sealed["nonce"], length=12, field="card")
        ciphertext = decode_b64url(sealed["ciphertext"], length=48, field="card")
        raw = AESGCM(_pin_key(pin, salt)).decrypt(nonce, ciphertext, bound_to.encode("ascii"))
    except InvalidTag:
        return None
    except DomainError:
        raise _bad("card", "カードのファイルを読み取れません。", "正しいカードを選んでください。") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


@sensitive_variables()
def unlock(card: CardFile, pin: str) -> Ed25519PrivateKey | None:
    """The card's 利用者証明用 private key, or None for a wrong PIN."""
    return _unsealed(card.sealed_key, pin, card.resident_code)


@sensitive_variables()
def unlock_signing(card: CardFile, password: str) -> Ed25519PrivateKey | None:
    """The card's 署名用 private key, or None for a wrong 署名用パスワード or a card without one (the
    chip's counter and lock are ``signing_password.sign_with_card``'s)."""
    if card.sealed_signing_key is None or not isinstance(password, str) or not password.isascii():
        return None
    return _unsealed(card.sealed_signing_key, password, signing_bound_to(card.resident_code))


def check_signing_password(password: str) -> None:
    """The 署名用パスワード JPKI allows: 6–16 characters of upper-case letters and digits, both used."""
    if not isinstance(password, str) or not _SIGNING_PASSWORD.fullmatch(password):
        raise _bad(
            "signing_password",
            "署名用パスワードは英大文字と数字を組み合わせた6文字以上16文字以下です。",
            "英大文字（A–Z）と数字（0–9）をそれぞれ1文字以上含めて入力し直してください。",
            "jukinet.cs.signing_password",
        )


@dataclass(frozen=True)
class IssuedCard:
    """The card file handed over, and why it carries no 署名用電子証明書 ("" when it does or when the
    holder declined it): the Japanese sentence for the screen."""

    card: dict[str, Any]
    signing_note: str = ""


def signing_note(answer: dict[str, Any]) -> str:
    """The screen's sentence for an answer's ``signing_refusal`` ("" when there is none)."""
    return REFUSAL_MESSAGES.get(answer.get(SIGNING_REFUSAL, ""), "")


@sensitive_variables()
def issue_card(
    *, actor: Any, purpose: str, resident_code: str, pin: str, signing_password: str = ""
) -> dict[str, Any]:
    """交付: the card file (``issue_card_file``'s, without the note)."""
    return issue_card_file(
        actor=actor, purpose=purpose, resident_code=resident_code, pin=pin, signing_password=signing_password
    ).card


@sensitive_variables()
def issue_card_file(
    *, actor: Any, purpose: str, resident_code: str, pin: str, signing_password: str = ""
) -> IssuedCard:
    """交付: make the chip's key pairs, register them nationally, return the card file (F16 #3).

    Without a ``signing_password`` the holder declines the 署名用電子証明書: no 署名用 key is made."""
    access.require(
        actor=actor,
        permission=Permission.CS_CARD,
        action=AuditAction.CS_CARD_ISSUE,
        purpose=purpose,
        subject_type=_SUBJECT_TYPE,
    )
    _check_pin(pin)
    if signing_password:
        check_signing_password(signing_password)
    identity = CsIdentity.objects.filter(resident_code=resident_code.strip(), removed=False).first()
    if identity is None:
        raise _bad(
            "resident_code",
            "CSに現存する住民の住民票コードではありません。",
            "住民票コードを確認してください。",
        )
    operator_id, terminal_id = operator_ids(actor)
    private_key, signing_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signing_public = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    question = {
        "resident_code": identity.resident_code,
        "public_key": encode_b64url(public),
        "birth_date": identity.birth_date,
        "operator_id": operator_id,
        "terminal_id": terminal_id,
    }
    if signing_password:
        question["signing_public_key"] = encode_b64url(signing_public)
    answer = query(query_type=QUERY_CARD_ISSUE, receiver=NATIONAL, payload=question, actor=actor)
    # The 機構 issues none under 15, for an unknown birth date, or for a holder it has no 本人確認情報
    # of yet: the card then signs nothing.
    certified = bool(answer.get("signing_certificate"))
    card = CardFile(
        resident_code=identity.resident_code,
        card_serial=answer["card_serial"],
        valid_until=answer["valid_until"],
        public_key=encode_b64url(public),
        sealed_key=seal_key(private_key, pin, identity.resident_code),
        signing_certificate=answer.get("signing_certificate", ""),
        sealed_signing_key=seal_key(signing_key, signing_password, signing_bound_to(identity.resident_code))
        if certified
        else None,
    )
    note = signing_note(answer)
    with transaction.atomic():
        CardPinState.objects.update_or_create(
            card_serial=card.card_serial, defaults={"wrong_pins": 0, "locked_at": None}
        )
        # The registry learns of the 交付 through ``jumin cs card-sync`` (std 7.1.1.3-a).
        card_sync.record_cs_event(
            card.resident_code,
            "issued",
            source_ref=f"cs-issue-{card.card_serial}",
            expiry_date=date.fromisoformat(card.valid_until),
        )
        record_event(
            actor=actor,
            action=AuditAction.CS_CARD_ISSUE,
            subject_type=_SUBJECT_TYPE,
            subject_id=card.card_serial,
            purpose=purpose,
            reason=f"署名用電子証明書なし: {answer[SIGNING_REFUSAL]}" if note else "",
            concerning=person_ids([card.resident_code]),
        )
    return IssuedCard(card=card.as_json(), signing_note=note)


@dataclass(frozen=True)
class CardCheck:
    """The national node's answer to a 本人確認 with the card."""

    card_serial: str
    card_status: str
    valid_until: str
    record: FoundRecord | None
    # The holder's current 住民票コード and the registering municipality of the national record ("" if
    # none): what 広域交付 and 特例転入 route by, never shown unmasked on a screen. After a 住民票コードの
    # 変更 the card still carries the former code; the national record names the current one.
    resident_code: str = ""
    municipality_code: str = ""


def _refuse(actor: Any, purpose: str, card: CardFile, reason_code: str) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_CARD_VERIFY,
            subject_type=_SUBJECT_TYPE,
            subject_id=card.card_serial,
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason=reason_code,
            concerning=person_ids([card.resident_code]),
        )


def _wrong_pin(actor: Any, purpose: str, card: CardFile) -> DomainError:
    """Count a wrong PIN (its own transaction, so it survives); the third locks and suspends."""
    operator_id, terminal_id = operator_ids(actor)
    with transaction.atomic():
        state, _ = CardPinState.objects.select_for_update().get_or_create(card_serial=card.card_serial)
        state.wrong_pins += 1
        locked = state.wrong_pins >= MAX_WRONG_PINS
        if locked:
            state.locked_at = timezone.now()
        if locked and peer_configured(NATIONAL):
            enqueue_card_event(
                card.card_serial,
                card.resident_code,
                "suspend",
                "暗証番号の連続誤り",
                operator_id,
                terminal_id,
                actor,
            )
        state.save(update_fields=["wrong_pins", "locked_at"])
        record_event(
            actor=actor,
            action=AuditAction.CS_CARD_VERIFY,
            subject_type=_SUBJECT_TYPE,
            subject_id=card.card_serial,
            purpose=purpose,
            outcome=Outcome.REFUSED,
            outcome_reason="pin_locked" if locked else "wrong_pin",
            concerning=person_ids([card.resident_code]),
        )
    if locked:
        return _bad(
            "pin",
            "暗証番号を3回続けて誤ったため、カードをロックし一時停止しました。",
            "暗証番号の再設定を案内してください。",
            "jukinet.cs.card_locked",
        )
    left = MAX_WRONG_PINS - state.wrong_pins
    return _bad(
        "pin",
        f"暗証番号が違います（あと{left}回でロックされます）。",
        "本人に暗証番号を入力し直してもらってください。",
        "jukinet.cs.wrong_pin",
    )


def holder_code(card: CardFile, record: IdentityNotice | None) -> str:
    """The card holder's current 住民票コード: the one of the record the national node answered with.

    The national node found that record through the card (its current code, or a former one kept in
    the card's ``code_change`` events after a 住民票コードの変更), so a card issued before the change
    routes to the person under the new code. Without a record, the code the card carries.
    """
    return record.resident_code if record is not None and record.resident_code else card.resident_code


@sensitive_variables()
def verify_with_card(*, actor: Any, purpose: str, card_json: Any, pin: str) -> CardCheck:
    """本人確認 (F12 steps 2–3): unlock the card with the PIN, sign a fresh challenge, ask the national."""
    access.require(
        actor=actor,
        permission=Permission.CS_IDENTITY_CHECK,
        action=AuditAction.CS_CARD_VERIFY,
        purpose=purpose,
        subject_type=_SUBJECT_TYPE,
    )
    card = parse_card(card_json)
    _check_pin(pin)
    state = CardPinState.objects.filter(card_serial=card.card_serial).first()
    if state is not None and state.locked_at is not None:
        _refuse(actor, purpose, card, "pin_locked")
        raise _bad(
            "card",
            "このカードは暗証番号の連続誤りでロックされています。",
            "暗証番号の再設定を案内してください。",
            "jukinet.cs.card_locked",
        )
    key = unlock(card, pin)
    if key is None:
        raise _wrong_pin(actor, purpose, card)
    if state is not None and state.wrong_pins:
        CardPinState.objects.filter(pk=state.pk).update(wrong_pins=0)
    nonce = secrets.token_hex(16)
    signed_at = timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    signature = key.sign(card_challenge(card.resident_code, card.card_serial, nonce, signed_at))
    operator_id, terminal_id = operator_ids(actor)
    try:
        answer = query(
            query_type=QUERY_VERIFY_CARD,
            receiver=NATIONAL,
            payload={
                "resident_code": card.resident_code,
                "card_serial": card.card_serial,
                "nonce": nonce,
                "signed_at": signed_at,
                "signature": encode_b64url(signature),
                "operator_id": operator_id,
                "terminal_id": terminal_id,
            },
            actor=actor,
        )
    except DomainError as error:
        _refuse(actor, purpose, card, error.code[:100])
        raise
    visible = access.visible_items(actor)
    record = notice_from_payload(answer["record"]) if answer["record"] else None
    holder = holder_code(card, record)
    shown = None
    if record is not None:
        restricted = bool(restriction_marks.marked_codes([record.resident_code]))
        shown = found_record(record, visible=visible, single=True, restricted=restricted)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CS_CARD_VERIFY,
            subject_type=_SUBJECT_TYPE,
            subject_id=card.card_serial,
            purpose=purpose,
            individual_number_used=shown is not None
            and bool(shown.individual_number)
            and Permission.FIELD_INDIVIDUAL_NUMBER_VIEW in visible,
            result_count=1 if record is not None else 0,
            concerning=person_ids([holder]),
        )
    return CardCheck(
        card_serial=card.card_serial,
        card_status=answer["card_status"],
        valid_until=answer["valid_until"],
        record=shown,
        resident_code=holder,
        municipality_code=record.municipality_code if record else "",
    )


def enqueue_card_event(
    serial: str,
    resident_code: str,
    event: str,
    reason: str,
    operator_id: str,
    terminal_id: str,
    actor: Any,
    *,
    event_date: date | None = None,
) -> str:
    """Queue one card event for N4 (ordered per card, subject ``card-<serial>``) in the caller's
    transaction; ``event_date`` is the day it happened (default today: one sent later keeps its day)."""
    payload = {
        "card_serial": serial,
        "resident_code": resident_code,
        "event": event,
        "event_date": (event_date or timezone.localdate()).isoformat(),
        "municipality_code": local_municipality_code(),
        "reason": reason[:100],
        "operator_id": operator_id,
        "terminal_id": terminal_id,
    }
    validate_card_event(payload)
    row = enqueue(
        message_type=CARD_EVENT, receiver=NATIONAL, subject=f"card-{serial}", payload=payload, actor=actor
    )
    # Kept for the registry too (std 7.1.1.3-a); 継続利用 changes no status there.
    card_sync.record_cs_event(resident_code, event, source_ref=f"cs-{row.message_id}", reason=reason)
    return str(row.message_id)


def send_card_event(
    *, actor: Any, purpose: str, card_serial: str, resident_code: str, event: str, reason: str = ""
) -> str:
    """Report a card event to 個人番号カード管理システム (F16): 一時停止, 解除, 廃止, 返還, 回収."""
    access.require(
        actor=actor,
        permission=Permission.CS_CARD,
        action=AuditAction.CS_CARD_EVENT,
        purpose=purpose,
        subject_type=_SUBJECT_TYPE,
    )
    if event not in OPERATOR_EVENTS or event not in CARD_EVENTS:
        raise _bad(
            "event",
            "カード事象の種類が不正です。",
            "一時停止・解除・廃止・返還・回収のいずれかを選んでください。",
        )
    operator_id, terminal_id = operator_ids(actor)
    with transaction.atomic():
        message_id = enqueue_card_event(
            card_serial.strip(), resident_code.strip(), event, reason, operator_id, terminal_id, actor
        )
        if event == "release":
            CardPinState.objects.filter(card_serial=card_serial.strip()).update(wrong_pins=0, locked_at=None)
        record_event(
            actor=actor,
            action=AuditAction.CS_CARD_EVENT,
            subject_type=_SUBJECT_TYPE,
            subject_id=card_serial.strip()[:64],
            purpose=purpose,
            reason=event,
            concerning=person_ids([resident_code]),
        )
    return message_id

"""個人番号カード管理システム (system.md N4, F16): issue, lifecycle events, 本人確認 and expiry.

A card is registered at 交付 with the 利用者証明用 public key the CS generated on it. 本人確認 checks
that the card signed a fresh challenge (``common.queries.card_challenge``) with that key. Every
refusal has its own code and is audited here.
"""

from __future__ import annotations

import logging
import secrets
import string
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone

from jumin.accounts.clock import today
from jumin.audit.actions import AuditAction, Outcome
from jumin.domain.errors import DomainError, refusal
from jumin.domain.uncertain_dates import age_in_years
from jumin.jukinet.common.catalogue import CARD_STATUS_NOTICE
from jumin.jukinet.common.queries import (
    PUBLIC_KEY_BYTES,
    SIGNATURE_BYTES,
    card_challenge,
    decode_b64url,
    parse_signed_at,
)
from jumin.jukinet.national.models import Card, CardEvent, IdentityRecord, UsedNonce
from jumin.jukinet.national.services import jpki, shared_cs
from jumin.jukinet.national.services._common import add_years, audit
from jumin.jukinet.national.services.card_codes import known_by
from jumin.jukinet.national.services.identity import notice_payload
from jumin.messaging import conf
from jumin.messaging import services as messaging
from jumin.messaging.envelope import Envelope, EnvelopeRefused, NodeRef
from jumin.messaging.identity import IdentityError

logger = logging.getLogger("jumin.jukinet.national")

SUBJECT_TYPE = "national_card"
SERIAL_ALPHABET = string.digits + string.ascii_uppercase
ADULT_VALIDITY_YEARS = 10
MINOR_VALIDITY_YEARS = 5
ADULT_AGE = 18
#: A card signature older or newer than this is refused as stale.
SIGNATURE_WINDOW = timedelta(minutes=5)

S = Card.Status
#: Allowed transitions: (status, event) → new status. Anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.ACTIVE, "suspend"): S.SUSPENDED,
    (S.ACTIVE, "abolish"): S.ABOLISHED,
    (S.ACTIVE, "return"): S.RETURNED,
    (S.ACTIVE, "collect"): S.COLLECTED,
    (S.ACTIVE, "continue_use"): S.ACTIVE,
    (S.SUSPENDED, "release"): S.ACTIVE,
    (S.SUSPENDED, "abolish"): S.ABOLISHED,
    (S.SUSPENDED, "return"): S.RETURNED,
    (S.SUSPENDED, "collect"): S.COLLECTED,
    (S.ABOLISHED, "return"): S.RETURNED,
    (S.ABOLISHED, "collect"): S.COLLECTED,
    (S.EXPIRED, "return"): S.RETURNED,
    (S.EXPIRED, "collect"): S.COLLECTED,
}


#: A card that ends so takes its 署名用電子証明書 with it (JPKI revokes it).
_ENDED = (S.ABOLISHED, S.RETURNED, S.COLLECTED)


def _card_refusal(field: str, reason: str, remedy: str, code: str) -> DomainError:
    return refusal(field, reason, remedy, f"jukinet.card.{code}")


# --- 交付: registering a card ----------------------------------------------------------------------


def _age_on(birth_date: str, day: date) -> int | None:
    """Age in whole years on ``day`` from a YYYYMMDD birth date; unknown month/day count as 1 January."""
    year, month, dom = int(birth_date[:4]), int(birth_date[4:6]), int(birth_date[6:])
    if year == 0:
        return None
    born = date(year, month or 1, dom or 1)
    # A birth date after the issue day (never valid) counts as age 0: the minor's shorter validity.
    return age_in_years(born, day) if born <= day else 0


def valid_until_for(birth_date: str, issued_on: date) -> date:
    """Card expiry: 10 years from issue, 5 years for a person under 18 on the day of issue.

    The last valid day is the day before the anniversary of the issue date.
    """
    age = _age_on(birth_date, issued_on)
    years = MINOR_VALIDITY_YEARS if age is not None and age < ADULT_AGE else ADULT_VALIDITY_YEARS
    return add_years(issued_on, years) - timedelta(days=1)


def _new_serial() -> str:
    while True:
        serial = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(12))
        if not Card.objects.filter(serial=serial).exists():
            return serial


def _event(card: Card | None, serial: str, event: str, before: str, after: str, **fields: Any) -> CardEvent:
    return CardEvent.objects.create(
        card=card,
        card_serial=serial,
        event=event,
        status_before=before,
        status_after=after,
        recorded_at=timezone.now(),
        **fields,
    )


def issue_card(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_CARD_ISSUE: register the card and its key; earlier live cards are abolished."""
    payload = envelope.payload  # validated by messaging before the answerer runs
    if envelope.sender.kind != "municipality":
        raise _card_refusal(
            "sender",
            "カードの交付は市町村CSからだけ登録できます。",
            "市町村CSから登録してください。",
            "sender",
        )
    decode_b64url(payload["public_key"], length=PUBLIC_KEY_BYTES, field="public_key")
    issued_on = today()
    common = {
        "event_date": issued_on,
        "municipality_code": envelope.sender.code,
        "operator_id": payload["operator_id"],
        "terminal_id": payload["terminal_id"],
        "sender_code": envelope.sender.code,
        "message_id": envelope.id,
        "outcome": CardEvent.Outcome.APPLIED,
    }
    # 再交付: a card still live for the same person is abolished, so one person has one usable card.
    for old in Card.objects.select_for_update().filter(
        resident_code=payload["resident_code"], status__in=(S.ACTIVE, S.SUSPENDED)
    ):
        _event(old, old.serial, "abolish", old.status, S.ABOLISHED, reason="再交付", **common)
        old.status = S.ABOLISHED
        old.save(update_fields=["status"])
        jpki.revoke(old, "再交付")
    card = Card(
        serial=_new_serial(),
        resident_code=payload["resident_code"],
        public_key=payload["public_key"],
        status=S.ACTIVE,
        issued_on=issued_on,
        valid_until=valid_until_for(payload["birth_date"], issued_on),
        issued_by=envelope.sender.code,
    )
    signing_refusal = jpki.attach_signing_certificate(
        card, payload.get("signing_public_key", ""), timezone.now()
    )
    card.save()
    _event(card, card.serial, "issue", "", S.ACTIVE, reason="交付", **common)
    audit(
        AuditAction.NATIONAL_CARD_ISSUE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(card.pk),
        reason=f"from {envelope.sender} operator {payload['operator_id']}",
        terminal_id=payload["terminal_id"],
        concerning_code=card.resident_code,
    )
    answer = {
        "card_serial": card.serial,
        "valid_until": card.valid_until.isoformat(),
        "signing_certificate": card.signing_certificate,
    }
    # Why JPKI issued no 署名用電子証明書 (15歳未満, 生年月日不詳): the CS shows it at 交付.
    return answer | ({"signing_refusal": signing_refusal} if signing_refusal else {})


# --- CARD_EVENT -----------------------------------------------------------------------------------


def _event_refusal_code(card: Card | None, payload: dict[str, Any], sender: Any) -> str:
    if not shared_cs.may_act_for(sender, payload["municipality_code"]):
        return "jukinet.card.sender"
    if card is None or not known_by(card, payload["resident_code"]):
        return "jukinet.card.unknown"
    if (card.status, payload["event"]) not in TRANSITIONS:
        return "jukinet.card.illegal_transition"
    return ""


def apply_card_event(envelope: Envelope) -> None:
    """Handler of CARD_EVENT: apply the transition, or record and audit the refusal (never raises).

    A refused event is kept in the card's history with its refusal code and logged as an ALERT; the
    message itself counts as handled, so later events of the card are not held behind it.
    """
    payload = envelope.payload  # validated by messaging before the handler runs
    if CardEvent.objects.filter(message_id=envelope.id).exists():
        return  # replayed after a restore: already recorded
    card = Card.objects.select_for_update().filter(serial=payload["card_serial"]).first()
    code = _event_refusal_code(card, payload, envelope.sender)
    before = card.status if card is not None else ""
    after = "" if code else TRANSITIONS[(before, payload["event"])]
    _event(
        card if card is not None and known_by(card, payload["resident_code"]) else None,
        payload["card_serial"],
        payload["event"],
        before,
        after,
        event_date=date.fromisoformat(payload["event_date"]),
        outcome=CardEvent.Outcome.REFUSED if code else CardEvent.Outcome.APPLIED,
        refusal_code=code,
        municipality_code=payload["municipality_code"],
        reason=payload["reason"],
        operator_id=payload["operator_id"],
        terminal_id=payload["terminal_id"],
        sender_code=envelope.sender.code,
        message_id=envelope.id,
    )
    if not code and card is not None:
        card.status = after
        card.save(update_fields=["status"])
        if after in _ENDED:
            jpki.revoke(card, f"カードの{S(after).label}")
    audit(
        AuditAction.NATIONAL_CARD_EVENT_RECORD,
        subject_type=SUBJECT_TYPE,
        subject_id=str(card.pk) if card is not None else envelope.id,
        reason=f"{payload['event']} from {envelope.sender} operator {payload['operator_id']}",
        outcome=Outcome.REFUSED if code else Outcome.DONE,
        outcome_reason=code,
        terminal_id=payload["terminal_id"],
        concerning_code=payload["resident_code"],
    )
    if code:
        logger.error("ALERT card event %s refused: %s", envelope.id, code)


# --- 本人確認 ---------------------------------------------------------------------------------------

UNKNOWN = ("card_serial", "登録されていないカードです。", "カードを確認してください。", "unknown")
SUSPENDED = (
    "card_serial",
    "一時停止中のカードです。",
    "一時停止を解除してから利用してください。",
    "suspended",
)
NOT_ACTIVE = (
    "card_serial",
    "運用中でないカードです（廃止・返還・回収・期限切れ）。",
    "新しいカードを交付してください。",
    "not_active",
)
EXPIRED = ("card_serial", "有効期限を過ぎたカードです。", "カードを更新してください。", "expired")
REVOKED = (
    "card_serial",
    "カードの利用者証明用電子証明書は失効しています（失効申請）。",
    "窓口で利用者証明用電子証明書の発行を申請してもらってください。",
    "user_certificate_revoked",
)
STALE = (
    "signed_at",
    "署名日時が現在時刻から5分以上ずれています。",
    "新しいチャレンジで署名し直してください。",
    "stale",
)
FORGED = ("signature", "カードの署名を検証できません。", "カードを読み取り直してください。", "forged")
REPLAY = ("nonce", "使用済みのチャレンジです。", "新しいチャレンジで署名し直してください。", "replay")


def _verify_or_refuse(payload: dict[str, Any], now: Any) -> Card:
    card = Card.objects.filter(serial=payload["card_serial"]).first()
    # A card issued before a 住民票コードの変更 still carries (and signs) its former code.
    if card is None or not known_by(card, payload["resident_code"]):
        raise _card_refusal(*UNKNOWN)
    if card.status == S.SUSPENDED:
        raise _card_refusal(*SUSPENDED)
    if card.status != S.ACTIVE:
        raise _card_refusal(*NOT_ACTIVE)
    if card.valid_until < timezone.localdate(now):
        raise _card_refusal(*EXPIRED)
    if jpki.user_certificate_revoked(card):
        raise _card_refusal(*REVOKED)
    if abs(now - parse_signed_at(payload["signed_at"])) > SIGNATURE_WINDOW:
        raise _card_refusal(*STALE)
    key = Ed25519PublicKey.from_public_bytes(
        decode_b64url(card.public_key, length=PUBLIC_KEY_BYTES, field="public_key")
    )
    challenge = card_challenge(
        payload["resident_code"], payload["card_serial"], payload["nonce"], payload["signed_at"]
    )
    try:
        key.verify(decode_b64url(payload["signature"], length=SIGNATURE_BYTES, field="signature"), challenge)
    except InvalidSignature:
        raise _card_refusal(*FORGED) from None
    try:
        with transaction.atomic():
            UsedNonce.objects.create(nonce=payload["nonce"], card_serial=card.serial, used_at=now)
    except IntegrityError:
        raise _card_refusal(*REPLAY) from None
    return card


def verify_card(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_VERIFY_CARD: the card is known, active, in date, freshly and truly signed."""
    payload = envelope.payload  # validated by messaging before the answerer runs
    now = timezone.now()
    context = f"from {envelope.sender} operator {payload['operator_id']}"
    try:
        card = _verify_or_refuse(payload, now)
    except DomainError as error:
        # The refusal rolls back this answerer's savepoint; messaging audits it at this node as
        # node:query:answer with this code (docs/jukinet-national.md, "Refusals").
        logger.warning("card verification %s refused: %s", envelope.id, error.code)
        raise
    record = IdentityRecord.objects.filter(resident_code=card.resident_code).first()
    audit(
        AuditAction.NATIONAL_CARD_VERIFY,
        subject_type=SUBJECT_TYPE,
        subject_id=str(card.pk),
        reason=context,
        terminal_id=payload["terminal_id"],
        individual_number_used=record is not None,
        result_count=int(record is not None),
        concerning_code=card.resident_code,
    )
    return {
        "result": "valid",
        "card_status": card.status,
        "valid_until": card.valid_until.isoformat(),
        "record": notice_payload(record) if record is not None else None,
    }


# --- expiry -------------------------------------------------------------------------------------


def expire_cards(*, on: date | None = None) -> int:
    """Mark live cards whose expiry has passed as expired (history and audit); returns the count."""
    day = on or today()
    with transaction.atomic():
        due = list(
            Card.objects.select_for_update().filter(status__in=(S.ACTIVE, S.SUSPENDED), valid_until__lt=day)
        )
        for card in due:
            _event(
                card,
                card.serial,
                "expire",
                card.status,
                S.EXPIRED,
                event_date=day,
                outcome=CardEvent.Outcome.APPLIED,
                municipality_code=card.issued_by,
                reason="有効期限切れ",
                operator_id="system",
                terminal_id="system",
                sender_code="00",
            )
        Card.objects.filter(pk__in=[card.pk for card in due]).update(status=S.EXPIRED)
        for card in due:
            notify_issuing_cs(card, "expire", day, "有効期限切れ")
        audit(
            AuditAction.NATIONAL_CARD_EXPIRE,
            subject_type=SUBJECT_TYPE,
            subject_id="expire",
            reason=f"expired {len(due)} cards before {day:%Y-%m-%d}",
            result_count=len(due),
        )
    return len(due)


def notify_issuing_cs(card: Card, event: str, day: date, reason: str) -> bool:
    """Tell the card's issuing CS of a status change made here (CARD_STATUS_NOTICE, ordered per card,
    in the caller's transaction) so its registry records it (std 7.1.1.3-a); False when that CS is not
    a peer of this node (nothing is sent)."""
    try:
        receiver = NodeRef("municipality", card.issued_by)
        if conf.local_node().peer(receiver) is None:
            return False
    except (EnvelopeRefused, IdentityError, OSError, ValueError):
        return False
    messaging.enqueue(
        message_type=CARD_STATUS_NOTICE,
        receiver=receiver,
        subject=f"card-{card.serial}",
        payload={
            "card_serial": card.serial,
            "resident_code": card.resident_code,
            "event": event,
            "event_date": day.isoformat(),
            "reason": reason,
        },
    )
    return True


def purge_used_nonces(*, now: datetime | None = None) -> int:
    """Delete used nonces older than twice ``SIGNATURE_WINDOW`` (daily job); returns the count.

    A nonce was used within the window of its ``signed_at``, so a replay later than twice the window
    after that use is refused as stale before its nonce is looked at: the row is no longer needed.
    """
    now = now or timezone.now()
    deleted, _ = UsedNonce.objects.filter(used_at__lt=now - 2 * SIGNATURE_WINDOW).delete()
    if deleted:
        logger.info("used card nonces purged: %d", deleted)
    return deleted

"""The 機構's JPKI 署名用電子証明書: its CA, issue at 交付, 失効情報 and status (std 7.2.5-a).

The CA key is the national node's own file ``jpki-ca-ed25519.pem`` in its node directory (0600, created
on first use, never in a database); the CA certificate is derived from it
(``signing_certificate.authority_certificate``). At 交付 (``cards.issue_card``) the card's 署名用 public
key gets a certificate with the holder's 4情報 as the 機構保存本人確認情報 holds them; the card keeps it.

A certificate is revoked (``revoke``: one insert-only ``SigningCertificateRevocation`` row, audited)
when its card ends — 廃止, 返還, 回収, 再交付 (the CS's CARD_EVENT or QUERY_CARD_ISSUE) — or when the
機構 stores a 本人確認情報 update that changes the holder's 4情報 or removes them (JPKI revokes the 署名用
certificate on any change of 氏名, 生年月日, 性別 or 住所). ``status_of`` answers good / revoked / unknown.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from django.utils import timezone

from jumin.audit.actions import AuditAction
from jumin.jukinet.common.certificate_serial import serial_of
from jumin.jukinet.common.queries import PUBLIC_KEY_BYTES, decode_b64url
from jumin.jukinet.common.signing_certificate import (
    GOOD,
    REVOKED,
    UNKNOWN,
    FourItems,
    authority_certificate,
    encode_certificate,
    issue_certificate,
    last_valid_day,
    new_serial,
)
from jumin.jukinet.common.signing_issue import signing_refusal_for
from jumin.jukinet.national.models import Card, IdentityRecord, SigningCertificateRevocation
from jumin.jukinet.national.services._common import audit
from jumin.messaging import conf

KEY_FILE = "jpki-ca-ed25519.pem"
SUBJECT_TYPE = "national_signing_certificate"
_lock = threading.Lock()
_keys: dict[Path, Ed25519PrivateKey] = {}


def _create_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another process made it first: keep theirs
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


def authority_key() -> Ed25519PrivateKey:
    """The 機構's JPKI CA key from this node's directory (created on first use)."""
    path = conf.local_node().files.root / KEY_FILE
    with _lock:
        key = _keys.get(path)
        if key is None:
            if not path.exists():
                _create_key(path)
            loaded = load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path} is not an Ed25519 key")
            key = _keys[path] = loaded
    return key


def authority() -> x509.Certificate:
    """The 機構's JPKI CA certificate (the trust anchor of every 署名用電子証明書)."""
    return authority_certificate(authority_key())


def holder_items(record: IdentityRecord) -> FourItems:
    """The 4情報 as the 機構保存本人確認情報 holds them (what the certificate carries)."""
    return FourItems(
        name=str(record.notice.get("name", "")),
        birth_date=record.birth_date,
        sex=record.sex,
        address=record.address,
    )


def attach_signing_certificate(card: Card, signing_public_key: str, now: datetime) -> str:
    """Issue the card's 署名用電子証明書 (before the card is saved). Returns "" when issued or when
    none was asked for (no key sent, or no current 機構保存本人確認情報 whose 4情報 could go into it),
    else why JPKI issues none (``signing_issue.signing_refusal_for``: under 15, 生年月日不詳)."""
    record = IdentityRecord.objects.filter(resident_code=card.resident_code, removed=False).first()
    if not signing_public_key or record is None:
        return ""
    refused = signing_refusal_for(record.birth_date, card.issued_on)
    if refused:
        return refused
    raw = decode_b64url(signing_public_key, length=PUBLIC_KEY_BYTES, field="signing_public_key")
    serial = new_serial()
    while Card.objects.filter(signing_serial=serial).exists():
        serial = new_serial()
    valid_until = last_valid_day(record.birth_date, card.issued_on, card.valid_until)
    certificate = issue_certificate(
        authority_key=authority_key(),
        public_key=Ed25519PublicKey.from_public_bytes(raw),
        serial=serial,
        holder=holder_items(record),
        valid_from=now,
        valid_until=valid_until,
    )
    card.signing_public_key = signing_public_key
    card.signing_serial = serial
    card.signing_certificate = encode_certificate(certificate)
    card.signing_valid_until = valid_until
    return ""


def status_of(card: Card, serial: str) -> str:
    """The 機構's status of the 署名用電子証明書 ``serial`` of ``card``: good, revoked or unknown."""
    # A certificate replaced on the card (署名用パスワードの初期化) was revoked first: still "revoked".
    if SigningCertificateRevocation.objects.filter(serial=serial, card=card).exists():
        return REVOKED
    if not card.signing_serial or card.signing_serial != serial:
        return UNKNOWN
    return GOOD


def revoke(card: Card, reason: str) -> bool:
    """Revoke the card's 署名用電子証明書 (in the caller's transaction); False when it has none or it
    is already revoked."""
    if (
        not card.signing_serial
        or SigningCertificateRevocation.objects.filter(serial=card.signing_serial).exists()
    ):
        return False
    row = SigningCertificateRevocation.objects.create(
        serial=card.signing_serial, card=card, revoked_at=timezone.now(), reason=reason[:100]
    )
    audit(
        AuditAction.NATIONAL_SIGNING_CERTIFICATE_REVOKE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(row.pk),
        reason=reason,
        concerning_code=card.resident_code,
    )
    return True


def change_reason(before: FourItems | None, after: FourItems | None) -> str:
    """Why a stored 本人確認情報 update revokes the holder's 署名用電子証明書, or "" when it does not:
    the person is removed (``after`` None) or one of the 4情報 changed."""
    if before is None:
        return ""
    if after is None:
        return "住民票の消除"
    return "基本4情報の変更" if before.differing(after) else ""


def notice_items(notice: Any) -> FourItems | None:
    """The 4情報 a stored notice leaves at the 機構 (None for a removal)."""
    if notice.removed:
        return None
    return FourItems(name=notice.name, birth_date=notice.birth_date, sex=notice.sex, address=notice.address)


def revoke_on_changes(reasons: dict[str, str]) -> int:
    """Revoke every unrevoked 署名用電子証明書 of the persons in ``reasons`` (住民票コード → reason, as
    ``change_reason`` gives it), in one read; returns how many were revoked."""
    codes = [code for code, reason in reasons.items() if reason]
    if not codes:
        return 0
    # ``revoke`` skips one already revoked (a card may hold a revoked 利用者証明用 certificate only).
    cards = Card.objects.filter(resident_code__in=codes).exclude(signing_serial="")
    return sum(revoke(card, reasons[card.resident_code]) for card in cards)


def revoke_user_certificate(card: Card, reason: str) -> bool:
    """Revoke the card's 利用者証明用 certificate (失効申請; in the caller's transaction); False when it
    is already revoked. The card then passes neither 本人確認 nor the kiosk."""
    serial = serial_of(card.public_key)
    if SigningCertificateRevocation.objects.filter(serial=serial).exists():
        return False
    row = SigningCertificateRevocation.objects.create(
        serial=serial,
        certificate=SigningCertificateRevocation.Certificate.USER,
        card=card,
        revoked_at=timezone.now(),
        reason=reason[:100],
    )
    audit(
        AuditAction.NATIONAL_SIGNING_CERTIFICATE_REVOKE,
        subject_type=SUBJECT_TYPE,
        subject_id=str(row.pk),
        reason=f"利用者証明用: {reason}",
        concerning_code=card.resident_code,
    )
    return True


def user_certificate_revoked(card: Card) -> bool:
    """Whether the card's 利用者証明用 certificate is in the 機構's 失効情報."""
    return SigningCertificateRevocation.objects.filter(card=card, serial=serial_of(card.public_key)).exists()


#: How long a published CRL is current (its nextUpdate): the municipality fetches it daily.
CRL_PERIOD = timedelta(days=1)


def revocation_list(now: datetime) -> x509.CertificateRevocationList:
    """The 機構's 失効リスト of 署名用電子証明書: an X.509 CRL signed by the JPKI CA key, every revoked
    serial with its revocation time."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(authority().subject)
        .last_update(now.replace(microsecond=0))
        .next_update((now + CRL_PERIOD).replace(microsecond=0))
    )
    rows = SigningCertificateRevocation.objects.filter(
        certificate=SigningCertificateRevocation.Certificate.SIGNING
    ).values_list("serial", "revoked_at")
    for serial, revoked_at in rows.iterator():
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(int(serial, 16))
            .revocation_date(revoked_at.replace(microsecond=0))
            .build()
        )
    return builder.sign(authority_key(), None)

"""JPKI 署名用電子証明書 of the simulated 個人番号カード (std 7.2.5-a, 1.1.1-c). Pure Python.

The card carries two key pairs, as JPKI's does: the 利用者証明用 key (log-in: 本人確認, コンビニ交付; no
certificate here, its serial is ``certificate_serial.serial_of``) and the 署名用 key, whose X.509
certificate the 機構 (J-LIS, the national node) issues at 交付 with the holder's 4情報 — 氏名, 生年月日,
性別, 住所 — as the 機構 holds them. Documents (e-applications) are signed with the 署名用 key; whoever
relies on the signature checks that the certificate was issued by the 機構's CA, was valid when the
document was signed and is not revoked (失効), and that its 4情報 are still the register's: JPKI revokes
the certificate when any of them changes.

The 4情報 are ``otherName`` entries of the subjectAltName under JPKI's arc 1.2.392.200149.8.5.5 (氏名 .1,
性別 .3, 生年月日 .4, 住所 .5), each a UTF8String. The encodings of the values (生年月日 YYYYMMDD, 性別
1/2) are Jumin's assumption: the seeds give no certificate profile.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from jumin.domain.errors import DomainError, refusal

#: JPKI's arc for the 4情報 in the 署名用電子証明書's subjectAltName.
NAME_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.5.1")
SEX_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.5.3")
BIRTH_DATE_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.5.4")
ADDRESS_OID = x509.ObjectIdentifier("1.2.392.200149.8.5.5.5")
#: The revocation status the 機構 answers for a certificate (its 失効情報).
GOOD, REVOKED, UNKNOWN = "good", "revoked", "unknown"
STATUSES = (GOOD, REVOKED, UNKNOWN)
#: A 署名用電子証明書 is valid until the holder's 5th birthday after issue (never beyond the card).
VALIDITY_BIRTHDAYS = 5
#: The largest DER certificate a payload may carry (an Ed25519 certificate with the 4情報 is ~0.6 kB).
MAX_CERTIFICATE_BYTES = 4096
_JST = timezone(timedelta(hours=9))
_SEX_CODES = {"male": "1", "female": "2"}
_AUTHORITY_FROM = datetime(2016, 1, 1, tzinfo=UTC)
_AUTHORITY_UNTIL = datetime(2046, 1, 1, tzinfo=UTC)

#: Builds the refusal for (field, reason, code suffix); each caller words its own remedy and code.
Refuse = Callable[[str, str, str], DomainError]


@dataclass(frozen=True)
class FourItems:
    """The 4情報 as the certificate carries them: 氏名, 生年月日 (YYYYMMDD, 00 unknown), 性別, 住所."""

    name: str
    birth_date: str
    sex: str  # "male" | "female"
    address: str

    def differing(self, other: FourItems) -> list[str]:
        """The names of the items that differ from ``other`` (empty when all four match)."""
        return [
            item
            for item in ("name", "birth_date", "sex", "address")
            if getattr(self, item) != getattr(other, item)
        ]


def new_serial() -> str:
    """A fresh certificate serial: 16 upper-case hex digits (bit 62 set, so always 16 digits; bit 63
    clear, so a positive X.509 serial)."""
    return f"{secrets.randbits(63) | 1 << 62:016X}"


def authority_certificate(key: Ed25519PrivateKey) -> x509.Certificate:
    """The 機構's self-signed JPKI CA certificate for ``key``; deterministic (Ed25519 signs
    deterministically and every field is fixed), so only the key needs keeping."""
    public = key.public_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(
                NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for digital signature (Jumin simulation)"
            ),
        ]
    )
    serial = int.from_bytes(public.public_bytes(Encoding.Raw, PublicFormat.Raw)[:8], "big") | 1
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(_AUTHORITY_FROM)
        .not_valid_after(_AUTHORITY_UNTIL)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(key, None)
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,  # non-repudiation: what a 署名用 certificate is for
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _other_name(oid: x509.ObjectIdentifier, value: str) -> x509.OtherName:
    encoded = value.encode("utf-8")
    if len(encoded) > 0x7F:
        length = len(encoded).to_bytes((len(encoded).bit_length() + 7) // 8, "big")
        header = bytes([0x0C, 0x80 | len(length)]) + length
    else:
        header = bytes([0x0C, len(encoded)])
    return x509.OtherName(oid, header + encoded)


def _utf8_value(der: bytes) -> str:
    if len(der) < 2 or der[0] != 0x0C:
        raise ValueError("not a UTF8String")
    first = der[1]
    if first & 0x80:
        width = first & 0x7F
        length, start = int.from_bytes(der[2 : 2 + width], "big"), 2 + width
    else:
        length, start = first, 2
    if start + length != len(der):
        raise ValueError("bad length")
    return der[start:].decode("utf-8")


def last_valid_day(birth_date: str, issued_on: date, card_valid_until: date) -> date:
    """The certificate's last valid day: the holder's 5th birthday after ``issued_on`` (an unknown
    month or day counts as 1; 29 February as 28 February), never after the card's own expiry."""
    year, month, day = int(birth_date[:4]), int(birth_date[4:6]) or 1, int(birth_date[6:]) or 1
    if year == 0:
        return card_valid_until
    first_year = issued_on.year if (month, day) > (issued_on.month, issued_on.day) else issued_on.year + 1
    target_year = first_year + VALIDITY_BIRTHDAYS - 1
    try:
        birthday = date(target_year, month, day)
    except ValueError:
        birthday = date(target_year, month, 28)
    return min(birthday, card_valid_until)


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in Japan, as UTC (a certificate's notAfter)."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=_JST).astimezone(UTC)


def issue_certificate(
    *,
    authority_key: Ed25519PrivateKey,
    public_key: Ed25519PublicKey,
    serial: str,
    holder: FourItems,
    valid_from: datetime,
    valid_until: date,
) -> x509.Certificate:
    """A 署名用電子証明書 for ``public_key`` carrying ``holder``'s 4情報, signed by the 機構's CA key."""
    authority = authority_certificate(authority_key)
    alternative = [
        _other_name(NAME_OID, holder.name),
        _other_name(BIRTH_DATE_OID, holder.birth_date),
        _other_name(SEX_OID, _SEX_CODES.get(holder.sex, "3")),
        _other_name(ADDRESS_OID, holder.address),
    ]
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                    x509.NameAttribute(NameOID.COMMON_NAME, serial),
                ]
            )
        )
        .issuer_name(authority.subject)
        .public_key(public_key)
        .serial_number(int(serial, 16))
        .not_valid_before(valid_from.replace(microsecond=0))
        .not_valid_after(end_of_day(valid_until))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .sign(authority_key, None)
    )


def certificate_serial(certificate: x509.Certificate) -> str:
    """The certificate's serial as the payloads and screens show it: 16 upper-case hex digits."""
    return f"{certificate.serial_number:016X}"


def encode_certificate(certificate: x509.Certificate) -> str:
    """The DER certificate as unpadded base64url (its form in card files and payloads)."""
    return base64.urlsafe_b64encode(certificate.public_bytes(Encoding.DER)).decode("ascii").rstrip("=")


def decode_certificate(text: object, *, field: str, code: str) -> x509.Certificate:
    """An unpadded base64url DER certificate, or DomainError naming ``field`` (never the value)."""
    try:
        if not isinstance(text, str) or not 0 < len(text) <= MAX_CERTIFICATE_BYTES * 4 // 3 + 4:
            raise ValueError
        return x509.load_der_x509_certificate(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        raise refusal(
            field, "電子証明書を読み取れません。", "DER形式の電子証明書を base64url で送ってください。", code
        ) from None


def four_items_of(certificate: x509.Certificate) -> FourItems | None:
    """The 4情報 the certificate carries, or None when they are not all there."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        values = {
            other.type_id: _utf8_value(other.value) for other in names.get_values_for_type(x509.OtherName)
        }
        sex = {code: sex for sex, code in _SEX_CODES.items()}.get(values[SEX_OID], "")
        return FourItems(values[NAME_OID], values[BIRTH_DATE_OID], sex, values[ADDRESS_OID])
    except (x509.ExtensionNotFound, KeyError, ValueError, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class SignedDocument:
    """What a relying party checks: the certificate, the CA, the 機構's status, what was signed."""

    certificate: x509.Certificate
    authority: x509.Certificate
    status: str
    challenge: bytes
    signature: bytes
    signed_at: datetime


def check_signed_document(document: SignedDocument, *, refuse: Refuse) -> None:
    """Refuse unless the certificate chains to the 機構's CA, was valid when the document was signed,
    is not revoked, and verifies the signature (in that order)."""
    certificate = document.certificate
    try:
        certificate.verify_directly_issued_by(document.authority)
    except (ValueError, TypeError, InvalidSignature):
        raise refuse(
            "signing_certificate",
            "署名用電子証明書が機構の認証局から発行されたものではありません。",
            "untrusted",
        ) from None
    if not certificate.not_valid_before_utc <= document.signed_at <= certificate.not_valid_after_utc:
        raise refuse(
            "signing_certificate", "署名用電子証明書の有効期間外に署名されています。", "certificate_expired"
        )
    if document.status != GOOD:
        raise refuse(
            "signing_certificate",
            "署名用電子証明書は失効しています（または機構に記録がありません）。",
            "revoked",
        )
    key = certificate.public_key()
    try:
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidSignature
        key.verify(document.signature, document.challenge)
    except InvalidSignature:
        raise refuse("signature", "署名用電子証明書で署名を検証できません。", "forged") from None


def check_four_items(certificate: x509.Certificate, *, register: FourItems, refuse: Refuse) -> None:
    """Refuse unless the certificate still carries the register's 4情報 (JPKI would have revoked it on
    a change; this catches one the 機構 has not heard of yet)."""
    carried = four_items_of(certificate)
    if carried is None or carried.differing(register):
        raise refuse(
            "signing_certificate",
            "署名用電子証明書の基本4情報（氏名・生年月日・性別・住所）が住民票の記載と一致しません。",
            "four_items_mismatch",
        )

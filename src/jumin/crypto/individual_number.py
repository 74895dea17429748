"""個人番号 encryption (AES-256-GCM) and blind index (HMAC-SHA256) (architecture.md §4, controls.md C-80).

A stored value is the text ``v1:<key_id>:<base64url(nonce ‖ ciphertext ‖ tag)>``:

- the nonce is 96 random bits, new for every encryption, so the same number never encrypts twice alike;
- the associated data is ``jumin:individual_number:v1``, the column's purpose and the key id, so a value
  cannot be decrypted under another purpose (copied to another column) or relabelled with another key id.

The blind index is ``base64url(HMAC-SHA256(index_key, "jumin:individual_number:index:v1" ‖ 12 digits))``,
43 characters, equal for equal numbers: it supports exact lookup and nothing else.

Every error raised here is a fixed Japanese sentence: no number, no ciphertext, no key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.views.decorators.debug import sensitive_variables

from jumin.crypto.keyring import Keyring, UnknownKeyError
from jumin.crypto.keys import get_keyring
from jumin.domain.checkdigits import validate_mynumber

__all__ = [
    "BLIND_INDEX_LENGTH",
    "DEFAULT_PURPOSE",
    "TOKEN_VERSION",
    "BulkSealer",
    "DecryptionError",
    "EncryptedIndividualNumber",
    "IndividualNumberCryptoError",
    "blind_index",
    "decrypt_individual_number",
    "encrypt_individual_number",
    "reencrypt_individual_number",
]

TOKEN_VERSION = "v1"  # noqa: S105 (format version of the stored value, not a secret)
DEFAULT_PURPOSE = "individual_number"
BLIND_INDEX_LENGTH = 43  # unpadded base64url of 32 bytes
NONCE_BYTES = 12
_AAD_PREFIX = b"jumin:individual_number:v1"
_INDEX_PREFIX = b"jumin:individual_number:index:v1\x00"
_TAG_BYTES = 16


class IndividualNumberCryptoError(Exception):
    """A stored 個人番号 could not be handled. The message never holds the number or the stored value."""


class DecryptionError(IndividualNumberCryptoError):
    """The value is malformed, was tampered with, belongs to another purpose, or its key is unknown."""


@dataclass(frozen=True, slots=True)
class EncryptedIndividualNumber:
    """An encrypted 個人番号 as stored: the key id and nonce ‖ ciphertext ‖ tag.

    ``repr`` shows the key id only and ``str`` a fixed label; ``token`` is the stored text.
    """

    key_id: str
    sealed: bytes

    @property
    def token(self) -> str:
        """The stored form ``v1:<key_id>:<base64url(nonce ‖ ciphertext ‖ tag)>``."""
        body = base64.urlsafe_b64encode(self.sealed).decode("ascii").rstrip("=")
        return f"{TOKEN_VERSION}:{self.key_id}:{body}"

    @classmethod
    def parse(cls, token: str) -> EncryptedIndividualNumber:
        """Read the stored form; DecryptionError (without the value) if it is not one."""
        parts = token.split(":") if isinstance(token, str) else []
        if len(parts) != 3 or parts[0] != TOKEN_VERSION or not parts[1]:
            raise DecryptionError("暗号化された個人番号の形式ではありません。")
        body = parts[2]
        try:
            sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise DecryptionError("暗号化された個人番号の形式ではありません。") from None
        if len(sealed) < NONCE_BYTES + _TAG_BYTES + 1:
            raise DecryptionError("暗号化された個人番号の形式ではありません。")
        return cls(key_id=parts[1], sealed=sealed)

    @classmethod
    def looks_like_token(cls, value: str) -> bool:
        try:
            cls.parse(value)
        except DecryptionError:
            return False
        return True

    def __repr__(self) -> str:
        return f"EncryptedIndividualNumber(key_id={self.key_id!r})"

    def __str__(self) -> str:
        return "個人番号（暗号化済み）"


def _aad(purpose: str, key_id: str) -> bytes:
    return b"\x00".join((_AAD_PREFIX, purpose.encode("utf-8"), key_id.encode("utf-8")))


@sensitive_variables()
def _seal(digits: str, *, purpose: str, keyring: Keyring) -> EncryptedIndividualNumber:
    key = keyring.current
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(key.secret).encrypt(nonce, digits.encode("ascii"), _aad(purpose, key.key_id))
    return EncryptedIndividualNumber(key_id=key.key_id, sealed=sealed)


@sensitive_variables()
def encrypt_individual_number(
    number: str, *, purpose: str = DEFAULT_PURPOSE, keyring: Keyring | None = None
) -> EncryptedIndividualNumber:
    """Validate (``validate_mynumber``, which normalises) and encrypt with the current data key.

    Raises ``DomainError`` for a malformed number; its message never holds the number.
    """
    digits = validate_mynumber(number)
    return _seal(digits, purpose=purpose, keyring=keyring or get_keyring())


@sensitive_variables()
def decrypt_individual_number(
    value: EncryptedIndividualNumber | str, *, purpose: str = DEFAULT_PURPOSE, keyring: Keyring | None = None
) -> str:
    """The 12 digits. Callers check the permission (C-9) and write the audit entry first.

    Raises ``DecryptionError`` if the value is malformed, tampered with, encrypted for another purpose,
    or encrypted under a key id the keyring does not hold.
    """
    encrypted = (
        value if isinstance(value, EncryptedIndividualNumber) else EncryptedIndividualNumber.parse(value)
    )
    keyring = keyring or get_keyring()
    try:
        key = keyring.data_key(encrypted.key_id)
    except UnknownKeyError:
        raise DecryptionError(
            f"個人番号を復号できません: 鍵ID {encrypted.key_id} の鍵が鍵束にありません。"
        ) from None
    nonce, body = encrypted.sealed[:NONCE_BYTES], encrypted.sealed[NONCE_BYTES:]
    try:
        plain = AESGCM(key.secret).decrypt(nonce, body, _aad(purpose, key.key_id))
    except InvalidTag:
        raise DecryptionError("個人番号を復号できません: 値が改ざんされたか、別の用途の値です。") from None
    digits = plain.decode("ascii", errors="replace")
    if len(digits) != 12 or not (digits.isascii() and digits.isdigit()):
        raise DecryptionError("個人番号を復号できません: 復号結果が12桁の数字ではありません。")
    return digits


@sensitive_variables()
def reencrypt_individual_number(
    value: EncryptedIndividualNumber | str, *, purpose: str = DEFAULT_PURPOSE, keyring: Keyring | None = None
) -> EncryptedIndividualNumber:
    """The same number encrypted under the keyring's current key (key rotation)."""
    keyring = keyring or get_keyring()
    digits = decrypt_individual_number(value, purpose=purpose, keyring=keyring)
    return _seal(digits, purpose=purpose, keyring=keyring)


@sensitive_variables()
def seal_with_index(
    number: str, *, purpose: str = DEFAULT_PURPOSE, keyring: Keyring | None = None
) -> tuple[EncryptedIndividualNumber, str]:
    """``encrypt_individual_number`` and ``blind_index`` of one number, validating it once (bulk loads)."""
    digits = validate_mynumber(number)
    keyring = keyring or get_keyring()
    return _seal(digits, purpose=purpose, keyring=keyring), _index_of_digits(digits, keyring)


class BulkSealer:
    """``seal_with_index`` for many numbers under one keyring and purpose (bulk loads, performance.md P1).

    The cipher, the associated data and the keyed HMAC state are built once instead of per number; the
    stored values are exactly those of ``seal_with_index`` (a fresh random nonce for every number).
    """

    __slots__ = ("_aad", "_cipher", "_index_base", "_key_id")

    def __init__(self, *, purpose: str = DEFAULT_PURPOSE, keyring: Keyring | None = None) -> None:
        keyring = keyring or get_keyring()
        key = keyring.current
        self._key_id = key.key_id
        self._cipher = AESGCM(key.secret)
        self._aad = _aad(purpose, key.key_id)
        self._index_base = hmac.new(keyring.index_key.secret, _INDEX_PREFIX, hashlib.sha256)

    @sensitive_variables()
    def seal(self, number: str) -> tuple[str, str]:
        """(stored token, blind index) of one number; DomainError (without the number) if malformed."""
        digits = validate_mynumber(number).encode("ascii")
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._cipher.encrypt(nonce, digits, self._aad)
        mac = self._index_base.copy()
        mac.update(digits)
        body = base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")
        index = base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")
        return f"{TOKEN_VERSION}:{self._key_id}:{body}", index


def _index_of_digits(digits: str, keyring: Keyring) -> str:
    mac = hmac.new(keyring.index_key.secret, _INDEX_PREFIX + digits.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


@sensitive_variables()
def blind_index(number: str, *, keyring: Keyring | None = None) -> str:
    """The exact-lookup key of a 個人番号: 43 characters of base64url HMAC-SHA256 with the index key.

    The number is validated and normalised first, so full-width or spaced input finds the same rows.
    """
    digits = validate_mynumber(number)
    return _index_of_digits(digits, keyring or get_keyring())

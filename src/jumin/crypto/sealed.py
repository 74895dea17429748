"""Short secrets sealed at rest with the node's data keys: the staff TOTP secret (docs/security.md).

The same keyring and AES-256-GCM data keys as the 個人番号 (so ``rotate_individual_number_keys``
re-encrypts these too), but a separate token version and associated data, so a sealed secret never
decrypts as a 個人番号 or in another column:

- stored text ``s1:<key_id>:<base64url(nonce ‖ ciphertext ‖ tag)>``;
- associated data ``jumin:secret:v1`` NUL purpose NUL key id.

On a model the value is a :class:`SecretText`: the plaintext (a ``str``, so ``pyotp`` can use it) whose
``repr`` is a fixed label, so debug pages, logs and ``repr`` of a model never show it. A stored value
that cannot be decrypted becomes :class:`UnreadableSecret`, which keeps the stored text unchanged on a
later save (nothing is lost) and which callers refuse to use.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.views.decorators.debug import sensitive_variables

from jumin.crypto.keyring import Keyring, UnknownKeyError
from jumin.crypto.keys import get_keyring

__all__ = [
    "SEALED_VERSION",
    "SealedSecretError",
    "SecretText",
    "UnreadableSecret",
    "is_sealed",
    "open_secret",
    "seal_secret",
    "sealed_key_id",
]

SEALED_VERSION = "s1"
_AAD_PREFIX = b"jumin:secret:v1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class SealedSecretError(Exception):
    """A sealed secret could not be opened. The message never holds the secret or the stored text."""


class SecretText(str):
    """A decrypted secret. ``repr`` hides it; ``token`` is the stored text it was read from, if any."""

    token: str = ""

    def __new__(cls, value: str, token: str = "") -> Self:
        instance = super().__new__(cls, value)
        instance.token = token
        return instance

    def __repr__(self) -> str:
        return "SecretText('＊＊＊')"

    @property
    def readable(self) -> bool:
        return True


class UnreadableSecret(SecretText):
    """A stored value that did not decrypt (unknown key, tampered, foreign). Empty as text, never usable."""

    def __new__(cls, value: str = "", token: str = "") -> Self:
        return super().__new__(cls, "", token)

    def __repr__(self) -> str:
        return "UnreadableSecret()"

    def __bool__(self) -> bool:
        # Enrolled but unusable: callers must not treat the account as having no factor.
        return True

    @property
    def readable(self) -> bool:
        return False


def _aad(purpose: str, key_id: str) -> bytes:
    return b"\x00".join((_AAD_PREFIX, purpose.encode("utf-8"), key_id.encode("utf-8")))


def is_sealed(value: str) -> bool:
    """Whether the text has the stored form ``s1:<key_id>:<body>`` (a TOTP secret never has ':')."""
    parts = value.split(":") if isinstance(value, str) else []
    return len(parts) == 3 and parts[0] == SEALED_VERSION and bool(parts[1]) and bool(parts[2])


def sealed_key_id(value: str) -> str:
    """The key id a stored value names ("" if it is not a sealed value)."""
    return value.split(":")[1] if is_sealed(value) else ""


@sensitive_variables()
def seal_secret(secret: str, *, purpose: str, keyring: Keyring | None = None) -> str:
    """Encrypt ``secret`` under the current data key; returns the stored text."""
    if not secret:
        raise SealedSecretError("空の秘密情報は暗号化できません。")
    key = (keyring or get_keyring()).current
    nonce = os.urandom(_NONCE_BYTES)
    sealed = nonce + AESGCM(key.secret).encrypt(nonce, secret.encode("utf-8"), _aad(purpose, key.key_id))
    body = base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")
    return f"{SEALED_VERSION}:{key.key_id}:{body}"


@sensitive_variables()
def open_secret(token: str, *, purpose: str, keyring: Keyring | None = None) -> SecretText:
    """Decrypt a stored value; SealedSecretError (key id at most) if malformed, tampered or foreign."""
    if not is_sealed(token):
        raise SealedSecretError("暗号化された秘密情報の形式ではありません。")
    _, key_id, body = token.split(":")
    try:
        sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise SealedSecretError("暗号化された秘密情報の形式ではありません。") from None
    if len(sealed) < _NONCE_BYTES + _TAG_BYTES + 1:
        raise SealedSecretError("暗号化された秘密情報の形式ではありません。")
    try:
        key = (keyring or get_keyring()).data_key(key_id)
    except UnknownKeyError:
        raise SealedSecretError(f"秘密情報を復号できません: 鍵ID {key_id} の鍵が鍵束にありません。") from None
    try:
        plain = AESGCM(key.secret).decrypt(
            sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _aad(purpose, key_id)
        )
    except InvalidTag:
        raise SealedSecretError("秘密情報を復号できません: 値が改ざんされたか、別の用途の値です。") from None
    return SecretText(plain.decode("utf-8"), token)

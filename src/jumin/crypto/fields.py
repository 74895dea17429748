"""Model fields for the encrypted 個人番号 and its blind index.

``IndividualNumberField`` stores ``v1:<key_id>:<base64url(nonce ‖ ciphertext ‖ tag)>`` in one column; on
the model the attribute is an :class:`EncryptedIndividualNumber` (or None). It refuses to save or compare
anything that is not an encrypted value, so a plaintext number can never reach the column by mistake.

``IndividualNumberIndexField`` holds the blind index. Both are the only column types that the
``crypto.E001`` system check lets a model name like ``*individual_number*`` or ``*mynumber*``.

``EncryptedSecretField`` seals another short secret (the staff TOTP secret) with the same data keys
(``jumin.crypto.sealed``); key rotation re-encrypts it too.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from jumin.crypto.individual_number import (
    BLIND_INDEX_LENGTH,
    DEFAULT_PURPOSE,
    DecryptionError,
    EncryptedIndividualNumber,
)
from jumin.crypto.sealed import SealedSecretError, SecretText, UnreadableSecret, open_secret, seal_secret

__all__ = [
    "TOKEN_MAX_LENGTH",
    "EncryptedSecretField",
    "IndividualNumberField",
    "IndividualNumberIndexField",
]

# "v1:" + key id (≤ 40) + ":" + base64url of 12 + 12 + 16 bytes (54) = 98; room for a longer payload.
TOKEN_MAX_LENGTH = 128

_PLAINTEXT_REFUSED = (
    "個人番号を平文で保存・検索することはできません（set_individual_number を使ってください）。"
)


def _to_encrypted(value: object) -> EncryptedIndividualNumber | None:
    if value is None or value == "":
        return None
    if isinstance(value, EncryptedIndividualNumber):
        return value
    if isinstance(value, str):
        try:
            return EncryptedIndividualNumber.parse(value)
        except DecryptionError:
            raise ValueError(_PLAINTEXT_REFUSED) from None
    raise ValueError(_PLAINTEXT_REFUSED)


class IndividualNumberField(models.CharField):  # type: ignore[type-arg]
    """An AES-256-GCM encrypted 個人番号, bound to ``purpose`` through the associated data.

    ``purpose`` names the column's use; a value copied from a column with another purpose does not
    decrypt. Changing it on an existing column makes every stored value undecryptable.
    """

    description = "暗号化された個人番号"

    def __init__(self, *args: Any, purpose: str = DEFAULT_PURPOSE, **kwargs: Any) -> None:
        self.purpose = purpose
        kwargs.setdefault("max_length", TOKEN_MAX_LENGTH)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == TOKEN_MAX_LENGTH:
            del kwargs["max_length"]
        if kwargs.get("editable", True) is False:
            del kwargs["editable"]
        else:
            kwargs["editable"] = True
        if self.purpose != DEFAULT_PURPOSE:
            kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Any:
        if value is None or value == "":
            return None
        try:
            return EncryptedIndividualNumber.parse(value)
        except DecryptionError:
            # Not ours: keep the raw text out of the object; decrypting it will fail with a clear error.
            return EncryptedIndividualNumber(key_id="", sealed=b"")

    def to_python(self, value: Any) -> Any:
        return _to_encrypted(value)

    def get_prep_value(self, value: Any) -> Any:
        encrypted = _to_encrypted(value)
        return None if encrypted is None else encrypted.token

    def value_to_string(self, obj: models.Model) -> str:
        encrypted = _to_encrypted(self.value_from_object(obj))
        return "" if encrypted is None else encrypted.token

    def formfield(self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any) -> None:
        return None  # never edited through a form; services call set_individual_number


class IndividualNumberIndexField(models.CharField):  # type: ignore[type-arg]
    """The blind index of a 個人番号 (HMAC-SHA256, base64url). Indexed for exact lookup."""

    description = "個人番号の検索用索引（HMAC）"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 64:
            del kwargs["max_length"]
        if kwargs.get("db_index") is True:
            del kwargs["db_index"]
        else:
            kwargs["db_index"] = False
        if kwargs.get("editable", True) is False:
            del kwargs["editable"]
        else:
            kwargs["editable"] = True
        return name, path, args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value and len(value) != BLIND_INDEX_LENGTH:
            raise ValueError("個人番号の索引には blind_index() の値を使ってください。")
        return value


class EncryptedSecretField(models.CharField):  # type: ignore[type-arg]
    """A short secret (the staff TOTP secret) sealed with AES-256-GCM under the node's data keys.

    On the model the value is the plaintext as a :class:`~jumin.crypto.sealed.SecretText` (its ``repr``
    hides it) or ``""`` when none is set. Saving encrypts a newly assigned plain string under the
    current key; a value read from the database is written back as the same stored text, so an
    unrelated ``save()`` neither re-encrypts nor loses a value that could not be decrypted
    (:class:`~jumin.crypto.sealed.UnreadableSecret`). Lookups other than ``=""`` are meaningless
    (every encryption differs) and are not used. ``purpose`` binds values to this column.
    """

    description = "暗号化された秘密情報"

    def __init__(self, *args: Any, purpose: str, **kwargs: Any) -> None:
        self.purpose = purpose
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        if kwargs.get("editable", True) is False:
            del kwargs["editable"]
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: object, connection: object) -> Any:
        return self._from_stored(value)

    def _from_stored(self, value: str | None) -> Any:
        if not value:
            return ""
        try:
            return open_secret(value, purpose=self.purpose)
        except SealedSecretError:
            return UnreadableSecret(token=value)

    def to_python(self, value: Any) -> Any:
        return "" if value is None else value

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, SecretText) and value.token:
            return value.token  # read from the database: store the same text again
        if not value:
            return ""
        return seal_secret(str(value), purpose=self.purpose)

    def value_to_string(self, obj: models.Model) -> str:
        # Serialised (dumpdata) as the stored, encrypted text, never the plaintext.
        return str(self.get_prep_value(self.value_from_object(obj)))

    def formfield(self, form_class: Any = None, choices_form_class: Any = None, **kwargs: Any) -> None:
        return None  # never shown or edited through a form (admin included)

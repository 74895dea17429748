"""``HasIndividualNumber``: the abstract model that every table holding a 個人番号 inherits.

The crypto app itself has no tables. Concrete models (the registry) get two columns:

- ``individual_number``: :class:`IndividualNumberField`, the encrypted number (``v1:<key_id>:…``);
- ``individual_number_index``: :class:`IndividualNumberIndexField`, the HMAC blind index, indexed.

A model that needs its own purpose (associated data) redeclares the field:
``individual_number = IndividualNumberField(purpose="registry.resident", null=True, blank=True)``.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.db import models
from django.views.decorators.debug import sensitive_variables

from jumin.crypto.fields import IndividualNumberField, IndividualNumberIndexField
from jumin.crypto.individual_number import (
    EncryptedIndividualNumber,
    blind_index,
    decrypt_individual_number,
    encrypt_individual_number,
)
from jumin.crypto.keys import get_keyring
from jumin.domain.checkdigits import validate_mynumber

__all__ = ["HasIndividualNumber", "IndividualNumberQuerySet", "filter_by_individual_number"]

_M = TypeVar("_M", bound=models.Model)


class HasIndividualNumber(models.Model):
    """Abstract: an encrypted 個人番号 with a blind index, and the only ways to set, read and find it."""

    individual_number = IndividualNumberField(null=True, blank=True)
    individual_number_index = IndividualNumberIndexField(null=True, blank=True)

    class Meta:
        abstract = True

    def __repr__(self) -> str:
        # Model.__repr__ calls __str__, which a concrete model might build from personal data.
        return f"<{type(self).__name__} pk={self.pk!r}>"

    @classmethod
    def individual_number_purpose(cls) -> str:
        field = cls._meta.get_field("individual_number")
        assert isinstance(field, IndividualNumberField)
        return field.purpose

    @sensitive_variables()
    def set_individual_number(self, number: str | None) -> None:
        """Validate, encrypt and index ``number`` (None clears both). Does not save.

        Raises ``DomainError`` (without the number) if the number is malformed.
        """
        if number is None:
            self.individual_number = None
            self.individual_number_index = None
            return
        digits = validate_mynumber(number)
        keyring = get_keyring()
        self.individual_number = encrypt_individual_number(
            digits, purpose=self.individual_number_purpose(), keyring=keyring
        )
        self.individual_number_index = blind_index(digits, keyring=keyring)

    @sensitive_variables()
    def get_individual_number(self) -> str | None:
        """The decrypted 12 digits, or None.

        The caller must first check ``Permission.INDIVIDUAL_NUMBER_ACCESS`` (C-9) and record the audit
        event with ``individual_number_used=True`` (C-42) in the same transaction.
        """
        value: EncryptedIndividualNumber | None = self.individual_number
        if value is None:
            return None
        return decrypt_individual_number(value, purpose=self.individual_number_purpose())

    @property
    def has_individual_number(self) -> bool:
        return self.individual_number is not None


class IndividualNumberQuerySet(models.QuerySet[_M]):
    """Mix into a concrete model's queryset for ``Model.objects.filter_by_individual_number(number)``."""

    def filter_by_individual_number(self, number: str) -> IndividualNumberQuerySet[_M]:
        return cast("IndividualNumberQuerySet[_M]", filter_by_individual_number(self, number))


@sensitive_variables()
def filter_by_individual_number(queryset: Any, number: str, *, field: str = "individual_number_index") -> Any:
    """Rows whose blind index equals that of ``number`` (validated and normalised first).

    Exact match only (C-32). The caller checks the permission and audits the search (C-9, C-42).
    """
    return queryset.filter(**{field: blind_index(number)})

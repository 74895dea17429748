"""Test-only models: one through the mixin, one with its own purpose and a second encrypted column."""

from __future__ import annotations

from django.db import models

from jumin.crypto.fields import IndividualNumberField
from jumin.crypto.models import HasIndividualNumber, IndividualNumberQuerySet


class IndividualNumberTestRecord(HasIndividualNumber):
    label = models.CharField(max_length=40, blank=True)

    objects = IndividualNumberQuerySet.as_manager()

    def __str__(self) -> str:
        # A careless __str__ that decrypts: repr must still not show it (HasIndividualNumber.__repr__).
        return f"record {self.label}"


class OtherPurposeRecord(HasIndividualNumber):
    individual_number = IndividualNumberField(purpose="crypto_testapp.other", null=True, blank=True)
    previous_individual_number = IndividualNumberField(
        purpose="crypto_testapp.previous", null=True, blank=True
    )

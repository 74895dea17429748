"""The purpose selector every screen that opens personal data starts with (issue 3 item 6, C-8, C-43)."""

from __future__ import annotations

from typing import Any

from django import forms

from jumin.accounts.duties import DUTIES, own_duty_choices

PURPOSE_LABEL = "利用目的（事務）"


class PurposeField(forms.ChoiceField):
    """Offers the user's own duties, but lets any duty code through to ``authorize``.

    A duty the user does not hold is then refused by ``authorize`` with an audit entry (C-43), not
    silently by form validation; anything that is no duty code at all is a plain form error.
    """

    def valid_value(self, value: Any) -> bool:
        return str(value) in DUTIES


class PurposeForm(forms.Form):
    """A form whose first field is the purpose, chosen among the signed-in user's own duties."""

    purpose = PurposeField(label=PURPOSE_LABEL, choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["purpose"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "選択してください"), *own_duty_choices()]

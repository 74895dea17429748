"""System check ``crypto.E001``: no model may keep a 個人番号 in a plain column (controls.md C-80).

A text or number column whose name or db_column looks like a 個人番号 (``individual_number``,
``individualnumber``, ``mynumber``, ``my_number``, ``kojin_bango``) must be an
``IndividualNumberField`` (ciphertext) or an ``IndividualNumberIndexField`` (blind index).
Boolean flags such as the audit log's ``individual_number_used`` are not columns of numbers and pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Error
from django.db import models

from jumin.crypto.fields import IndividualNumberField, IndividualNumberIndexField

__all__ = ["NAME_PATTERN", "check_no_plaintext_individual_number_columns", "plaintext_column_errors"]

NAME_PATTERN = re.compile(r"individual_?number|my_?number|kojin_?bango", re.IGNORECASE)

_PLAIN_TYPES = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.DecimalField,
    models.BinaryField,
)


def _suspect(field: models.Field[Any, Any]) -> bool:
    if isinstance(field, IndividualNumberField | IndividualNumberIndexField):
        return False
    if not isinstance(field, _PLAIN_TYPES) or field.is_relation:
        return False
    names = (field.name, getattr(field, "db_column", None) or "")
    return any(NAME_PATTERN.search(name) for name in names)


def check_no_plaintext_individual_number_columns(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: object
) -> list[CheckMessage]:
    """``crypto.E001`` for every concrete model field that could hold a plaintext 個人番号."""
    if app_configs:
        return plaintext_column_errors(model for config in app_configs for model in config.get_models())
    return plaintext_column_errors(apps.get_models())


def plaintext_column_errors(models_: Iterable[type[models.Model]]) -> list[CheckMessage]:
    """The ``crypto.E001`` errors of the given models."""
    errors: list[CheckMessage] = []
    for model in models_:
        if model._meta.abstract or model._meta.proxy:
            continue
        for field in model._meta.local_fields:
            if _suspect(field):
                errors.append(
                    Error(
                        f"{model._meta.label}.{field.name} は個人番号らしき名前の平文の列です。",
                        hint=(
                            "個人番号は jumin.crypto の HasIndividualNumber"
                            "（または IndividualNumberField と IndividualNumberIndexField）"
                            "で暗号化して保存してください。"
                        ),
                        obj=field,
                        id="crypto.E001",
                    )
                )
    return errors

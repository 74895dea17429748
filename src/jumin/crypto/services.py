"""Key rotation and retirement for the encrypted 個人番号 (docs/security.md, "個人番号 at rest").

Sealed secrets (``EncryptedSecretField``, the staff TOTP secret) use the same data keys and are
re-encrypted and counted alongside, so a key still protecting one cannot be retired.

Rotation makes a data key current, then re-encrypts every stored value that is not yet under it, model
by model, in batches of one transaction each. A batch only touches rows whose value does not start with
``v1:<current key id>:``, so an interrupted run is resumed by running again with ``resume=True``, and a
finished run finds nothing to do. The blind index is untouched: the index key is not rotated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models, transaction

from jumin.audit.actions import AuditAction, Outcome
from jumin.audit.services import record_event
from jumin.crypto.fields import EncryptedSecretField, IndividualNumberField
from jumin.crypto.individual_number import TOKEN_VERSION, DecryptionError, reencrypt_individual_number
from jumin.crypto.keyring import Keyring, KeyringError
from jumin.crypto.keys import get_keyring, update_keyring
from jumin.crypto.sealed import SEALED_VERSION, UnreadableSecret

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "KeyInUseError",
    "RotationResult",
    "encrypted_columns",
    "key_usage",
    "reencrypt_all",
    "retire_key",
    "rotate_keys",
    "sealed_secret_columns",
]

logger = logging.getLogger("jumin.crypto")

DEFAULT_BATCH_SIZE = 500
AUDIT_SUBJECT = "crypto_key"


class KeyInUseError(KeyringError):
    """A data key cannot be retired while stored values are still encrypted with it."""


@dataclass
class RotationResult:
    """What a rotation did: the keys before and after and the rows re-encrypted per column."""

    previous_key_id: str
    current_key_id: str
    reencrypted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.reencrypted.values())


def encrypted_columns() -> list[tuple[type[models.Model], IndividualNumberField]]:
    """Every concrete model field of type IndividualNumberField in the installed apps."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for model_field in model._meta.local_fields:
            if isinstance(model_field, IndividualNumberField):
                found.append((model, model_field))
    return found


def sealed_secret_columns() -> list[tuple[type[models.Model], EncryptedSecretField]]:
    """Every concrete model field of type EncryptedSecretField in the installed apps."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for model_field in model._meta.local_fields:
            if isinstance(model_field, EncryptedSecretField):
                found.append((model, model_field))
    return found


def _label(model: type[models.Model], model_field: models.Field) -> str:  # type: ignore[type-arg]
    return f"{model._meta.label}.{model_field.name}"


def _prefix(key_id: str) -> str:
    return f"{TOKEN_VERSION}:{key_id}:"


def key_usage() -> dict[str, int]:
    """Stored values per data key id over every encrypted column; ``"?"`` counts values under no known key."""
    keyring = get_keyring()
    usage = dict.fromkeys(keyring.key_ids, 0)
    for model, model_field in encrypted_columns():
        manager = model._base_manager
        present = manager.filter(**{f"{model_field.attname}__isnull": False}).count()
        known = 0
        for key_id in keyring.key_ids:
            count = manager.filter(**{f"{model_field.attname}__startswith": _prefix(key_id)}).count()
            usage[key_id] += count
            known += count
        if present - known:
            usage["?"] = usage.get("?", 0) + present - known
    for model, secret_field in sealed_secret_columns():
        manager = model._base_manager
        present = manager.exclude(**{secret_field.attname: ""}).count()
        known = 0
        for key_id in keyring.key_ids:
            count = manager.filter(**{f"{secret_field.attname}__startswith": _sealed_prefix(key_id)}).count()
            usage[key_id] += count
            known += count
        if present - known:
            usage["?"] = usage.get("?", 0) + present - known
    return usage


def _sealed_prefix(key_id: str) -> str:
    return f"{SEALED_VERSION}:{key_id}:"


def _reseal_column(
    model: type[models.Model], secret_field: EncryptedSecretField, keyring: Keyring, batch_size: int
) -> int:
    """Re-encrypt a sealed-secret column under the current key, in batches (resumable like the numbers)."""
    name = secret_field.attname
    manager = model._base_manager
    done = 0
    last_pk: Any = None
    while True:
        with transaction.atomic():
            pending = (
                manager.exclude(**{name: ""})
                .exclude(**{f"{name}__startswith": _sealed_prefix(keyring.current_id)})
                .order_by("pk")
            )
            if last_pk is not None:
                pending = pending.filter(pk__gt=last_pk)
            rows = list(pending.select_for_update().only("pk", name)[:batch_size])
            if not rows:
                return done
            for row in rows:
                value = getattr(row, name)
                if isinstance(value, UnreadableSecret):
                    raise DecryptionError(f"{model._meta.label} pk={row.pk}: 秘密情報を復号できません。")
                setattr(row, name, str(value))  # a plain str is sealed again under the current key
            manager.bulk_update(rows, [name])
            last_pk = rows[-1].pk
            done += len(rows)


def _reencrypt_column(
    model: type[models.Model], model_field: IndividualNumberField, keyring: Keyring, batch_size: int
) -> int:
    name = model_field.attname
    manager = model._base_manager
    done = 0
    last_pk: Any = None
    while True:
        with transaction.atomic():
            pending = (
                manager.filter(**{f"{name}__isnull": False})
                .exclude(**{f"{name}__startswith": _prefix(keyring.current_id)})
                .order_by("pk")
            )
            if last_pk is not None:
                pending = pending.filter(pk__gt=last_pk)
            rows = list(pending.select_for_update().only("pk", name)[:batch_size])
            if not rows:
                return done
            for row in rows:
                try:
                    fresh = reencrypt_individual_number(
                        getattr(row, name), purpose=model_field.purpose, keyring=keyring
                    )
                except DecryptionError as exc:
                    raise DecryptionError(f"{model._meta.label} pk={row.pk}: {exc}") from None
                setattr(row, name, fresh)
            manager.bulk_update(rows, [name])
            last_pk = rows[-1].pk
            done += len(rows)
        logger.info("re-encrypted %d rows of %s so far", done, model._meta.label)


def reencrypt_all(
    *, batch_size: int = DEFAULT_BATCH_SIZE, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Re-encrypt every stored value that is not under the current key; rows per column."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    keyring = get_keyring()
    counts: dict[str, int] = {}
    for model, model_field in encrypted_columns():
        label = _label(model, model_field)
        counts[label] = _reencrypt_column(model, model_field, keyring, batch_size)
        if progress is not None:
            progress(label, counts[label])
    for model, secret_field in sealed_secret_columns():
        label = _label(model, secret_field)
        counts[label] = _reseal_column(model, secret_field, keyring, batch_size)
        if progress is not None:
            progress(label, counts[label])
    return counts


def rotate_keys(
    *,
    actor: Any | None = None,
    use_key: str | None = None,
    new_key_id: str | None = None,
    resume: bool = False,
    reason: str = "",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[str, int], None] | None = None,
) -> RotationResult:
    """Make a key current (a new one unless ``use_key`` or ``resume``), then re-encrypt every value.

    Two audit events (``crypto:key:rotate``): one when the current key changes, one when every value is
    under it. Running again with ``resume=True`` after an interruption finishes the job.
    """
    previous = get_keyring().current_id
    if not resume:
        if use_key is not None:
            _, after = update_keyring(lambda keyring: keyring.with_current(use_key))
        else:
            _, after = update_keyring(lambda keyring: keyring.with_new_key(new_key_id))
        with transaction.atomic():
            record_event(
                actor=actor,
                action=AuditAction.CRYPTO_KEY_ROTATE,
                subject_type=AUDIT_SUBJECT,
                subject_id=after.current_id,
                reason=reason,
                outcome_reason=f"current key {previous} -> {after.current_id}",
            )
        logger.info("個人番号 data key %s is now current (was %s)", after.current_id, previous)
    current = get_keyring().current_id
    counts = reencrypt_all(batch_size=batch_size, progress=progress)
    result = RotationResult(previous_key_id=previous, current_key_id=current, reencrypted=counts)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CRYPTO_KEY_ROTATE,
            subject_type=AUDIT_SUBJECT,
            subject_id=current,
            reason=reason,
            outcome_reason=f"re-encrypted {result.total} values under {current}",
        )
    return result


def retire_key(*, key_id: str, actor: Any | None = None, reason: str = "") -> None:
    """Remove a data key from the keyring; refused (and audited) while any stored value uses it."""
    keyring = get_keyring()
    keyring.data_key(key_id)  # UnknownKeyError for a key that is not there
    if key_id == keyring.current_id:
        message = f"鍵ID {key_id} は現在の鍵のため廃止できません。先に鍵を更新してください。"
        _record_retire(actor, key_id, reason, Outcome.REFUSED, "current key")
        raise KeyInUseError(message)
    in_use = key_usage().get(key_id, 0)
    if in_use:
        _record_retire(actor, key_id, reason, Outcome.REFUSED, f"retire refused: {in_use} values use it")
        raise KeyInUseError(
            f"鍵ID {key_id} で暗号化された個人番号が {in_use} 件残っているため廃止できません。"
            "先に rotate_individual_number_keys --resume で再暗号化してください。"
        )
    update_keyring(lambda current: current.without_key(key_id))
    _record_retire(actor, key_id, reason, Outcome.DONE, "retired")
    logger.info("個人番号 data key %s retired", key_id)


def _record_retire(actor: Any | None, key_id: str, reason: str, outcome: Outcome, note: str) -> None:
    with transaction.atomic():
        record_event(
            actor=actor,
            action=AuditAction.CRYPTO_KEY_ROTATE,
            subject_type=AUDIT_SUBJECT,
            subject_id=key_id,
            reason=reason,
            outcome=outcome,
            outcome_reason=f"retire: {note}",
        )

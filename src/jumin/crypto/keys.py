"""The node's keyring, as configured by ``settings.JUMIN_CRYPTO_KEYRING``.

The file is re-read whenever it changes on disk, so web processes pick up a rotation without a restart.
Checking costs a path resolution and a ``stat``; a unit of work that encrypts many values (a received
batch of messages) checks once with ``one_keyring()`` and uses that keyring throughout, so a rotation is
picked up by the next batch instead of in the middle of one.
In demo and test mode (``settings.JUMIN_DEMO``) a missing keyring is generated on first use with
mode 0600; outside demo mode it is a start-up error (``CryptoConfig.ready``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from jumin.crypto.keyring import (
    Keyring,
    KeyringError,
    generate_keyring,
    load_keyring,
    locked,
    resolve_keyring_path,
    write_keyring,
)

__all__ = ["get_keyring", "keyring_path", "one_keyring", "reset_keyring_cache", "update_keyring"]

logger = logging.getLogger("jumin.crypto")

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int, int], Keyring]] = {}


class _Pin:
    """The keyring of one unit of work (``one_keyring``), read at its first use inside it."""

    __slots__ = ("keyring",)

    def __init__(self) -> None:
        self.keyring: Keyring | None = None


_pin: ContextVar[_Pin | None] = ContextVar("jumin_crypto_keyring_pin", default=None)


def keyring_path() -> Path:
    """The keyring file this node uses."""
    return resolve_keyring_path(settings.JUMIN_CRYPTO_KEYRING)


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def reset_keyring_cache() -> None:
    with _lock:
        _cache.clear()


@receiver(setting_changed)
def _on_setting_changed(*, setting: str, **kwargs: object) -> None:
    if setting in {"JUMIN_CRYPTO_KEYRING", "JUMIN_DEMO"}:
        reset_keyring_cache()


@contextmanager
def one_keyring() -> Iterator[None]:
    """Use one keyring for a unit of work: the file is checked at the first ``get_keyring`` inside (not
    at all if nothing is encrypted or opened) and that keyring serves every later call inside.

    The next unit of work sees a rotated keyring. Nested uses share the outer keyring. ``update_keyring``
    inside one is refused (the unit would go on encrypting with the key it replaced).
    """
    if _pin.get() is not None:
        yield
        return
    token = _pin.set(_Pin())
    try:
        yield
    finally:
        _pin.reset(token)


def get_keyring() -> Keyring:
    """The current keyring; generated on first use in demo mode, a KeyringError otherwise if missing."""
    pin = _pin.get()
    if pin is not None and pin.keyring is not None:
        return pin.keyring  # inside ``one_keyring``: checked at its first use
    keyring = _read_keyring()
    if pin is not None:
        pin.keyring = keyring
    return keyring


def _read_keyring() -> Keyring:
    """The keyring file's contents, from the cache while the file is unchanged on disk."""
    path = keyring_path()
    signature = _signature(path)
    with _lock:
        cached = _cache.get(str(path))
        if cached is not None and cached[0] == signature:
            return cached[1]
    if signature is None:
        if not settings.JUMIN_DEMO:
            load_keyring(path)  # raises the KeyringError that tells the operator what to do
        with locked(path):
            if _signature(path) is None:
                write_keyring(path, generate_keyring())
                logger.warning("demo mode: generated a new 個人番号 keyring at %s", path)
        signature = _signature(path)
    keyring = load_keyring(path)
    if signature is not None:
        with _lock:
            _cache[str(path)] = (signature, keyring)
    return keyring


def update_keyring(change: Callable[[Keyring], Keyring]) -> tuple[Keyring, Keyring]:
    """Apply ``change`` to the keyring under the file lock and save it; returns (before, after)."""
    if _pin.get() is not None:
        raise KeyringError("一括処理の途中では鍵束を更新できません。処理の終了後に実行してください。")
    path = keyring_path()
    get_keyring()  # creates the demo keyring, or raises if missing outside demo mode
    with locked(path):
        before = load_keyring(path)
        after = change(before)
        write_keyring(path, after)
    reset_keyring_cache()
    return before, after


def check_keyring_at_startup() -> None:
    """Outside demo mode the node refuses to start without a readable, private keyring."""
    if settings.JUMIN_DEMO:
        return
    try:
        get_keyring()
    except KeyringError as exc:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(str(exc)) from None

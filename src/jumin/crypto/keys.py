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
# The keyring of the unit of work in progress in this thread (``one_keyring``), None outside one.
_pinned: ContextVar[Keyring | None] = ContextVar("jumin_crypto_pinned_keyring", default=None)


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
def one_keyring() -> Iterator[Keyring]:
    """Use one keyring for a unit of work: ``get_keyring`` inside returns it without looking at the file.

    The file is checked once, on entry; the next unit of work sees a rotated keyring. Nested uses keep
    the outer keyring. ``update_keyring`` inside one is refused (it would encrypt with a stale key).
    """
    pinned = _pinned.get()
    if pinned is not None:
        yield pinned
        return
    keyring = get_keyring()
    token = _pinned.set(keyring)
    try:
        yield keyring
    finally:
        _pinned.reset(token)


def get_keyring() -> Keyring:
    """The current keyring; generated on first use in demo mode, a KeyringError otherwise if missing."""
    pinned = _pinned.get()
    if pinned is not None:
        return pinned  # inside ``one_keyring``: checked on entry
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
    if _pinned.get() is not None:
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

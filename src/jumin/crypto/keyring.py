"""The 個人番号 keyring: data-encryption keys with ids, one current, and the blind-index key.

Kept free of Django so that ``python -m jumin.crypto init`` can create a keyring before a node is
configured. The file is JSON (docs/security.md, "個人番号 at rest")::

    {
      "format": "jumin-individual-number-keyring/1",
      "current": "dk-20250601-3fa9c1",
      "data_keys": [{"id": "dk-20250601-3fa9c1", "key": "<base64, 32 bytes>", "created": "2025-06-01T…"}],
      "index_key": {"id": "ix-20250601-77ab02", "key": "<base64, 32 bytes>", "created": "2025-06-01T…"}
    }

Data keys rotate (``manage.py rotate_individual_number_keys``); the index key does not, because every
stored blind index would have to be recomputed from the decrypted numbers.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "DEFAULT_FILENAME",
    "FORMAT",
    "KEY_BYTES",
    "DataKey",
    "IndexKey",
    "Keyring",
    "KeyringError",
    "UnknownKeyError",
    "generate_keyring",
    "load_keyring",
    "locked",
    "new_key_id",
    "resolve_keyring_path",
    "write_keyring",
]

FORMAT = "jumin-individual-number-keyring/1"
DEFAULT_FILENAME = "individual-number-keyring.json"
KEY_BYTES = 32  # AES-256 and HMAC-SHA256 keys are 256-bit random values.
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")


class KeyringError(Exception):
    """The keyring is missing, unreadable, malformed or unsafe; the message says what to do."""


class UnknownKeyError(KeyringError):
    """A value names a key id that the keyring does not hold (retired, or from another node)."""


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def new_key_id(prefix: str = "dk") -> str:
    """A fresh key id: prefix, UTC date and 24 random bits, e.g. ``dk-20250601-3fa9c1``."""
    return f"{prefix}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"


def _check_key_id(key_id: str) -> str:
    if not _KEY_ID.match(key_id):
        raise KeyringError("鍵IDは英数字・ハイフン・下線の1〜40文字で指定してください。")
    return key_id


@dataclass(frozen=True)
class DataKey:
    """An AES-256-GCM data-encryption key. ``secret`` never appears in repr."""

    key_id: str
    secret: bytes = field(repr=False)
    created: str = ""


@dataclass(frozen=True)
class IndexKey:
    """The HMAC-SHA256 key of the blind index. ``secret`` never appears in repr."""

    key_id: str
    secret: bytes = field(repr=False)
    created: str = ""


def _new_secret() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


@dataclass(frozen=True)
class Keyring:
    """Every data key this node can decrypt with, which one encrypts, and the index key."""

    current_id: str
    data_keys: tuple[DataKey, ...]
    index_key: IndexKey

    def __post_init__(self) -> None:
        ids = [key.key_id for key in self.data_keys]
        if len(set(ids)) != len(ids):
            raise KeyringError("鍵束に同じ鍵IDのデータ鍵が複数あります。")
        if self.current_id not in ids:
            raise KeyringError("鍵束の current が、どのデータ鍵の鍵IDとも一致しません。")
        every: list[DataKey | IndexKey] = [*self.data_keys, self.index_key]
        for key in every:
            _check_key_id(key.key_id)
            if len(key.secret) != KEY_BYTES:
                raise KeyringError(f"鍵 {key.key_id} の長さが256ビットではありません。")

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(key.key_id for key in self.data_keys)

    @property
    def current(self) -> DataKey:
        return self.data_key(self.current_id)

    def data_key(self, key_id: str) -> DataKey:
        for key in self.data_keys:
            if key.key_id == key_id:
                return key
        raise UnknownKeyError(f"鍵ID {key_id} のデータ鍵が鍵束にありません。")

    def with_new_key(self, key_id: str | None = None) -> Keyring:
        """A copy with a freshly generated data key that becomes current."""
        key_id = _check_key_id(key_id or new_key_id())
        if key_id in self.key_ids or key_id == self.index_key.key_id:
            raise KeyringError(f"鍵ID {key_id} は鍵束で使用済みです。")
        key = DataKey(key_id=key_id, secret=_new_secret(), created=_utc_now())
        return Keyring(current_id=key_id, data_keys=(*self.data_keys, key), index_key=self.index_key)

    def with_current(self, key_id: str) -> Keyring:
        """A copy in which an existing data key becomes current."""
        self.data_key(key_id)
        return Keyring(current_id=key_id, data_keys=self.data_keys, index_key=self.index_key)

    def without_key(self, key_id: str) -> Keyring:
        """A copy without a data key (retirement). The current key cannot be retired."""
        self.data_key(key_id)
        if key_id == self.current_id:
            raise KeyringError(f"鍵ID {key_id} は現在の鍵のため廃止できません。先に鍵を更新してください。")
        kept = tuple(key for key in self.data_keys if key.key_id != key_id)
        return Keyring(current_id=self.current_id, data_keys=kept, index_key=self.index_key)

    def to_json(self) -> str:
        def entry(key: DataKey | IndexKey) -> dict[str, str]:
            return {
                "id": key.key_id,
                "key": base64.b64encode(key.secret).decode("ascii"),
                "created": key.created,
            }

        document = {
            "format": FORMAT,
            "current": self.current_id,
            "data_keys": [entry(key) for key in self.data_keys],
            "index_key": entry(self.index_key),
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Keyring:
        try:
            document = json.loads(text)
            if document.get("format") != FORMAT:
                raise KeyringError(f"鍵束の形式が {FORMAT} ではありません。")
            data_keys = tuple(
                DataKey(
                    key_id=str(item["id"]), secret=_decode(item["key"]), created=str(item.get("created", ""))
                )
                for item in document["data_keys"]
            )
            raw_index = document["index_key"]
            index_key = IndexKey(
                key_id=str(raw_index["id"]),
                secret=_decode(raw_index["key"]),
                created=str(raw_index.get("created", "")),
            )
            return cls(current_id=str(document["current"]), data_keys=data_keys, index_key=index_key)
        except KeyringError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            # The parser's message could quote key material; say only where to look.
            raise KeyringError(
                "鍵束ファイルを解釈できません（JSONの形式・項目を確認してください）。"
            ) from None


def _decode(value: object) -> bytes:
    if not isinstance(value, str):
        raise KeyringError("鍵の値はbase64文字列で記録してください。")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise KeyringError("鍵の値がbase64として不正です。") from None


def generate_keyring() -> Keyring:
    """A new keyring: one current data key and one index key, each 256 random bits."""
    data_key = DataKey(key_id=new_key_id("dk"), secret=_new_secret(), created=_utc_now())
    index_key = IndexKey(key_id=new_key_id("ix"), secret=_new_secret(), created=_utc_now())
    return Keyring(current_id=data_key.key_id, data_keys=(data_key,), index_key=index_key)


def resolve_keyring_path(configured: str | os.PathLike[str]) -> Path:
    """The keyring file: the configured path, or ``individual-number-keyring.json`` in it if a directory."""
    path = Path(configured)
    if path.is_dir():
        return path / DEFAULT_FILENAME
    return path


def load_keyring(path: Path, *, require_private: bool = True) -> Keyring:
    """Read a keyring file. With ``require_private``, a file readable by group or others is refused."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyringError(
            f"個人番号の鍵束 {path} がありません。JUMIN_CRYPTO_KEYRING で場所を指定するか、"
            f"`python -m jumin.crypto init {path}` で作成してください。"
        ) from None
    if require_private and os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyringError(
            f"個人番号の鍵束 {path} が所有者以外にも読める設定です。`chmod 600 {path}` を実行してください。"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyringError(f"個人番号の鍵束 {path} を読めません（{exc.strerror}）。") from None
    return Keyring.from_json(text)


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Replace the keyring file atomically with mode 0600 (its directory is created with 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".keyring-", dir=path.parent)  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(keyring.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<keyring>.lock``: two processes never rewrite the keyring at once."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - non-POSIX: no inter-process lock
            yield
            return
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

"""The node's Ed25519 key that signs audit checkpoints (controls.md C-50).

In demo mode a missing key is generated on first use (mode 0600). Outside demo mode a missing
key is a configuration error: the node refuses to start (system check ``jumin.audit.E001``) and
refuses to append a checkpoint rather than silently leaving the chain unsigned.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured

from jumin.audit import conf

CHECKPOINT_DOMAIN = "jumin-audit-checkpoint/v1"


def checkpoint_message(*, node: str, seq: int, entry_hash: str, created_us: int) -> bytes:
    """The exact bytes a checkpoint signature covers (domain-separated, unambiguous)."""
    return "\x1f".join([CHECKPOINT_DOMAIN, node, str(seq), entry_hash, str(created_us)]).encode("utf-8")


def _generate(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # O_EXCL: two processes starting at once never overwrite each other's fresh key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)


@lru_cache(maxsize=4)
def _load(path: str, demo: bool) -> Ed25519PrivateKey:
    key_path = Path(path)
    if not key_path.exists():
        if not demo:
            raise ImproperlyConfigured("監査ログ署名鍵がありません (JUMIN_AUDIT_SIGNING_KEY)")
        _generate(key_path)
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured("監査ログ署名鍵は Ed25519 の鍵でなければなりません")
    return key


def private_key() -> Ed25519PrivateKey:
    """The node's signing key, loaded once per path (generated in demo mode)."""
    return _load(str(conf.signing_key_path()), conf.demo_mode())


def key_id_of(public: Ed25519PublicKey) -> str:
    """A short, stable id of a public key: the first 16 hex digits of SHA-256 over its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign(message: bytes) -> tuple[str, str]:
    """Sign with the node key; returns (key id, signature as hex)."""
    key = private_key()
    return key_id_of(key.public_key()), key.sign(message).hex()


@lru_cache(maxsize=4)
def _public(path: str, demo: bool) -> tuple[Ed25519PublicKey, str]:
    public = _load(path, demo).public_key()
    return public, key_id_of(public)


def verify(message: bytes, *, key_id: str, signature_hex: str) -> bool:
    """Whether the signature is the node key's signature over the message."""
    # The public key and its id are derived once per key path: a chain verification checks one
    # signature per 1,000 entries, and deriving them each time cost a fifth of each check (P7).
    public, public_id = _public(str(conf.signing_key_path()), conf.demo_mode())
    if key_id != public_id:
        return False
    try:
        public.verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def key_available() -> bool:
    """Whether a signing key exists or may be generated (demo mode)."""
    return conf.demo_mode() or conf.signing_key_path().exists()

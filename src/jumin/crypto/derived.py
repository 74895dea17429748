"""Purpose-bound secret keys derived from the node's keyring (HKDF-SHA256 over the index key).

The index key never rotates (keyring.py), so a derived key is stable for the life of the node and
needs no file of its own; the purpose label makes each derived key independent of the blind index and
of every other purpose. Used by the national node to generate 個人番号 (docs/jukinet-national.md).
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jumin.crypto.keys import get_keyring

__all__ = ["INDIVIDUAL_NUMBER_GENERATION", "derived_key"]

#: Purpose of the key with which the national node (N3) generates 個人番号.
INDIVIDUAL_NUMBER_GENERATION = "jukinet_national.individual_number.generate.v1"

_SALT = b"jumin:derived-key:v1"


def derived_key(purpose: str) -> bytes:
    """A 256-bit secret for ``purpose``; equal purposes give equal keys on the same node only."""
    if not purpose or not purpose.isascii():
        raise ValueError("purpose must be a non-empty ASCII label")
    index_key = get_keyring().index_key
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=purpose.encode("ascii"))
    return hkdf.derive(index_key.secret)

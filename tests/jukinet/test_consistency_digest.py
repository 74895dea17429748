"""The 整合性確認 digest is keyed: a stored digest does not give away the 個人番号 it covers.

The digest covers the 個人番号 (records.md §4) and is stored in plaintext next to the record at the
CS, the prefecture and the national node. Unkeyed, a database dump would let anyone try the 10^11
possible numbers against it; as an HMAC under the federation's 整合性確認 key (a file in each node
directory, never in the database) it cannot be reproduced without that key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path

import pytest

from jumin.jukinet.common.notice import (
    CONSISTENCY_ITEMS,
    IdentityNotice,
    consistency_digest,
    notice_from_payload,
)
from jumin.messaging import conf
from jumin.messaging.envelope import NodeRef
from jumin.messaging.testing import TestFederation
from tests.jukinet.synthetic import identity_notice

KEY = bytes(range(32))


def unkeyed_digest(notice: IdentityNotice) -> str:
    """The formula used before the key: truncated SHA-256 of the compared items."""
    canonical = json.dumps([getattr(notice, name) for name in CONSISTENCY_ITEMS], ensure_ascii=False)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode("utf-8")).digest()[:16]).decode()[:22]


def test_the_digest_is_22_characters_and_stable_under_one_key() -> None:
    notice = notice_from_payload(identity_notice())
    digest = consistency_digest(notice, key=KEY)
    assert len(digest) == 22
    assert set(digest) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert consistency_digest(notice_from_payload(notice.as_payload()), key=KEY) == digest


def test_the_digest_differs_under_a_different_key() -> None:
    notice = notice_from_payload(identity_notice())
    assert consistency_digest(notice, key=KEY) != consistency_digest(notice, key=secrets.token_bytes(32))


def test_the_digest_cannot_be_reproduced_without_the_key() -> None:
    notice = notice_from_payload(identity_notice())
    digest = consistency_digest(notice, key=KEY)
    assert digest != unkeyed_digest(notice)
    # Trying 個人番号 against a dumped digest with the old formula finds nothing, the right number included.
    candidates = [notice.individual_number, *(identity_notice()["individual_number"] for _ in range(50))]
    payload = notice.as_payload()
    assert all(
        unkeyed_digest(notice_from_payload({**payload, "individual_number": number})) != digest
        for number in candidates
    )


def test_the_compared_items_still_decide_the_digest() -> None:
    payload = identity_notice()
    digest = consistency_digest(notice_from_payload(payload), key=KEY)
    changed = identity_notice(
        resident_code=payload["resident_code"], individual_number=payload["individual_number"]
    )
    assert consistency_digest(notice_from_payload(changed), key=KEY) == digest  # same compared items
    other_number = consistency_digest(
        notice_from_payload({**payload, "individual_number": identity_notice()["individual_number"]}), key=KEY
    )
    assert other_number != digest
    # Bookkeeping is not compared.
    bookkeeping = {**payload, "operator_id": "other01", "update_seq": 9, "timestamp": "2026-03-01T00:00:00Z"}
    assert consistency_digest(notice_from_payload(bookkeeping), key=KEY) == digest


@pytest.mark.parametrize("key", [b"", b"short", "x" * 32])
def test_a_missing_or_short_key_is_refused(key: object) -> None:
    notice = notice_from_payload(identity_notice())
    with pytest.raises(ValueError, match="整合性確認"):
        consistency_digest(notice, key=key)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_equal_notices_give_equal_digests_on_every_node_of_a_federation(tmp_path: Path) -> None:
    refs = [NodeRef("municipality", "422029"), NodeRef("prefecture", "420000"), NodeRef("national", "00")]
    notice = notice_from_payload(identity_notice())
    with TestFederation(tmp_path / "federation", refs) as federation:
        digests = set()
        for ref in refs:
            with federation.acting_as(ref):
                digests.add(consistency_digest(notice, key=conf.local_node().consistency_key))
        assert len(digests) == 1
        keys = {federation.node(ref).consistency_key for ref in refs}
        assert len(keys) == 1
    with TestFederation(tmp_path / "another", refs[:1]) as another, another.acting_as(refs[0]):
        assert consistency_digest(notice, key=conf.local_node().consistency_key) not in digests

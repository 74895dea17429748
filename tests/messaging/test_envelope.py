"""The signed envelope: compact JWS with EdDSA, strict schema, refusals with machine-readable reasons."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jumin.messaging.envelope import (
    EnvelopeRefused,
    NodeRef,
    Reason,
    canonical_json,
    key_id,
    new_envelope,
    open_envelope,
    sign_envelope,
)

SENDER = NodeRef("municipality", "422029")
RECEIVER = NodeRef("prefecture", "420000")
KEY = Ed25519PrivateKey.generate()
KEYS = {key_id(KEY.public_key()): KEY.public_key()}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def envelope_dict(**changes: Any) -> dict[str, Any]:
    envelope = new_envelope(
        type="test.change", sender=SENDER, receiver=RECEIVER, subject="s1", seq=1, payload={"value": 1}
    )
    return {**envelope.as_dict(), **changes}


def sign_raw(body: dict[str, Any], key: Ed25519PrivateKey = KEY, header: dict[str, Any] | None = None) -> str:
    """Sign arbitrary content, to present the receiver with well-signed but malformed envelopes."""
    header = header or {
        "alg": "EdDSA",
        "cty": "jumin-envelope",
        "typ": "JOSE",
        "kid": key_id(key.public_key()),
    }
    signing_input = f"{b64(canonical_json(header))}.{b64(canonical_json(body))}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode('ascii')))}"


def refusal_reason(token: str | bytes) -> str:
    with pytest.raises(EnvelopeRefused) as caught:
        open_envelope(token, KEYS)
    return caught.value.reason


def test_a_signed_envelope_opens_to_the_same_fields() -> None:
    envelope = new_envelope(
        type="test.change",
        sender=SENDER,
        receiver=RECEIVER,
        subject="s1",
        seq=7,
        payload={"value": 3, "名": "架空"},
    )
    opened = open_envelope(sign_envelope(envelope, KEY), KEYS)
    assert opened == envelope
    assert opened.created.tzinfo is not None


def test_the_header_names_eddsa_and_the_key_id() -> None:
    token = sign_envelope(
        new_envelope(type="test.change", sender=SENDER, receiver=RECEIVER, subject="s1", seq=1, payload={}),
        KEY,
    )
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "cty": "jumin-envelope", "typ": "JOSE", "kid": key_id(KEY.public_key())}


def test_a_changed_payload_fails_the_signature() -> None:
    header, _, signature = sign_raw(envelope_dict()).split(".")
    forged = f"{header}.{b64(canonical_json(envelope_dict(payload={'value': 2})))}.{signature}"
    assert refusal_reason(forged) == Reason.SIGNATURE


def test_another_key_under_the_same_key_id_fails_the_signature() -> None:
    other = Ed25519PrivateKey.generate()
    header = {"alg": "EdDSA", "cty": "jumin-envelope", "typ": "JOSE", "kid": key_id(KEY.public_key())}
    assert refusal_reason(sign_raw(envelope_dict(), key=other, header=header)) == Reason.SIGNATURE


def test_a_key_the_sender_does_not_own_is_refused() -> None:
    assert refusal_reason(sign_raw(envelope_dict(), key=Ed25519PrivateKey.generate())) == Reason.SIGNATURE


@pytest.mark.parametrize(
    "header",
    [
        {"alg": "none", "cty": "jumin-envelope", "typ": "JOSE", "kid": "0" * 16},
        {"alg": "HS256", "cty": "jumin-envelope", "typ": "JOSE", "kid": "0" * 16},
        {"alg": "EdDSA", "cty": "jumin-envelope", "typ": "JOSE", "kid": "0" * 16, "crit": ["b64"]},
    ],
)
def test_any_other_header_is_refused(header: dict[str, Any]) -> None:
    header = {**header, "kid": key_id(KEY.public_key())}
    assert refusal_reason(sign_raw(envelope_dict(), header=header)) == Reason.SIGNATURE


def test_a_truncated_token_is_refused() -> None:
    token = sign_raw(envelope_dict())
    assert refusal_reason(token[:-10]) == Reason.SIGNATURE
    assert refusal_reason(".".join(token.split(".")[:2])) == Reason.SCHEMA
    assert refusal_reason(token[: len(token) // 3]) == Reason.SCHEMA
    assert refusal_reason(b"") == Reason.SCHEMA


@pytest.mark.parametrize(
    "changes",
    [
        {"extra": 1},
        {"id": "NOT-A-UUID"},
        {"id": "6F9619FF-8B86-D011-B42D-00C04FC964FF"},
        {"seq": -1},
        {"seq": True},
        {"seq": "1"},
        {"seq": 0},
        {"schema": 2},
        {"created": "2026-01-01T00:00:00+09:00"},
        {"created": "yesterday"},
        {"type": "NoDots"},
        {"subject": ""},
        {"subject": "氏名"},
        {"sender": {"kind": "village", "code": "1"}},
        {"receiver": {"kind": "prefecture", "code": "420000", "x": 1}},
        {"payload": [1, 2]},
    ],
)
def test_a_well_signed_envelope_with_a_bad_field_is_refused_as_schema(changes: dict[str, Any]) -> None:
    assert refusal_reason(sign_raw(envelope_dict(**changes))) == Reason.SCHEMA


def test_a_missing_field_is_refused_as_schema() -> None:
    body = envelope_dict()
    del body["created"]
    assert refusal_reason(sign_raw(body)) == Reason.SCHEMA


def test_control_messages_use_seq_zero_and_the_control_subject() -> None:
    control = new_envelope(
        type="messaging.resend_request",
        sender=SENDER,
        receiver=RECEIVER,
        subject="control",
        seq=0,
        payload={},
    )
    assert control.is_control
    with pytest.raises(EnvelopeRefused):
        new_envelope(
            type="messaging.resend_request", sender=SENDER, receiver=RECEIVER, subject="s1", seq=0, payload={}
        )


def test_refusal_details_never_echo_the_value() -> None:
    with pytest.raises(EnvelopeRefused) as caught:
        open_envelope(sign_raw(envelope_dict(subject="山田太郎")), KEYS)
    assert "山田" not in str(caught.value)


def test_node_references_round_trip_through_the_certificate_uri() -> None:
    assert NodeRef.from_uri(SENDER.uri) == SENDER
    assert SENDER.uri == "urn:jumin:node:municipality:422029"
    assert NodeRef.from_uri("urn:jumin:node:village:1") is None
    assert NodeRef.from_uri("https://example.invalid/") is None


def test_times_are_written_in_utc_with_a_z() -> None:
    envelope = new_envelope(
        type="test.change", sender=SENDER, receiver=RECEIVER, subject="s1", seq=1, payload={},
        created=datetime(2026, 5, 1, 10, 0, tzinfo=UTC),
    )  # fmt: skip
    assert envelope.as_dict()["created"] == "2026-05-01T10:00:00.000000Z"

"""The envelope of every message between nodes, signed as a compact JWS with Ed25519 (docs/network.md).

Pure Python (no Django), so the format is tested in milliseconds and can be reused by other tools.
The JWS payload is the envelope as UTF-8 JSON::

    {"id": "<UUID>", "type": "registry.identity_update",
     "sender": {"kind": "municipality", "code": "422029"},
     "receiver": {"kind": "prefecture", "code": "420000"},
     "subject": "<opaque subject key>", "seq": 7, "created": "2026-05-01T01:02:03.456789Z",
     "schema": 1, "payload": {...}}

The protected header is exactly
``{"alg": "EdDSA", "cty": "jumin-envelope", "kid": "<key id>", "typ": "JOSE"}``.
``seq`` is the 更新順番号 of the (sender, receiver, subject) stream, from 1; control messages
(``messaging.*`` types) carry seq 0 and the subject ``control`` and are not ordered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

# The 入管連携端末 (M10, a relay with the municipality's code) and 出入国在留管理庁 (O1, simulated, code 00)
# talk to the municipality only (docs/workflows/immigration-link.md). A kind has at most 16 characters, the
# width of the messaging tables' kind columns.
NODE_KINDS = ("municipality", "prefecture", "national", "nyukan_terminal", "nyukan_agency")
SCHEMA_VERSIONS = frozenset({1})
CURRENT_SCHEMA = 1
MAX_TOKEN_BYTES = 1_048_576  # one MiB: a message carries one subject's change, never a bulk file
MAX_BATCH_BYTES = 4 * MAX_TOKEN_BYTES  # one POST /node/inbox/batch body (several messages)
CONTROL_PREFIX = "messaging."
CONTROL_SUBJECT = "control"
HEADER = {"alg": "EdDSA", "cty": "jumin-envelope", "typ": "JOSE"}
ENVELOPE_KEYS = frozenset(
    {"id", "type", "sender", "receiver", "subject", "seq", "created", "schema", "payload"}
)

_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_CODE = re.compile(r"[0-9]{2,6}")
_SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_.\-]{0,63}")
_B64URL = re.compile(r"[A-Za-z0-9_\-]+")
_KID = re.compile(r"[0-9a-f]{16}")


class Reason:
    """Machine-readable refusal reasons returned to the sender (docs/network.md, "Refusals")."""

    SCHEMA = "schema"
    SIGNATURE = "signature"
    UNKNOWN_PEER = "unknown_peer"
    MISDIRECTED = "misdirected"
    REPLAY = "replay"
    ORDERING = "ordering"

    # A sender retries these later; the others are permanent and set the message aside (poison).
    RETRYABLE = frozenset({ORDERING})


class EnvelopeRefused(Exception):  # noqa: N818 (a refusal is an outcome, not a programming error)
    """A message that fails a check. ``reason`` is a ``Reason`` code; ``detail`` is Japanese, value-free."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, order=True)
class NodeRef:
    """A node named by kind and code (architecture.md §1), e.g. municipality 422029."""

    kind: str
    code: str

    def __post_init__(self) -> None:
        if self.kind not in NODE_KINDS or not _CODE.fullmatch(self.code):
            raise EnvelopeRefused(Reason.SCHEMA, "ノードの種別またはコードが不正です。")

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}"

    @property
    def uri(self) -> str:
        """The identity written into the node's certificate (SAN URI)."""
        return f"urn:jumin:node:{self.kind}:{self.code}"

    @classmethod
    def parse(cls, text: str) -> NodeRef:
        """``kind:code`` → NodeRef."""
        kind, _, code = text.partition(":")
        return cls(kind=kind, code=code)

    @classmethod
    def from_uri(cls, uri: str) -> NodeRef | None:
        """The node named by ``urn:jumin:node:<kind>:<code>``, or None for any other URI."""
        prefix = "urn:jumin:node:"
        if not uri.startswith(prefix):
            return None
        try:
            return cls.parse(uri[len(prefix) :])
        except EnvelopeRefused:
            return None

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "code": self.code}


@dataclass(frozen=True)
class Envelope:
    """One message between nodes. ``payload`` is the type's JSON object (messages.py defines them)."""

    id: str
    type: str
    sender: NodeRef
    receiver: NodeRef
    subject: str
    seq: int
    created: datetime
    schema: int = CURRENT_SCHEMA
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def is_control(self) -> bool:
        return self.type.startswith(CONTROL_PREFIX)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "sender": self.sender.as_dict(),
            "receiver": self.receiver.as_dict(),
            "subject": self.subject,
            "seq": self.seq,
            "created": format_time(self.created),
            "schema": self.schema,
            "payload": self.payload,
        }


def format_time(moment: datetime) -> str:
    """UTC, microseconds, ``Z`` suffix: one spelling per instant."""
    if moment.tzinfo is None:
        raise ValueError("envelope times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_envelope(
    *,
    type: str,
    sender: NodeRef,
    receiver: NodeRef,
    subject: str,
    seq: int,
    payload: Mapping[str, Any],
    created: datetime | None = None,
) -> Envelope:
    """A fresh envelope with a random id, checked by the same rules as a received one."""
    envelope = Envelope(
        id=str(uuid.uuid4()),
        type=type,
        sender=sender,
        receiver=receiver,
        subject=subject,
        seq=seq,
        created=created or datetime.now(UTC),
        payload=dict(payload),
    )
    return envelope_from_dict(json.loads(canonical_json(envelope.as_dict())))


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: the same envelope gives the same bytes on every node."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not _B64URL.fullmatch(text):
        raise EnvelopeRefused(Reason.SCHEMA, "JWSの各部はbase64url文字列でなければなりません。")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise EnvelopeRefused(Reason.SCHEMA, "JWSの各部をbase64urlとして復号できません。") from None


def key_id(public: Ed25519PublicKey) -> str:
    """A stable short id of a signing key: the first 16 hex digits of SHA-256 over its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_envelope(envelope: Envelope, key: Ed25519PrivateKey) -> str:
    """The envelope as a compact JWS (RFC 7515) signed with EdDSA/Ed25519 (RFC 8037)."""
    header = {**HEADER, "kid": key_id(key.public_key())}
    signing_input = f"{_b64(canonical_json(header))}.{_b64(canonical_json(envelope.as_dict()))}"
    signature = key.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{_b64(signature)}"


def token_digest(token: str | bytes) -> str:
    """SHA-256 of the token as sent: tells a harmless re-delivery from another message with the same id."""
    data = token.encode("ascii", "replace") if isinstance(token, str) else token
    return hashlib.sha256(data).hexdigest()


def _split(token: str | bytes, max_bytes: int = MAX_TOKEN_BYTES) -> tuple[str, str, str]:
    if isinstance(token, bytes):
        if len(token) > max_bytes:
            raise EnvelopeRefused(Reason.SCHEMA, "メッセージが大きすぎます。")
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise EnvelopeRefused(Reason.SCHEMA, "JWSはASCII文字列でなければなりません。") from None
    if len(token) > max_bytes:
        raise EnvelopeRefused(Reason.SCHEMA, "メッセージが大きすぎます。")
    parts = token.strip().split(".")
    if len(parts) != 3 or not all(parts):
        raise EnvelopeRefused(Reason.SCHEMA, "JWSコンパクト形式（3つの部分）ではありません。")
    return parts[0], parts[1], parts[2]


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise EnvelopeRefused(Reason.SCHEMA, f"{what}をJSONとして解釈できません。") from None
    if not isinstance(value, dict):
        raise EnvelopeRefused(Reason.SCHEMA, f"{what}はJSONオブジェクトでなければなりません。")
    return value


def header_key_id(token: str | bytes, max_bytes: int = MAX_TOKEN_BYTES) -> str:
    """The ``kid`` of a token's protected header, after checking the header is exactly Jumin's."""
    header_part, _, _ = _split(token, max_bytes)
    return _header_kid(header_part)


def _header_kid(header_part: str) -> str:
    header = _json_object(_unb64(header_part), "JWSヘッダ")
    if set(header) != {*HEADER, "kid"} or any(header[name] != value for name, value in HEADER.items()):
        # Refusing every other header closes alg=none and algorithm-confusion attacks.
        raise EnvelopeRefused(Reason.SIGNATURE, "JWSヘッダが EdDSA の Jumin 形式ではありません。")
    kid = header["kid"]
    if not isinstance(kid, str) or not _KID.fullmatch(kid):
        raise EnvelopeRefused(Reason.SIGNATURE, "JWSヘッダの鍵IDが不正です。")
    return kid


def open_envelope(
    token: str | bytes, keys: Mapping[str, Ed25519PublicKey], *, max_bytes: int = MAX_TOKEN_BYTES
) -> Envelope:
    """Verify a compact JWS against the sender's keys (by ``kid``), then parse and check the envelope.

    The signature is checked before the payload is parsed, so nothing unsigned is ever interpreted.
    ``max_bytes`` is 1 MiB for messages; queries and answers allow more (``queries.MAX_QUERY_BYTES``).
    Raises ``EnvelopeRefused`` with reason ``schema`` or ``signature``.
    """
    header_part, payload_part, signature_part = _split(token, max_bytes)
    kid = _header_kid(header_part)  # the parts split once (a batch opens a hundred tokens)
    public = keys.get(kid)
    if public is None:
        raise EnvelopeRefused(Reason.SIGNATURE, "署名鍵が送信元ノードの登録鍵にありません。")
    try:
        public.verify(_unb64(signature_part), f"{header_part}.{payload_part}".encode("ascii"))
    except (InvalidSignature, EnvelopeRefused):
        raise EnvelopeRefused(Reason.SIGNATURE, "署名を検証できません。") from None
    return envelope_from_dict(_json_object(_unb64(payload_part), "エンベロープ"))


def decode_verified(token: str, max_bytes: int = MAX_TOKEN_BYTES) -> Envelope:
    """Parse a token this node already verified and stored (inbox/outbox); no signature check."""
    _, payload_part, _ = _split(token, max_bytes)
    return envelope_from_dict(_json_object(_unb64(payload_part), "エンベロープ"))


def _node(value: object, what: str) -> NodeRef:
    if not isinstance(value, dict) or set(value) != {"kind", "code"}:
        raise EnvelopeRefused(Reason.SCHEMA, f"{what}は kind と code だけを持つオブジェクトです。")
    kind, code = value["kind"], value["code"]
    if not isinstance(kind, str) or not isinstance(code, str):
        raise EnvelopeRefused(Reason.SCHEMA, f"{what}の kind と code は文字列です。")
    return NodeRef(kind=kind, code=code)


def _created(value: object) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise EnvelopeRefused(Reason.SCHEMA, "created はUTCの日時（末尾Z）で指定します。")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise EnvelopeRefused(Reason.SCHEMA, "created を日時として解釈できません。") from None
    return moment.astimezone(UTC)


def envelope_from_dict(value: Mapping[str, Any]) -> Envelope:
    """Check every field of a decoded envelope (strict: no missing and no extra keys)."""
    if set(value) != ENVELOPE_KEYS:
        raise EnvelopeRefused(Reason.SCHEMA, "エンベロープの項目が仕様と一致しません。")
    raw_id = value["id"]
    try:
        canonical_id = str(uuid.UUID(raw_id)) if isinstance(raw_id, str) else ""
    except ValueError:
        canonical_id = ""
    if canonical_id != raw_id:
        raise EnvelopeRefused(Reason.SCHEMA, "id は小文字のUUIDでなければなりません。")
    schema = value["schema"]
    if isinstance(schema, bool) or schema not in SCHEMA_VERSIONS:
        raise EnvelopeRefused(Reason.SCHEMA, "対応していないスキーマ版です。")
    message_type = value["type"]
    if not isinstance(message_type, str) or len(message_type) > 64 or not _TYPE.fullmatch(message_type):
        raise EnvelopeRefused(Reason.SCHEMA, "type の形式が不正です。")
    subject, seq = value["subject"], value["seq"]
    if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
        raise EnvelopeRefused(Reason.SCHEMA, "subject は英数字と :_.- の64文字以内です。")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**63:
        raise EnvelopeRefused(Reason.SCHEMA, "seq（更新順番号）は0以上の整数です。")
    control = message_type.startswith(CONTROL_PREFIX)
    if control != (seq == 0) or (control and subject != CONTROL_SUBJECT):
        raise EnvelopeRefused(Reason.SCHEMA, "制御メッセージだけが seq 0（subject control）を使います。")
    payload = value["payload"]
    if not isinstance(payload, dict):
        raise EnvelopeRefused(Reason.SCHEMA, "payload はJSONオブジェクトです。")
    return Envelope(
        id=raw_id,
        type=message_type,
        sender=_node(value["sender"], "sender"),
        receiver=_node(value["receiver"], "receiver"),
        subject=subject,
        seq=seq,
        created=_created(value["created"]),
        schema=schema,
        payload=payload,
    )

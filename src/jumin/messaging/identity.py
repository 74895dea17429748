"""A node's identity on disk: signing key, TLS key and certificate, federation CA and peers.

Pure Python (no Django) so that ``jumin node init`` works before a node is configured. Layout of a
node directory (``JUMIN_NODE_DIR``, default ``var/node``; docs/network.md "Keys")::

    node.json               {"format": "jumin-node/1", "kind": ..., "code": ...}
    signing-ed25519.pem     Ed25519 private key that signs envelopes (0600)
    tls-key.pem             ECDSA P-256 private key for mutual TLS (0600)
    tls-cert.pem            certificate from the federation CA, SAN URI urn:jumin:node:<kind>:<code>
    ca-cert.pem             the federation CA certificate: the only issuer this node trusts
    consistency-key         the federation's 整合性確認 key: 32 random bytes (0600), the same on every
                            node; keys the digests 整合性確認 compares (jukinet.common.notice)
    peers.json              the peers this node talks to: kind, code, URL and signing public keys

The 整合性確認 key is created with the federation CA (``create_ca`` writes it into the CA directory)
and copied into each node directory by ``init_node(..., ca_dir=...)``; a node initialised with a CSR
gets it from the federation's operator together with ``ca-cert.pem``. It never goes into a database.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import json
import os
import re
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jumin.messaging.envelope import EnvelopeRefused, NodeRef, key_id

NODE_FORMAT = "jumin-node/1"
PEERS_FORMAT = "jumin-peers/1"
CA_DAYS = 3650
NODE_CERT_DAYS = 825  # the usual upper bound for TLS server certificates
CONSISTENCY_KEY_FILE = "consistency-key"
CONSISTENCY_KEY_BYTES = 32
_MEMBER = re.compile(r"^\d{6}$")  # a member municipality code of a shared CS (peers.json ``members``)


class IdentityError(Exception):
    """A node directory or CA is missing, incomplete or malformed; the message says what to do."""


@dataclass(frozen=True)
class NodeFiles:
    """Where a node directory keeps each file."""

    root: Path

    @property
    def node_json(self) -> Path:
        return self.root / "node.json"

    @property
    def signing_key(self) -> Path:
        return self.root / "signing-ed25519.pem"

    @property
    def tls_key(self) -> Path:
        return self.root / "tls-key.pem"

    @property
    def tls_cert(self) -> Path:
        return self.root / "tls-cert.pem"

    @property
    def tls_csr(self) -> Path:
        return self.root / "tls.csr"

    @property
    def ca_cert(self) -> Path:
        return self.root / "ca-cert.pem"

    @property
    def consistency_key(self) -> Path:
        return self.root / CONSISTENCY_KEY_FILE

    @property
    def peers(self) -> Path:
        return self.root / "peers.json"


@dataclass(frozen=True)
class Peer:
    """A node this node exchanges messages with, from peers.json."""

    ref: NodeRef
    url: str
    keys: dict[str, Ed25519PublicKey] = field(default_factory=dict, compare=False)
    #: A shared 市町村CS (共同利用): the codes of the member municipalities it receives for.
    members: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class LocalNode:
    """This node: who it is, the key it signs with, its TLS files and its peers."""

    ref: NodeRef
    signing_key: Ed25519PrivateKey = field(repr=False)
    files: NodeFiles
    peers: dict[NodeRef, Peer] = field(default_factory=dict)
    #: The federation's 整合性確認 key as read from the node directory; None when the file is absent.
    consistency_key_or_none: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def key_id(self) -> str:
        return key_id(self.signing_key.public_key())

    @property
    def consistency_key(self) -> bytes:
        """The federation's 整合性確認 key (``consistency-key``); IdentityError when this node has none."""
        if self.consistency_key_or_none is None:
            raise IdentityError(_missing_consistency_key(self.files.consistency_key))
        return self.consistency_key_or_none

    def peer(self, ref: NodeRef) -> Peer | None:
        return self.peers.get(ref)

    def route_to(self, ref: NodeRef) -> Peer | None:
        """The peer that receives what is sent to ``ref``: ``ref`` itself, or the shared CS (共同利用)
        that lists the municipality among its ``members``. Only for sending: a sender is always the
        peer its certificate names."""
        peer = self.peers.get(ref)
        if peer is not None or ref.kind != "municipality":
            return peer
        return next((p for p in self.peers.values() if ref.code in p.members), None)


def _write_private(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only; never overwrite an existing key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise IdentityError(
            f"{path} は既にあります。上書きしません（鍵の再作成は別のディレクトリで）。"
        ) from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _write_public(path: Path, data: bytes) -> None:
    """Replace a public file atomically (certificates, peers.json)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _pem_private(key: ec.EllipticCurvePrivateKey | Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_private(path: Path) -> Any:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise IdentityError(f"{path} がありません。`jumin node init` で作成してください。") from None
    except ValueError:
        raise IdentityError(f"{path} を秘密鍵として読めません。") from None


def _missing_consistency_key(path: Path) -> str:
    return (
        f"整合性確認鍵 {path} がありません。連合のCAの consistency-key を ca-cert.pem と同じように"
        "受け取り、所有者だけが読める設定（chmod 600）で置いてください（docs/network.md）。"
    )


def create_consistency_key(directory: Path) -> Path:
    """Write a new federation 整合性確認 key (32 random bytes, 0600) into ``directory``; never overwrites."""
    path = directory / CONSISTENCY_KEY_FILE
    _write_private(path, secrets.token_bytes(CONSISTENCY_KEY_BYTES))
    return path


def ensure_consistency_key(directory: Path) -> Path:
    """The 整合性確認 key of ``directory``, created if absent (a CA or demo node from before the key)."""
    path = directory / CONSISTENCY_KEY_FILE
    if not path.exists():
        with contextlib.suppress(IdentityError):  # another process created it meanwhile: keep theirs
            create_consistency_key(directory)
    read_consistency_key(path)
    return path


def read_consistency_key(path: Path) -> bytes:
    """Read a 整合性確認 key file: exactly 32 bytes, readable by its owner only."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise IdentityError(_missing_consistency_key(path)) from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise IdentityError(
            f"整合性確認鍵 {path} が所有者以外にも読める設定です。`chmod 600 {path}` を実行してください。"
        )
    data = path.read_bytes()
    if len(data) != CONSISTENCY_KEY_BYTES:
        raise IdentityError(f"整合性確認鍵 {path} は{CONSISTENCY_KEY_BYTES}バイトでなければなりません。")
    return data


def install_consistency_key(ca_dir: Path, directory: Path) -> Path:
    """Copy the CA directory's 整合性確認 key into a node directory (0600); a node that already holds
    the same key is left as it is, one holding another key is refused (it belongs to another federation)."""
    key = read_consistency_key(ca_dir / CONSISTENCY_KEY_FILE)
    path = directory / CONSISTENCY_KEY_FILE
    if path.exists():
        if read_consistency_key(path) != key:
            raise IdentityError(f"{path} は連合のCAの整合性確認鍵と異なります。上書きしません。")
        return path
    _write_private(path, key)
    return path


def _name(common_name: str, organisation: str, unit: str = "") -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if unit:
        attributes.insert(1, x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    return x509.Name(attributes)


def create_ca(directory: Path, *, name: str = "Jumin demo federation CA") -> Path:
    """A private federation CA (demo and tests; real deployments import their own CA certificate).

    Writes ``ca-key.pem`` (0600), ``ca-cert.pem`` and the federation's 整合性確認 key
    ``consistency-key`` (0600, copied into each node by ``init_node``); returns the directory.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    subject = _name(name, "Jumin federation")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / "ca-key.pem", _pem_private(key))
    create_consistency_key(directory)
    _write_public(directory / "ca-cert.pem", cert.public_bytes(serialization.Encoding.PEM))
    return directory


def _san(ref: NodeRef, hosts: list[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(ref.uri)]
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return x509.SubjectAlternativeName(names)


def issue_node_certificate(
    ca_dir: Path, ref: NodeRef, public_key: ec.EllipticCurvePublicKey, hosts: list[str]
) -> x509.Certificate:
    """A certificate for a node's TLS key, naming the node in CN/OU and a SAN URI; server and client use."""
    ca_key = _load_private(ca_dir / "ca-key.pem")
    ca_cert = load_certificate(ca_dir / "ca-cert.pem")
    now = datetime.now(UTC)
    organisation = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return (
        x509.CertificateBuilder()
        .subject_name(
            _name(f"{ref.kind} {ref.code}", str(organisation[0].value) if organisation else "Jumin", ref.kind)
        )
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=NODE_CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san(ref, hosts), critical=False)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )


def load_certificate(path: Path) -> x509.Certificate:
    """Read a PEM certificate."""
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise IdentityError(f"証明書 {path} がありません。") from None
    except ValueError:
        raise IdentityError(f"{path} をX.509証明書として読めません。") from None


def certificate_node(cert: x509.Certificate) -> NodeRef | None:
    """The node a certificate names in its SAN URI (exactly one), or None."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    refs = {
        ref
        for uri in san.get_values_for_type(x509.UniformResourceIdentifier)
        if (ref := NodeRef.from_uri(uri))
    }
    return refs.pop() if len(refs) == 1 else None


def certificate_node_from_der(der: bytes | None) -> NodeRef | None:
    """``certificate_node`` for the DER bytes the ssl module returns, or None if there are none."""
    if not der:
        return None
    try:
        return certificate_node(x509.load_der_x509_certificate(der))
    except ValueError:
        return None


def init_node(
    directory: Path, ref: NodeRef, *, ca_dir: Path | None, hosts: list[str] | None = None
) -> NodeFiles:
    """Create a node's keys. With ``ca_dir`` the certificate is issued at once and the federation's
    整合性確認 key copied from the CA directory (demo and tests); without, a CSR (``tls.csr``) is
    written for the federation's CA and ``tls-cert.pem``, ``ca-cert.pem`` and ``consistency-key`` are
    placed by the operator afterwards (docs/network.md "Adding a node")."""
    files = NodeFiles(directory)
    if files.node_json.exists():
        raise IdentityError(f"{directory} は既にノードとして初期化されています。")
    if ca_dir is not None and not (ca_dir / CONSISTENCY_KEY_FILE).exists():
        raise IdentityError(
            f"CA {ca_dir} に整合性確認鍵 {CONSISTENCY_KEY_FILE} がありません（この鍵より前に作られたCA）。"
            f"`jumin node consistency-key {ca_dir}` で作成してから、もう一度実行してください。"
        )
    hosts = hosts or ["127.0.0.1", "localhost"]
    signing = Ed25519PrivateKey.generate()
    tls_key = ec.generate_private_key(ec.SECP256R1())
    _write_private(files.signing_key, _pem_private(signing))
    _write_private(files.tls_key, _pem_private(tls_key))
    if ca_dir is not None:
        cert = issue_node_certificate(ca_dir, ref, tls_key.public_key(), hosts)
        _write_public(files.tls_cert, cert.public_bytes(serialization.Encoding.PEM))
        _write_public(files.ca_cert, (ca_dir / "ca-cert.pem").read_bytes())
        install_consistency_key(ca_dir, directory)
    else:
        csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(_name(f"{ref.kind} {ref.code}", "Jumin", ref.kind))
            .add_extension(_san(ref, hosts), critical=False)
            .sign(tls_key, hashes.SHA256())
        )
        _write_public(files.tls_csr, csr.public_bytes(serialization.Encoding.PEM))
    if not files.peers.exists():
        _write_public(files.peers, _peers_json([]))
    document = {"format": NODE_FORMAT, "kind": ref.kind, "code": ref.code}
    _write_public(files.node_json, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    return files


def _peers_json(entries: list[dict[str, Any]]) -> bytes:
    document = {"format": PEERS_FORMAT, "peers": entries}
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def public_key_text(public: Ed25519PublicKey) -> str:
    """An Ed25519 public key as base64 of its 32 raw bytes (the form peers.json uses)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def peer_entry(node: LocalNode, url: str) -> dict[str, Any]:
    """This node as another node's peers.json lists it (``jumin node peer-entry``)."""
    public = node.signing_key.public_key()
    return {
        "kind": node.ref.kind,
        "code": node.ref.code,
        "url": url.rstrip("/"),
        "signing_keys": [{"kid": key_id(public), "public_key": public_key_text(public)}],
    }


def _parse_peer(entry: object) -> Peer:
    if not isinstance(entry, dict):
        raise IdentityError("peers.json の peers はオブジェクトの配列です。")
    try:
        ref = NodeRef(kind=str(entry["kind"]), code=str(entry["code"]))
        url = str(entry["url"])
        keys: dict[str, Ed25519PublicKey] = {}
        for item in entry["signing_keys"]:
            public = Ed25519PublicKey.from_public_bytes(base64.b64decode(item["public_key"], validate=True))
            if key_id(public) != item["kid"]:
                raise IdentityError(f"peers.json: {ref} の鍵IDが公開鍵と一致しません。")
            keys[item["kid"]] = public
    except (KeyError, TypeError, ValueError, binascii.Error, EnvelopeRefused):
        raise IdentityError(
            "peers.json の項目（kind, code, url, signing_keys）を確認してください。"
        ) from None
    if not url.startswith("https://"):
        raise IdentityError(f"peers.json: {ref} の url は https:// で始めてください。")
    members = entry.get("members", [])
    if not isinstance(members, list) or not all(isinstance(m, str) and _MEMBER.match(m) for m in members):
        raise IdentityError(f"peers.json: {ref} の members は6桁の市町村コードの配列にしてください。")
    if members and ref.kind != "municipality":
        raise IdentityError(f"peers.json: members は市町村CS（municipality）だけに書けます（{ref}）。")
    return Peer(ref=ref, url=url.rstrip("/"), keys=keys, members=tuple(members))


def load_peers(path: Path) -> dict[NodeRef, Peer]:
    """Read peers.json; a missing file means no peers."""
    if not path.exists():
        return {}
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise IdentityError(f"{path} をJSONとして読めません。") from None
    if not isinstance(document, dict) or document.get("format") != PEERS_FORMAT:
        raise IdentityError(f"{path} の format が {PEERS_FORMAT} ではありません。")
    peers = [_parse_peer(entry) for entry in document.get("peers", [])]
    return {peer.ref: peer for peer in peers}


def add_peer(directory: Path, entry: dict[str, Any]) -> Peer:
    """Add or replace (same kind and code) one peer in a node's peers.json."""
    files = NodeFiles(directory)
    peer = _parse_peer(entry)
    existing: list[dict[str, Any]] = []
    if files.peers.exists():
        existing = json.loads(files.peers.read_text(encoding="utf-8")).get("peers", [])
    kept = [e for e in existing if (e.get("kind"), e.get("code")) != (peer.ref.kind, peer.ref.code)]
    _write_public(files.peers, _peers_json([*kept, entry]))
    return peer


def load_node(directory: Path) -> LocalNode:
    """Read a node directory written by ``init_node`` (the TLS files are checked when TLS starts).

    The 整合性確認 key is read when present (a malformed or shared-readable one is refused here);
    ``LocalNode.consistency_key`` refuses when it is absent, and ``conf.local_node`` refuses such a
    node outside demo mode.
    """
    files = NodeFiles(directory)
    try:
        document = json.loads(files.node_json.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IdentityError(
            f"ノードの鍵がありません（{directory}）。`jumin node init` で作成してください。"
        ) from None
    except ValueError:
        raise IdentityError(f"{files.node_json} をJSONとして読めません。") from None
    if document.get("format") != NODE_FORMAT:
        raise IdentityError(f"{files.node_json} の format が {NODE_FORMAT} ではありません。")
    ref = NodeRef(kind=str(document.get("kind")), code=str(document.get("code")))
    signing = _load_private(files.signing_key)
    if not isinstance(signing, Ed25519PrivateKey):
        raise IdentityError(f"{files.signing_key} は Ed25519 の鍵でなければなりません。")
    consistency = read_consistency_key(files.consistency_key) if files.consistency_key.exists() else None
    return LocalNode(
        ref=ref,
        signing_key=signing,
        files=files,
        peers=load_peers(files.peers),
        consistency_key_or_none=consistency,
    )

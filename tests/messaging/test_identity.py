"""Node identity: `jumin node ca/init/peer-entry/add-peer`, certificates naming kind and code, peers.json."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from jumin.cli import main
from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import (
    IdentityError,
    NodeFiles,
    add_peer,
    certificate_node,
    create_ca,
    init_node,
    load_certificate,
    load_node,
    peer_entry,
)

NODE = NodeRef("municipality", "422029")


def test_init_issues_a_certificate_that_names_the_node_and_chains_to_the_ca(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    files = init_node(tmp_path / "node", NODE, ca_dir=ca, hosts=["127.0.0.1", "node.example.lg.jp"])
    cert = load_certificate(files.tls_cert)
    ca_cert = load_certificate(ca / "ca-cert.pem")
    assert certificate_node(cert) == NODE
    assert cert.issuer == ca_cert.subject
    public = ca_cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))  # type: ignore[arg-type]
    assert "municipality 422029" in cert.subject.rfc4514_string()
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "node.example.lg.jp" in names.get_values_for_type(x509.DNSName)
    assert files.ca_cert.read_bytes() == (ca / "ca-cert.pem").read_bytes()


def test_private_keys_are_readable_by_the_owner_only(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    files = init_node(tmp_path / "node", NODE, ca_dir=ca)
    for path in (files.signing_key, files.tls_key, ca / "ca-key.pem"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_init_never_overwrites_a_node(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    init_node(tmp_path / "node", NODE, ca_dir=ca)
    before = (tmp_path / "node" / "signing-ed25519.pem").read_bytes()
    with pytest.raises(IdentityError):
        init_node(tmp_path / "node", NODE, ca_dir=ca)
    assert (tmp_path / "node" / "signing-ed25519.pem").read_bytes() == before


def test_without_a_ca_init_writes_a_request_for_the_federations_ca(tmp_path: Path) -> None:
    files = init_node(tmp_path / "node", NODE, ca_dir=None)
    request = x509.load_pem_x509_csr(files.tls_csr.read_bytes())
    uris = request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert NODE.uri in uris.get_values_for_type(x509.UniformResourceIdentifier)
    assert not files.tls_cert.exists()


def test_peer_entries_round_trip_and_replace_the_same_node(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    init_node(tmp_path / "a", NODE, ca_dir=ca)
    init_node(tmp_path / "b", NodeRef("prefecture", "420000"), ca_dir=ca)
    a = load_node(tmp_path / "a")
    add_peer(tmp_path / "b", peer_entry(a, "https://127.0.0.1:9001/"))
    add_peer(tmp_path / "b", peer_entry(a, "https://127.0.0.1:9002"))
    peers = load_node(tmp_path / "b").peers
    assert list(peers) == [NODE]
    assert peers[NODE].url == "https://127.0.0.1:9002"
    assert set(peers[NODE].keys) == {a.key_id}


@pytest.mark.parametrize(
    "change",
    [
        {"url": "http://127.0.0.1:9001"},
        {"kind": "village"},
        {"signing_keys": [{"kid": "0" * 16, "public_key": "AA=="}]},
    ],
)
def test_a_bad_peer_entry_is_refused(tmp_path: Path, change: dict[str, object]) -> None:
    ca = create_ca(tmp_path / "ca")
    init_node(tmp_path / "a", NODE, ca_dir=ca)
    entry = {**peer_entry(load_node(tmp_path / "a"), "https://127.0.0.1:9001"), **change}
    with pytest.raises(IdentityError):
        add_peer(tmp_path / "a", entry)


def test_a_key_id_that_does_not_match_its_key_is_refused(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    init_node(tmp_path / "a", NODE, ca_dir=ca)
    entry = peer_entry(load_node(tmp_path / "a"), "https://127.0.0.1:9001")
    entry["signing_keys"][0]["kid"] = "0123456789abcdef"
    with pytest.raises(IdentityError):
        add_peer(tmp_path / "a", entry)


def test_the_cli_sets_up_two_nodes_that_list_each_other(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["node", "ca", str(tmp_path / "ca"), "--name", "test CA"]) == 0
    for kind, code, name in (("municipality", "422029", "a"), ("prefecture", "420000", "b")):
        assert (
            main(
                [
                    "node",
                    "init",
                    "--kind",
                    kind,
                    "--code",
                    code,
                    "--dir",
                    str(tmp_path / name),
                    "--ca",
                    str(tmp_path / "ca"),
                ]
            )
            == 0
        )
    capsys.readouterr()
    assert main(["node", "peer-entry", "--dir", str(tmp_path / "a"), "--url", "https://127.0.0.1:9001"]) == 0
    (tmp_path / "a.json").write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["node", "add-peer", str(tmp_path / "a.json"), "--dir", str(tmp_path / "b")]) == 0
    assert list(load_node(tmp_path / "b").peers) == [NODE]
    assert json.loads((tmp_path / "a.json").read_text())["code"] == "422029"


def test_the_cli_refuses_a_bad_code_and_an_existing_node(tmp_path: Path) -> None:
    assert (
        main(["node", "init", "--kind", "municipality", "--code", "42x", "--dir", str(tmp_path / "a")]) == 2
    )
    assert (
        main(["node", "init", "--kind", "municipality", "--code", "422029", "--dir", str(tmp_path / "a")])
        == 0
    )
    assert NodeFiles(tmp_path / "a").tls_csr.exists()
    assert (
        main(["node", "init", "--kind", "municipality", "--code", "422029", "--dir", str(tmp_path / "a")])
        == 1
    )

"""The federation's 整合性確認 key: created with the CA, copied into each node, never in the database."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from jumin.cli import main
from jumin.messaging import conf
from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import (
    CONSISTENCY_KEY_BYTES,
    IdentityError,
    create_ca,
    init_node,
    install_consistency_key,
    load_node,
)

NODE = NodeRef("municipality", "422029")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_ca_creates_the_key_and_every_node_it_initialises_gets_the_same(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    key = (ca / "consistency-key").read_bytes()
    assert len(key) == CONSISTENCY_KEY_BYTES
    assert mode(ca / "consistency-key") == 0o600
    first = init_node(tmp_path / "a", NODE, ca_dir=ca)
    second = init_node(tmp_path / "b", NodeRef("prefecture", "420000"), ca_dir=ca)
    assert mode(first.consistency_key) == 0o600
    assert load_node(first.root).consistency_key == load_node(second.root).consistency_key == key
    other_ca = create_ca(tmp_path / "other-ca")
    assert (other_ca / "consistency-key").read_bytes() != key


def test_a_node_initialised_with_a_csr_has_no_key_until_the_operator_places_it(tmp_path: Path) -> None:
    files = init_node(tmp_path / "node", NODE, ca_dir=None)
    assert not files.consistency_key.exists()
    node = load_node(files.root)  # still readable (peer-entry works before the CA answers)
    with pytest.raises(IdentityError, match="consistency-key"):
        _ = node.consistency_key
    ca = create_ca(tmp_path / "ca")
    install_consistency_key(ca, files.root)
    assert load_node(files.root).consistency_key == (ca / "consistency-key").read_bytes()


def test_a_key_readable_by_others_or_of_the_wrong_length_is_refused(tmp_path: Path) -> None:
    ca = create_ca(tmp_path / "ca")
    files = init_node(tmp_path / "node", NODE, ca_dir=ca)
    os.chmod(files.consistency_key, 0o644)
    with pytest.raises(IdentityError, match="chmod 600"):
        load_node(files.root)
    os.chmod(files.consistency_key, 0o600)
    files.consistency_key.write_bytes(b"short")
    with pytest.raises(IdentityError, match="32バイト"):
        load_node(files.root)


def test_a_node_holding_another_federations_key_is_not_overwritten(tmp_path: Path) -> None:
    files = init_node(tmp_path / "node", NODE, ca_dir=create_ca(tmp_path / "ca"))
    with pytest.raises(IdentityError, match="異なります"):
        install_consistency_key(create_ca(tmp_path / "other"), files.root)


def test_a_ca_from_before_the_key_gets_one_by_command_before_it_initialises_nodes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca = create_ca(tmp_path / "ca")
    (ca / "consistency-key").unlink()
    with pytest.raises(IdentityError, match="jumin node consistency-key"):
        init_node(tmp_path / "node", NODE, ca_dir=ca)
    assert not (tmp_path / "node" / "signing-ed25519.pem").exists()  # refused before writing anything
    assert main(["node", "consistency-key", str(ca)]) == 0
    assert mode(ca / "consistency-key") == 0o600
    before = (ca / "consistency-key").read_bytes()
    assert main(["node", "consistency-key", str(ca)]) == 0  # idempotent: the key is never replaced
    assert (ca / "consistency-key").read_bytes() == before
    init_node(tmp_path / "node", NODE, ca_dir=ca)
    capsys.readouterr()


def test_node_ca_reports_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["node", "ca", str(tmp_path / "ca")]) == 0
    assert "consistency-key" in capsys.readouterr().out
    assert (tmp_path / "ca" / "consistency-key").exists()


def test_outside_demo_mode_a_node_without_its_key_is_refused(tmp_path: Path, settings: Any) -> None:
    files = init_node(tmp_path / "node", NODE, ca_dir=None)
    settings.JUMIN_NODE_DIR = files.root
    settings.JUMIN_DEMO = False
    with pytest.raises(IdentityError, match="整合性確認鍵"):
        conf.local_node()
    assert not files.consistency_key.exists()


def test_in_demo_mode_a_node_from_before_the_key_gets_one(tmp_path: Path, settings: Any) -> None:
    files = init_node(tmp_path / "node", NODE, ca_dir=None)
    settings.JUMIN_NODE_DIR = files.root
    settings.JUMIN_DEMO = True
    node = conf.local_node()
    assert node.consistency_key == files.consistency_key.read_bytes()
    assert mode(files.consistency_key) == 0o600


def test_in_demo_mode_a_new_node_is_created_with_the_key_of_its_own_ca(tmp_path: Path, settings: Any) -> None:
    settings.JUMIN_NODE_DIR = tmp_path / "fresh"
    settings.JUMIN_DEMO = True
    node = conf.local_node()
    assert node.consistency_key == (tmp_path / "fresh" / "demo-ca" / "consistency-key").read_bytes()


def test_the_demo_federation_gives_a_pre_key_ca_and_its_nodes_one_shared_key(tmp_path: Path) -> None:
    from jumin.cli.federation import plan, prepare_identities

    members = plan(9000, 9100)
    root = tmp_path / "demo"
    prepare_identities(root, members)
    key = (root / "federation-ca" / "consistency-key").read_bytes()
    assert {load_node(member.node_dir(root)).consistency_key for member in members} == {key}
    # A demo from before the key: neither the CA nor the nodes hold one.
    (root / "federation-ca" / "consistency-key").unlink()
    for member in members:
        member.node_dir(root).joinpath("consistency-key").unlink()
    prepare_identities(root, members)
    keys = {load_node(member.node_dir(root)).consistency_key for member in members}
    assert keys == {(root / "federation-ca" / "consistency-key").read_bytes()}
    assert keys != {key}

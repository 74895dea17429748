"""A prefecture node (長崎県 420000) with its municipalities, an outside one and the national node."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jumin.messaging.envelope import NodeRef
from jumin.messaging.identity import create_ca, init_node
from tests.jukinet.prefecture.helpers import CHIYODA, NAGASAKI, NATIONAL, PREFECTURE, SASEBO, PrefectureNode

ALL_PEERS = (SASEBO, NAGASAKI, CHIYODA, NATIONAL)


def build_node(root: Path, settings: Any, listed: tuple[NodeRef, ...]) -> PrefectureNode:
    """Node directories for the prefecture and every peer; the prefecture lists only ``listed``."""
    ca = create_ca(root / "ca", name="prefecture test CA")
    directories = {ref: root / f"{ref.kind}-{ref.code}" for ref in (PREFECTURE, *ALL_PEERS)}
    for ref, directory in directories.items():
        init_node(directory, ref, ca_dir=ca)
    node = PrefectureNode(directories)
    for ref in listed:
        node.list_peer(ref)
    settings.JUMIN_NODE_DIR = directories[PREFECTURE]
    settings.JUMIN_NODE_KIND, settings.JUMIN_NODE_CODE = PREFECTURE.kind, PREFECTURE.code
    return node


@pytest.fixture
def prefecture(db: None, tmp_path: Path, settings: Any) -> PrefectureNode:
    """This test runs as prefecture 420000; 佐世保市, 長崎市, 千代田区 and the national node are peers."""
    return build_node(tmp_path, settings, ALL_PEERS)


@pytest.fixture
def lonely_prefecture(db: None, tmp_path: Path, settings: Any) -> PrefectureNode:
    """Prefecture 420000 whose only peer is 佐世保市 (the national node is not configured yet)."""
    return build_node(tmp_path, settings, (SASEBO,))

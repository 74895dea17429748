"""Synthetic notices and a prefecture node with its peers, for the 都道府県サーバ tests (no real person)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jumin.jukinet.common.catalogue import FUHYO_UPDATE, IDENTITY_UPDATE
from jumin.jukinet.common.fuhyo import FuhyoNotice
from jumin.messaging import conf
from jumin.messaging.envelope import NodeRef, new_envelope, sign_envelope
from jumin.messaging.identity import add_peer, load_node, peer_entry
from jumin.messaging.models import OutboxMessage
from jumin.messaging.services import Receipt, receive
from tests.jukinet.synthetic import identity_notice, resident_code

PREFECTURE = NodeRef("prefecture", "420000")
SASEBO = NodeRef("municipality", "422029")
NAGASAKI = NodeRef("municipality", "422011")
CHIYODA = NodeRef("municipality", "131016")
NATIONAL = NodeRef("national", "00")


def notice(**changes: Any) -> dict[str, Any]:
    """A valid synthetic IDENTITY_UPDATE payload from 佐世保市 (a birth); keyword arguments replace items."""
    defaults = {
        "name": "試験　花子",
        "name_kana": "シケン　ハナコ",
        "name_kana_seion": "シケン ハナコ",
        "birth_date": "19900304",
        "sex": "female",
        "municipality_code": SASEBO.code,
        "address": "長崎県佐世保市試験町一丁目1番地",
        "change_reason": "出生",
    }
    return identity_notice(**{**defaults, **changes})


def fuhyo(**changes: Any) -> dict[str, Any]:
    """A valid synthetic 附票 payload kept by 佐世保市; keyword arguments replace items."""
    base = FuhyoNotice(
        resident_code=resident_code(),
        name="試験　次郎",
        name_gaiji_count=0,
        name_kana="シケン　ジロウ",
        birth_date="19850607",
        sex="male",
        municipality_code="",
        address="アメリカ合衆国",
        address_gaiji_count=0,
        last_address="長崎県佐世保市試験町二丁目2番地",
        last_address_gaiji_count=0,
        change_date="2026-02-01",
        former_resident_code="",
        fuhyo_municipality_code=SASEBO.code,
        state="current",
        gaiji_flag=False,
        gaiji_pattern="",
        notice_type="new",
        operator_id="clerk01",
        terminal_id="T001",
    ).as_payload()
    base.update(changes)
    return base


@dataclass
class PrefectureNode:
    """This node (prefecture 420000) and the directories of its peers, which sign what they send."""

    directories: dict[NodeRef, Path]

    def list_peer(self, ref: NodeRef) -> None:
        """Add ``ref`` to this prefecture's peers.json."""
        add_peer(
            self.directories[PREFECTURE],
            peer_entry(load_node(self.directories[ref]), f"https://{ref.code}.invalid"),
        )

    def send(
        self,
        sender: NodeRef,
        payload: dict[str, Any],
        *,
        message_type: str = IDENTITY_UPDATE,
        subject: str | None = None,
        seq: int = 1,
    ) -> Receipt:
        """Deliver one signed message from ``sender`` through the real inbox (checks, order, handler)."""
        envelope = new_envelope(
            type=message_type,
            sender=sender,
            receiver=PREFECTURE,
            subject=subject or f"cs-{uuid.uuid4().hex[:12]}",
            seq=seq,
            payload=payload,
        )
        token = sign_envelope(envelope, load_node(self.directories[sender]).signing_key)
        return receive(conf.local_node(), sender, token.encode("ascii"))

    def send_fuhyo(self, sender: NodeRef, payload: dict[str, Any], **kwargs: Any) -> Receipt:
        return self.send(sender, payload, message_type=FUHYO_UPDATE, **kwargs)


def outbox(message_type: str, receiver: NodeRef) -> list[OutboxMessage]:
    """Messages this node queued of one type for one receiver, oldest first."""
    return list(
        OutboxMessage.objects.filter(
            type=message_type, receiver_kind=receiver.kind, receiver_code=receiver.code
        ).order_by("pk")
    )

"""機構への情報照会: ask the national node for a person who is not in this prefecture (004 別添1 (1)-2).

Uses the signed synchronous query ``jukinet.query.identity`` (jumin.messaging.services.query). The
answer's records are 本人確認情報 notices; they are read into ``IdentityView`` and never stored here.
"""

from __future__ import annotations

from typing import Any

from jumin.jukinet.common.catalogue import QUERY_IDENTITY
from jumin.jukinet.prefecture.provision.keys import SearchKey
from jumin.jukinet.prefecture.selectors import IdentityView
from jumin.messaging import services as messaging
from jumin.messaging.envelope import NodeRef

NATIONAL_NODE = NodeRef("national", "00")


def _operator_id(actor: Any) -> str:
    return str(getattr(actor, "username", "") or "operator")[:64]


def ask_national(*, key: SearchKey, actor: Any, purpose: str, terminal_id: str) -> list[IdentityView]:
    """The national node's records for the key (at most 50; raises if the node cannot be reached)."""
    payload = {
        "by": key.by,
        "resident_code": key.resident_code,
        "individual_number": key.individual_number,
        "name": key.name,
        "name_kana": key.name_kana,
        "birth_date": key.birth_date,
        "sex": key.sex,
        "address": key.address,
        "include_removed": False,
        "purpose": purpose[:100] or "提供",
        "operator_id": _operator_id(actor),
        "terminal_id": terminal_id or "prefecture",
    }
    answer = messaging.query(query_type=QUERY_IDENTITY, receiver=NATIONAL_NODE, payload=payload, actor=actor)
    return [
        IdentityView(
            resident_code=str(record["resident_code"]),
            name=str(record["name"]),
            name_kana=str(record["name_kana"]),
            birth_date=str(record["birth_date"]),
            sex=str(record["sex"]),
            address=str(record["address"]),
            individual_number=str(record["individual_number"]),
            change_reason=str(record["change_reason"]),
            change_date=str(record["change_date"]),
            removed=bool(record["removed"]),
        )
        for record in answer.get("records", [])
    ]

"""A shared CS's members as the upper nodes learn them (共同利用, std 7.1.1.1-b; docs/jukinet.md Flow 14).

A CS shared by several municipalities sends its whole current member list (``jukinet.shared_cs_members``)
to its 都道府県サーバ and to the national node whenever the list changes (registration, a member added
or ended). The message is signed like every other, so the list is the CS's own statement. The upper
nodes keep it and decide with ``may_act_for`` who may send for a municipality:

* a municipality registered as a member of a shared CS: only that CS;
* any other municipality: only its own node (as before).

Pure Python: the payload check and the decisions; the nodes store and audit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jumin.domain.checkdigits import validate_lgcode
from jumin.domain.errors import DomainError, refusal
from jumin.jukinet.common.fields import check_operator, require_keys

_CODE = "jukinet.shared_cs_members"
#: Why a message is refused: it names a member municipality of a shared CS and came from another node.
NOT_REGISTERED_CS = "jukinet.shared_cs.not_registered_cs"
#: Why a member list is refused: one of its municipalities is already a member of another shared CS.
CLAIMED_ELSEWHERE = "jukinet.shared_cs.member_of_another_cs"
MAX_MEMBERS = 100
KEYS = ("members", "operator_id", "terminal_id")


@dataclass(frozen=True)
class Member:
    """One member municipality of a shared CS."""

    municipality_code: str
    name: str


def members_from_payload(payload: dict[str, Any]) -> tuple[Member, ...]:
    """Validate a member list (codes with check digits, names, no repeats; empty: no longer shared)."""
    payload = require_keys(payload, KEYS, _CODE, what="共同利用CSの構成市町村通知")
    check_operator(payload, _CODE)
    entries = payload["members"]
    if not isinstance(entries, list) or len(entries) > MAX_MEMBERS:
        raise refusal(
            "members",
            "構成市町村の一覧の形式が不正です。",
            f"{MAX_MEMBERS}件以内の一覧で送ってください。",
            _CODE,
        )
    members: list[Member] = []
    for index, entry in enumerate(entries):
        field = f"members.{index}"
        entry = require_keys(entry, ("municipality_code", "name"), _CODE, what="構成市町村", field=field)
        code, name = entry["municipality_code"], entry["name"]
        if not isinstance(code, str) or not isinstance(name, str) or not name.strip() or len(name) > 40:
            raise refusal(
                field,
                "構成市町村の形式が不正です。",
                "市町村コードと40文字以内の名称を送ってください。",
                _CODE,
            )
        validate_lgcode(code, field=f"{field}.municipality_code")
        members.append(Member(code, name.strip()))
    if len({m.municipality_code for m in members}) != len(members):
        raise refusal("members", "構成市町村が重複しています。", "各市町村を一度だけ送ってください。", _CODE)
    return tuple(members)


def validate_members_payload(payload: dict[str, Any]) -> None:
    """The validator registered for ``jukinet.shared_cs_members``."""
    members_from_payload(payload)


def claimed_elsewhere(
    cs_code: str, members: tuple[Member, ...], registered: Mapping[str, str]
) -> DomainError | None:
    """Why ``cs_code`` may not list ``members``: one is a current member of another shared CS
    (``registered``: member → its CS), which must end that membership first; None when it may."""
    for member in members:
        other = registered.get(member.municipality_code)
        if other is not None and other != cs_code:
            return refusal(
                "members",
                f"市町村 {member.municipality_code} は別の共同利用CSの構成市町村として登録されています。",
                "元の共同利用CSで構成市町村を終了してから登録してください。",
                CLAIMED_ELSEWHERE,
            )
    return None


def may_act_for(sender_code: str, municipality_code: str, registered_cs: str | None) -> bool:
    """Whether the municipality node ``sender_code`` may send for ``municipality_code``, whose shared
    CS is ``registered_cs`` (None: it is no member of a shared CS and sends for itself only)."""
    return sender_code == (registered_cs or municipality_code)


def not_registered_cs(field: str) -> DomainError:
    """The refusal of a message for a municipality from a node that may not send for it."""
    return refusal(
        field,
        "送信元のノードは、この市町村の本人確認情報を送ることができません"
        "（共同利用CSの構成市町村は、登録されたCSからのみ受け付けます）。",
        "自市町村のCS、または構成市町村として登録された共同利用CSから送ってください。",
        NOT_REGISTERED_CS,
    )

"""Message and query types of the link M1 ⇄ M10 ⇄ O1, their payload checks and their dispatch by node
kind (docs/workflows/immigration-link.md, "Online through the 入管連携端末").

* ``RELAY_NOTICES`` (query, municipality → its terminal): due 市町村通知 in commit order; the terminal
  answers which (通知連番, 送信回数) it took, so a municipality that gets no answer leaves them due.
* ``MUNICIPALITY_NOTICE`` (message, terminal → agency): one notice, as the terminal received it.
* ``NOTICE_RESULT`` (message, agency → terminal → municipality): the agency's 正常 / エラー of one send.
* ``RESIDENCE_NOTICE`` (message, agency → terminal → municipality): one 法30条の50 notice, in the
  columns of the notice file (docs/workflows/immigration-notices.md).

Each message stream has one subject per municipality, so the order of each kind is kept end to end.
The layouts are Jumin's: the agency's own interface specification is not public.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jumin.domain.errors import refusal
from jumin.domain.immigration_link import LinkClass, LinkKind
from jumin.messaging import conf, handlers
from jumin.messaging.envelope import Envelope, NodeRef

RELAY_NOTICES = "immigration.relay_notices"
MUNICIPALITY_NOTICE = "immigration.municipality_notice"
NOTICE_RESULT = "immigration.notice_result"
RESIDENCE_NOTICE = "immigration.residence_notice"

MUNICIPALITY = "municipality"
TERMINAL = "nyukan_terminal"
AGENCY = "nyukan_agency"
#: The simulated 出入国在留管理庁 (O1); a terminal reaches it through its peers.json entry.
AGENCY_NODE = NodeRef(AGENCY, "00")
#: The most notices one hand-over to the terminal carries (well under the 4 MiB of a query).
MAX_NOTICES_PER_RELAY = 500
RESULT_ACCEPTED, RESULT_ERROR = "正常", "エラー"

_CODE = "immigration.payload"
_MUNICIPALITY_CODE = re.compile(r"[0-9]{6}")
_ITEM_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


def terminal_of(municipality_code: str) -> NodeRef:
    """The 入管連携端末 of a municipality: its own node, named by the municipality's code."""
    return NodeRef(TERMINAL, municipality_code)


def notices_subject(municipality_code: str) -> str:
    """The one ordered stream of a municipality's 市町村通知 from its terminal to the agency."""
    return f"notices-{municipality_code}"


def _bad(field: str, reason: str) -> Exception:
    return refusal(field, reason, "送信元の入管連携の設定と版を確認してください。", _CODE)


def _text_map(value: Any, field: str, *, limit: int) -> None:
    if not isinstance(value, dict) or len(value) > 60:
        raise _bad(field, "項目の一覧が不正です。")
    for key, item in value.items():
        if not isinstance(key, str) or not _ITEM_KEY.fullmatch(key):
            raise _bad(field, "項目名が不正です。")
        if not isinstance(item, str) or len(item) > limit:
            raise _bad(field, "項目の値が文字列でないか長すぎます。")


def _positive(payload: dict[str, Any], field: str) -> None:
    value = payload.get(field)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _bad(field, "1以上の整数ではありません。")


def _exact_keys(payload: dict[str, Any], keys: set[str]) -> None:
    if set(payload) != keys:
        raise _bad("payload", "項目の組が定められた形式と異なります。")
    code = payload["municipality_code"]
    if not isinstance(code, str) or not _MUNICIPALITY_CODE.fullmatch(code):
        raise _bad("municipality_code", "市町村コードは6桁の数字です。")


def validate_notice(payload: dict[str, Any]) -> None:
    """One 市町村通知: ``municipality_code``, ``sequence_no``, ``send_no``, ``kind``, ``link_class``,
    ``items`` (the notice file's item columns, docs/workflows/immigration-link.md)."""
    _exact_keys(payload, {"municipality_code", "sequence_no", "send_no", "kind", "link_class", "items"})
    _positive(payload, "sequence_no")
    _positive(payload, "send_no")
    if payload["kind"] not in {k.value for k in LinkKind}:
        raise _bad("kind", "通知種別が不正です。")
    if payload["link_class"] not in {c.value for c in LinkClass}:
        raise _bad("link_class", "区分が不正です。")
    _text_map(payload["items"], "items", limit=400)


def validate_relay(payload: dict[str, Any]) -> None:
    """The hand-over to the terminal: ``{"notices": [notice, …]}``, 1 to ``MAX_NOTICES_PER_RELAY``."""
    notices = payload.get("notices")
    if set(payload) != {"notices"} or not isinstance(notices, list):
        raise _bad("notices", "通知の一覧がありません。")
    if not 1 <= len(notices) <= MAX_NOTICES_PER_RELAY:
        raise _bad("notices", f"一度に渡せる通知は1件から{MAX_NOTICES_PER_RELAY}件です。")
    for notice in notices:
        if not isinstance(notice, dict):
            raise _bad("notices", "通知の形式が不正です。")
        validate_notice(notice)


def validate_relay_answer(payload: dict[str, Any]) -> None:
    """The terminal's answer: ``{"accepted": [[通知連番, 送信回数], …]}``."""
    accepted = payload.get("accepted")
    if set(payload) != {"accepted"} or not isinstance(accepted, list):
        raise _bad("accepted", "受け付けた通知の一覧がありません。")
    for pair in accepted:
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in pair)
        ):
            raise _bad("accepted", "受け付けた通知の番号が不正です。")


def validate_result(payload: dict[str, Any]) -> None:
    """The agency's result of one send: ``result`` 正常 / エラー with ``code`` and ``message``."""
    _exact_keys(payload, {"municipality_code", "sequence_no", "send_no", "result", "code", "message"})
    _positive(payload, "sequence_no")
    _positive(payload, "send_no")
    if payload["result"] not in (RESULT_ACCEPTED, RESULT_ERROR):
        raise _bad("result", "処理結果は「正常」か「エラー」です。")
    for field, limit in (("code", 20), ("message", 200)):
        if not isinstance(payload[field], str) or len(payload[field]) > limit:
            raise _bad(field, "文字列でないか長すぎます。")


def validate_residence_notice(payload: dict[str, Any]) -> None:
    """One 法30条の50 notice: ``municipality_code`` and ``notice`` (the notice file's columns)."""
    _exact_keys(payload, {"municipality_code", "notice"})
    _text_map(payload["notice"], "notice", limit=200)
    notice_id = payload["notice"].get("notice_id", "")
    if not notice_id or len(notice_id) > 40 or not notice_id.isascii():
        raise _bad("notice", "通知番号がないか不正です。")


# --- dispatch by the local node's kind (one registration per type, as jukinet.routing) -------------

Apply = Callable[[Envelope], None]
Answer = Callable[[Envelope], dict[str, Any]]
_appliers: dict[tuple[str, str], Apply] = {}
_answerers: dict[tuple[str, str], Answer] = {}


def _kind() -> str:
    return conf.local_node().ref.kind


def _apply(envelope: Envelope) -> None:
    apply = _appliers.get((envelope.type, _kind()))
    if apply is None:
        raise handlers.HandlerRefused(f"{envelope.type} is not handled by a {_kind()} node")
    apply(envelope)


def _answer(envelope: Envelope) -> dict[str, Any]:
    answer = _answerers.get((envelope.type, _kind()))
    if answer is None:
        raise handlers.HandlerRefused(f"{envelope.type} is not answered by a {_kind()} node")
    return answer(envelope)


def handle(name: str, *, kind: str, apply: Apply) -> None:
    """Apply messages of type ``name`` with ``apply`` on nodes of ``kind``."""
    _appliers[(name, kind)] = apply


def answer(name: str, *, kind: str, answer: Answer) -> None:
    """Answer queries of type ``name`` with ``answer`` on nodes of ``kind``."""
    _answerers[(name, kind)] = answer


def require_sender(envelope: Envelope, kind: str, code: str | None = None) -> None:
    """Refuse (for good) a message that did not come from the expected side of the link."""
    if envelope.sender.kind != kind or (code is not None and envelope.sender.code != code):
        raise handlers.HandlerRefused(f"{envelope.type} from {envelope.sender} is not accepted here")


handlers.register(MUNICIPALITY_NOTICE, validate=validate_notice, apply=_apply)
handlers.register(NOTICE_RESULT, validate=validate_result, apply=_apply)
handlers.register(RESIDENCE_NOTICE, validate=validate_residence_notice, apply=_apply)
handlers.register_query(
    RELAY_NOTICES, validate=validate_relay, validate_answer=validate_relay_answer, answer=_answer
)

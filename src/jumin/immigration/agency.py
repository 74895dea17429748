"""出入国在留管理庁 (O1), simulated: the far end of the 入管連携端末 (docs/workflows/immigration-link.md).

Like the national node's simulated services (the 証明書交付センター, the e-application service), this
is no model of the agency's systems, only of what the municipality sees of them:

* ``receive_notice``: each 市町村通知 that arrives (through the municipality's terminal) is checked
  (``check_notice``) and answered with one result, 正常 or エラー with a code and a reason, back to the
  terminal it came from, in the order received;
* ``send_residence_notices``: 法30条の50 notices (the notice file's columns) to a municipality's
  terminal, one message each, in the order given.

The agency's real interface layout and codes are not public; these checks and codes are Jumin's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from jumin.audit.actions import AuditAction
from jumin.audit.services import record_event
from jumin.immigration import catalogue
from jumin.messaging.envelope import Envelope
from jumin.messaging.services import Outgoing, enqueue, enqueue_many

AGENCY = catalogue.AGENCY
_RESIDENCE_CARD = re.compile(r"[A-Z]{2}[0-9]{8}[A-Z]{2}")
_BIRTH_DATE = re.compile(r"[0-9]{8}")


def results_subject(municipality_code: str) -> str:
    """The agency's one ordered stream of results to a municipality's terminal."""
    return f"results-{municipality_code}"


def residence_subject(municipality_code: str) -> str:
    """The agency's one ordered stream of 法30条の50 notices to a municipality's terminal."""
    return f"residence-{municipality_code}"


@dataclass(frozen=True)
class Result:
    """The agency's answer to one notice: 正常 (no code) or エラー with a code and a reason."""

    result: str
    code: str = ""
    message: str = ""


ACCEPTED = Result(catalogue.RESULT_ACCEPTED)


def check_notice(items: Mapping[str, str]) -> Result:
    """The simulated agency's checks of one notice's items (Jumin's codes, not the agency's)."""
    if not items.get("name", "").strip():
        return Result(catalogue.RESULT_ERROR, "E101", "氏名が記載されていません。")
    if not _BIRTH_DATE.fullmatch(items.get("birth_date", "")):
        return Result(catalogue.RESULT_ERROR, "E102", "生年月日が8桁の数字ではありません。")
    card = items.get("residence_card_number", "")
    if card and not _RESIDENCE_CARD.fullmatch(card):
        return Result(catalogue.RESULT_ERROR, "E103", "在留カード番号の形式が正しくありません。")
    return ACCEPTED


def receive_notice(envelope: Envelope) -> None:
    """Answer one 市町村通知 with its result, to the terminal it came from."""
    payload = envelope.payload
    catalogue.require_sender(envelope, catalogue.TERMINAL, payload["municipality_code"])
    result = check_notice(payload["items"])
    enqueue(
        message_type=catalogue.NOTICE_RESULT,
        receiver=envelope.sender,
        subject=results_subject(payload["municipality_code"]),
        payload={
            "municipality_code": payload["municipality_code"],
            "sequence_no": payload["sequence_no"],
            "send_no": payload["send_no"],
            "result": result.result,
            "code": result.code,
            "message": result.message,
        },
    )
    record_event(
        actor=None,
        action=AuditAction.IMMIGRATION_AGENCY_RECEIVE,
        subject_type="municipality_notice",
        subject_id=f"{payload['municipality_code']}-{payload['sequence_no']}",
        reason=f"send {payload['send_no']} from {envelope.sender}: {result.result} {result.code}".strip(),
        result_count=1,
    )


def send_residence_notices(*, municipality_code: str, notices: Sequence[Mapping[str, str]]) -> int:
    """Queue 法30条の50 notices for a municipality (through its terminal), in order; the count."""
    terminal = catalogue.terminal_of(municipality_code)
    payloads: list[dict[str, Any]] = [
        {"municipality_code": municipality_code, "notice": dict(notice)} for notice in notices
    ]
    with transaction.atomic():
        enqueue_many(
            [
                Outgoing(
                    message_type=catalogue.RESIDENCE_NOTICE,
                    receiver=terminal,
                    subject=residence_subject(municipality_code),
                    payload=payload,
                )
                for payload in payloads
            ]
        )
        record_event(
            actor=None,
            action=AuditAction.IMMIGRATION_AGENCY_NOTIFY,
            subject_type="immigration_notice",
            subject_id=municipality_code,
            reason="notices " + " ".join(p["notice"].get("notice_id", "") for p in payloads)[:180],
            result_count=len(payloads),
        )
    return len(payloads)


catalogue.handle(catalogue.MUNICIPALITY_NOTICE, kind=AGENCY, apply=receive_notice)

"""Message types of the messaging app itself: the 疎通確認 probe and the re-send request.

Schemas of business messages live in the app that owns them (registry/messages.py, …).
"""

from __future__ import annotations

from typing import Any

from jumin.domain.errors import refusal
from jumin.messaging import handlers
from jumin.messaging.envelope import Envelope

PROBE = "node.probe"
RESEND_REQUEST = "messaging.resend_request"
MAX_RESEND_SEQS = 100


def validate_probe(payload: dict[str, Any]) -> None:
    """``{"note": "<up to 100 characters>"}``: an ordered message with no effect but its inbox record."""
    note = payload.get("note", "")
    if set(payload) - {"note"} or not isinstance(note, str) or len(note) > 100:
        raise refusal(
            "payload",
            "疎通確認の内容が不正です。",
            "note（100文字以内）だけを送ってください。",
            "messaging.probe",
        )


def apply_probe(envelope: Envelope) -> None:
    """Nothing to change: receipt and application are recorded by the inbox and the audit log."""


def validate_resend_request(payload: dict[str, Any]) -> None:
    """``{"subject": "<subject key>", "seqs": [<更新順番号>, ...]}``, at most 100 numbers, each ≥ 1."""
    subject, seqs = payload.get("subject"), payload.get("seqs")
    valid = (
        set(payload) == {"subject", "seqs"}
        and isinstance(subject, str)
        and 0 < len(subject) <= 64
        and isinstance(seqs, list)
        and 0 < len(seqs) <= MAX_RESEND_SEQS
        and all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in seqs)
    )
    if not valid:
        raise refusal(
            "payload",
            "再送要求の内容が不正です。",
            "subject と seqs（1〜100個の更新順番号）を送ってください。",
            "messaging.resend",
        )


handlers.register(PROBE, validate=validate_probe, apply=apply_probe)
handlers.register(RESEND_REQUEST, validate=validate_resend_request)

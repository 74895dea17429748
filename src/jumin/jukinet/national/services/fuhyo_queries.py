"""附票全国サーバ (N2) items 2–3: answer QUERY_FUHYO from a 附票都道府県サーバ (system.md P2 4).

A prefecture asks about a person by 住民票コード (a 旧住民票コード finds them too, as on the N2 screen)
or by 4情報 — in particular a person whose 附票 another prefecture keeps. The answer holds at most 50
records of the 18 附票 items; the CS's operator bookkeeping stays here. Every answer is audited with
the purpose, the remote operator and terminal, the asking node, the kinds of keys used (never their
values) and each record answered (controls.md C-42); a refused query is audited by messaging.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from jumin.audit.actions import AuditAction
from jumin.jukinet.common.fuhyo import FuhyoState, fuhyo_items
from jumin.jukinet.national.models import FuhyoRecord
from jumin.jukinet.national.services._common import answer_listed, filter_four_items
from jumin.messaging.envelope import Envelope

#: The audit subject of a 附票 at N2 (as on the N2 screen, ``national.selectors.fuhyo_for``).
SUBJECT_TYPE = "national_fuhyo"


def _matching(payload: dict[str, Any]) -> QuerySet[FuhyoRecord]:
    rows = FuhyoRecord.objects.all()
    if not payload["include_deleted"]:
        rows = rows.exclude(state=FuhyoState.DELETED)
    if payload["by"] == "resident_code":
        code = payload["resident_code"]
        current = rows.filter(resident_code=code)
        # A 旧住民票コード: the record whose history was received under it (Flow 9).
        return current if current.exists() else rows.filter(history__resident_code=code).distinct()
    return filter_four_items(rows, payload, address_field="items__address")


def answer_fuhyo_query(envelope: Envelope) -> dict[str, Any]:
    """Answerer of QUERY_FUHYO at kind national: up to 50 records of the 18 items, by key or 4情報."""
    # Validated by messaging before the answerer runs; a refusal is audited there (node:query:answer).
    shown, truncated = answer_listed(
        envelope,
        _matching(envelope.payload),
        action=AuditAction.NATIONAL_FUHYO_QUERY,
        subject_type=SUBJECT_TYPE,
        flag="include_deleted",
    )
    return {"records": [fuhyo_items(row.items) for row in shown], "truncated": truncated}
